"""/v2/images/{image_id}/members[/{member_id}]: parse, one call, render."""

import flask.views
import flask_smorest

from glance_members.api import common
from glance_members.sharing import members
from glance_members.schemas import image_members as schemas

blp = flask_smorest.Blueprint(
    'image_members', __name__, url_prefix='/v2/images/<image_id>/members',
    description='Image members: sharing an image with other projects')


@blp.route('', strict_slashes=True)
class Members(flask.views.MethodView):

    @blp.response(200, schemas.MembersSchema)
    def get(self, image_id):
        s = common.services()
        return common.render(schemas.members_view(members.list_members(
            common.context(), s.authz, s.repo, image_id)))

    @blp.doc(requestBody={'content': {'application/json': {
        'schema': schemas.MemberCreateSchema}}})
    @blp.response(200, schemas.MemberSchema)
    def post(self, image_id):
        member_id = schemas.parse_create(common.json_body())
        s = common.services()
        return common.render(schemas.member_view(members.add_member(
            common.context(), s.authz, s.repo, image_id, member_id,
            s.quotas)))


@blp.route('/<member_id>', strict_slashes=True)
class Member(flask.views.MethodView):

    @blp.response(200, schemas.MemberSchema)
    def get(self, image_id, member_id):
        s = common.services()
        return common.render(schemas.member_view(members.get_member(
            common.context(), s.authz, s.repo, image_id, member_id)))

    @blp.doc(requestBody={'content': {'application/json': {
        'schema': schemas.MemberUpdateSchema}}})
    @blp.response(200, schemas.MemberSchema)
    def put(self, image_id, member_id):
        status = schemas.parse_update(common.json_body())
        s = common.services()
        return common.render(schemas.member_view(members.update_member(
            common.context(), s.authz, s.repo, image_id, member_id,
            status)))

    @blp.response(204)
    def delete(self, image_id, member_id):
        s = common.services()
        members.delete_member(common.context(), s.authz, s.repo, image_id,
                              member_id)
        return common.no_content()
