"""/sharing/v1/trusted-producers[/{project_id}]."""

import flask
import flask.views

from glance_members.api import common
from glance_members.schemas.sharing_v1 import common as wire
from glance_members.schemas.sharing_v1 import trusted_producers as schemas
from glance_members.sharing import trust

blp = common.Blueprint('sharing_trusted_producers', __name__,
                       url_prefix='/sharing/v1/trusted-producers',
                       description='Producers whose shares arrive accepted')


@blp.route('', strict_slashes=True)
class TrustedProducers(flask.views.MethodView):

    @blp.arguments(schemas.TrustsQuery, location='query')
    @blp.response(200, schemas.Trusts)
    def get(self, args):
        s = common.services()
        limit = args.get('limit', s.conf.limit_param_default)
        trusts, more = trust.list_trusts(common.context(), s.authz, s.repo,
                                         limit, args.get('marker'))
        view = {'trusted_producers': schemas.trusts_view(
            trusts, common.project_names(t.producer for t in trusts))}
        if more:
            view['next'] = wire.next_link(flask.request.path,
                                          {'limit': limit},
                                          trusts[-1].producer)
        return view


@blp.route('/<project_id>', strict_slashes=True)
class TrustedProducer(flask.views.MethodView):

    @blp.arguments(schemas.TrustAdd)
    @blp.response(200, schemas.TrustAdded)
    def put(self, args, project_id):
        s = common.services()
        return schemas.trust_added_view(*trust.add_trust(
            common.context(), s.authz, s.repo, project_id,
            args['accept_pending']), name=common.project_names(
                [project_id]).get(project_id))

    @blp.response(204)
    def delete(self, project_id):
        s = common.services()
        trust.remove_trust(common.context(), s.authz, s.repo, project_id)
        return common.no_content()
