"""/sharing/v1/images/{image_id}/members[/{member_id}]: the members with
their expiry and names; one's expiry."""

import flask.views

from glance_members.api import common
from glance_members.schemas.sharing_v1 import members as schemas
from glance_members.sharing import expiry

blp = common.Blueprint('sharing_members', __name__,
                       url_prefix='/sharing/v1/images/<image_id>/members',
                       description="An image's memberships with their "
                                   "expiry")


@blp.route('', strict_slashes=True)
class Members(flask.views.MethodView):

    @blp.response(200, schemas.Members)
    def get(self, image_id):
        s = common.services()
        shares = expiry.image_shares(common.context(), s.authz, s.repo,
                                     image_id)
        return schemas.members_view(shares, common.project_names(
            m.member_id for m in shares))


@blp.route('/<member_id>', strict_slashes=True)
class Member(flask.views.MethodView):

    @blp.arguments(schemas.Expiry)
    @blp.response(200, schemas.Share)
    def patch(self, args, image_id, member_id):
        s = common.services()
        return expiry.set_expiry(common.context(), s.authz, s.repo,
                                 image_id, member_id, args['expires_at'])
