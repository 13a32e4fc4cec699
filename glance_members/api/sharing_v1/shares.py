"""/sharing/v1/shares and /sharing/v1/shares/revoke: batch, all or
nothing."""

import flask.views

from glance_members.api import common
from glance_members import conf as gm_conf
from glance_members.schemas.sharing_v1 import shares as schemas
from glance_members.sharing import batch

blp = common.Blueprint('sharing_shares', __name__,
                       url_prefix='/sharing/v1/shares',
                       description='Share and revoke up to 100 images x 100 '
                                   'projects in one request')


@blp.route('', strict_slashes=True)
class Shares(flask.views.MethodView):

    @blp.arguments(schemas.ShareBatch)
    @blp.response(200, schemas.PairResults)
    def post(self, args):
        s = common.services()
        return {'results': batch.share(
            common.context(), s.authz, s.repo, args['images'],
            args['members'], args['expires_at'], s.conf.image_member_quota,
            s.directory, gm_conf.verify_members(s.conf))}


@blp.route('/revoke', strict_slashes=True)
class Revoke(flask.views.MethodView):

    @blp.arguments(schemas.Batch)
    @blp.response(200, schemas.PairResults)
    def post(self, args):
        s = common.services()
        return {'results': batch.revoke(
            common.context(), s.authz, s.repo, args['images'],
            args['members'], s.directory)}
