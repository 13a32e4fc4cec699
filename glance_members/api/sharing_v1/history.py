"""/sharing/v1/images/{image_id}/history and /sharing/v1/history."""

import flask
import flask.views

from glance_members.api import common
from glance_members.schemas.sharing_v1 import common as wire
from glance_members.schemas.sharing_v1 import history as schemas
from glance_members.sharing import history

blp = common.Blueprint('sharing_history', __name__, url_prefix='/sharing/v1',
                       description='Who changed which membership, when')


def _view(entries, more, args):
    projects = common.project_names(
        [e.member_id for e in entries] +
        [e.actor_project_id for e in entries])
    users = common.user_names(e.actor_user_id for e in entries)
    view = {'history': [schemas.entry_view(e, projects, users)
                        for e in entries]}
    if more:
        view['next'] = wire.next_link(flask.request.path, args,
                                      entries[-1].id)
    return view


@blp.route('/images/<image_id>/history', strict_slashes=True)
class ImageHistory(flask.views.MethodView):

    @blp.arguments(schemas.HistoryQuery, location='query')
    @blp.response(200, schemas.History)
    def get(self, args, image_id):
        s = common.services()
        limit = args.get('limit', s.conf.limit_param_default)
        entries, more = history.image_history(
            common.context(), s.authz, s.repo, image_id, limit,
            args.get('marker'))
        return _view(entries, more, {'limit': limit})


@blp.route('/history', strict_slashes=True)
class ProjectHistory(flask.views.MethodView):

    @blp.arguments(schemas.ProjectHistoryQuery, location='query')
    @blp.response(200, schemas.History)
    def get(self, args):
        s = common.services()
        limit = args.get('limit', s.conf.limit_param_default)
        entries, more = history.project_history(
            common.context(), s.authz, s.repo, args['as_'], limit,
            args.get('marker'))
        return _view(entries, more, {'limit': limit, 'as': args['as_']})
