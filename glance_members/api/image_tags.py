"""/v2/images/{image_id}/tags/{tag}: parse, one call, render."""

import flask
import flask.views
import flask_smorest

from glance_members.api import body
from glance_members.api import common
from glance_members.sharing import images
from glance_members.schemas import images as schemas

blp = flask_smorest.Blueprint('image_tags', __name__,
                              url_prefix='/v2/images/<image_id>/tags',
                              description='Image tags')


@blp.route('/<tag>', strict_slashes=True)
class ImageTag(flask.views.MethodView):

    @blp.response(204)
    def put(self, image_id, tag):
        body.refuse_any_body(flask.request)
        tag = schemas.parse_tag(tag)
        s = common.services()
        images.add_tag(common.context(), s.authz, s.repo, image_id, tag,
                       s.quotas)
        return common.no_content('text/html; charset=UTF-8')

    @blp.response(204)
    def delete(self, image_id, tag):
        s = common.services()
        images.delete_tag(common.context(), s.authz, s.repo, image_id, tag)
        return common.no_content('text/html; charset=UTF-8')
