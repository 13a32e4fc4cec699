"""/sharing/v1/projects/{project_id}: whose project an id is."""

import flask.views

from glance_members.api import common
from glance_members.schemas.sharing_v1 import projects as schemas
from glance_members.sharing import projects

blp = common.Blueprint('sharing_projects', __name__,
                       url_prefix='/sharing/v1/projects',
                       description='Whose project an id is, before sharing')


@blp.route('/<project_id>', strict_slashes=True)
class Project(flask.views.MethodView):

    @blp.response(200, schemas.Project)
    def get(self, project_id):
        s = common.services()
        found, name = projects.show_project(
            common.context(), s.authz, s.directory, project_id)
        return {'id': found, 'name': name}
