"""/sharing/v1/inbox: the caller's shares, decisions in bulk, leaving."""

import flask
import flask.views

from glance_members.api import common
from glance_members.schemas.sharing_v1 import common as wire
from glance_members.schemas.sharing_v1 import inbox as schemas
from glance_members.sharing import inbox

blp = common.Blueprint('sharing_inbox', __name__,
                       url_prefix='/sharing/v1/inbox',
                       description="The consumer's side: its shares across "
                                   "images, decisions in bulk, leaving")


@blp.route('', strict_slashes=True)
class Inbox(flask.views.MethodView):

    @blp.arguments(schemas.InboxQuery, location='query')
    @blp.response(200, schemas.Inbox)
    def get(self, args):
        s = common.services()
        limit = args.get('limit', s.conf.limit_param_default)
        shares, counts, more = inbox.list_inbox(
            common.context(), s.authz, s.repo, args['status'], limit,
            args.get('marker'))
        view = {'inbox': schemas.inbox_view(shares, common.project_names(
            s.image.owner for s in shares)), 'counts': counts}
        if more:
            view['next'] = wire.next_link(
                flask.request.path, {'status': args['status'],
                                     'limit': limit}, shares[-1].image_id)
        return view


@blp.route('/decisions', strict_slashes=True)
class Decisions(flask.views.MethodView):

    @blp.arguments(schemas.Decisions)
    @blp.response(200, schemas.DecisionResults)
    def post(self, args):
        s = common.services()
        return schemas.decisions_view(inbox.decide(
            common.context(), s.authz, s.repo, args['status'],
            args.get('images')))


@blp.route('/<image_id>', strict_slashes=True)
class Share(flask.views.MethodView):

    @blp.response(204)
    def delete(self, image_id):
        s = common.services()
        inbox.leave(common.context(), s.authz, s.repo, image_id)
        return common.no_content()
