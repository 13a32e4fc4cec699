"""/v2/images and /v2/images/{image_id}: parse, one call, render."""

import urllib.parse

import flask
import flask.views
import flask_smorest

from glance_members.api import common
from glance_members import image_data
from glance_members.sharing import images
from glance_members.schemas import images as schemas

blp = flask_smorest.Blueprint('images', __name__, url_prefix='/v2/images',
                              description='Images, as far as sharing needs')


@blp.route('', strict_slashes=True)
class Images(flask.views.MethodView):

    @blp.response(200, schemas.ImagesSchema)
    def get(self):
        s = common.services()
        query = schemas.parse_list_query(flask.request.args,
                                         s.conf.limit_param_default,
                                         s.conf.api_limit_max)
        found, more = images.list_images(common.context(), s.authz, s.repo,
                                         query)
        return common.render(_list_view(found, more, flask.request.args))

    @blp.doc(requestBody={'content': {'application/json': {
        'schema': schemas.ImageCreateSchema}}})
    @blp.response(201, schemas.ImageSchema)
    def post(self):
        image = schemas.parse_create(common.json_body())
        s = common.services()
        image = images.create_image(common.context(), s.authz, s.repo,
                                    image, s.quotas)
        response = common.render(schemas.image_view(image), 201)
        response.headers['Location'] = '%s/v2/images/%s' % (
            flask.request.host_url.rstrip('/'), image.id)
        return response


def _list_view(images, more, args):
    """Glance's list body: first and next are relative links that keep
    every query parameter but the marker."""
    # Glance builds the links from dict(params): one value per key, the
    # last one given.
    params = [(k, v) for k, v in dict(args.items(multi=True)).items()
              if k != 'marker']
    query = urllib.parse.urlencode(params)
    view = {'images': [schemas.image_view(i) for i in images],
            'first': '/v2/images' + ('?' + query if query else ''),
            'schema': '/v2/schemas/images'}
    if more:
        view['next'] = '/v2/images?' + urllib.parse.urlencode(
            params + [('marker', images[-1].id)])
    return view


@blp.route('/<image_id>', strict_slashes=True)
class Image(flask.views.MethodView):

    @blp.response(200, schemas.ImageSchema)
    def get(self, image_id):
        s = common.services()
        image = images.get_image(common.context(), s.authz, s.repo,
                                 image_id)
        return common.render(schemas.image_view(image))

    @blp.response(200, schemas.ImageSchema)
    def patch(self, image_id):
        changes = schemas.parse_patch(flask.request.mimetype,
                                      common.json_body)
        s = common.services()
        image = images.update_image(common.context(), s.authz, s.repo,
                                    image_id, changes, s.quotas)
        return common.render(schemas.image_view(image))

    @blp.response(204)
    def delete(self, image_id):
        s = common.services()
        image_data.delete_image(common.context(), s.authz, s.repo, s.store,
                                image_id)
        return common.no_content('text/html; charset=UTF-8')
