"""/sharing/v1/images/{image_id}/members/{member_id}: the expiry."""

import flask.views

from glance_members.api import common
from glance_members.schemas.sharing_v1 import common as wire
from glance_members.schemas.sharing_v1 import members as schemas
from glance_members.sharing_ext import expiry

blp = wire.Blueprint('sharing_members', __name__,
                     url_prefix='/sharing/v1/images/<image_id>/members',
                     description="A membership's expiry")


@blp.route('/<member_id>', strict_slashes=True)
class Member(flask.views.MethodView):

    @blp.arguments(schemas.Expiry)
    @blp.response(200, schemas.Share)
    def patch(self, args, image_id, member_id):
        s = common.services()
        return expiry.set_expiry(common.context(), s.authz, s.repo,
                                 image_id, member_id, args['expires_at'])
