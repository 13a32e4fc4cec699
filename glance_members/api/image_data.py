"""/v2/images/{image_id}/file and /actions/{deactivate,reactivate}."""

import flask
import flask.views
import flask_smorest

from glance_members.api import common
from glance_members import image_data
from glance_members.schemas import image_data as schemas
from glance_members.sharing import images

blp = flask_smorest.Blueprint('image_data', __name__,
                              url_prefix='/v2/images/<image_id>',
                              description='Image data and status actions')
_BYTES = {'type': 'string', 'format': 'binary'}


@blp.route('/file', strict_slashes=True)
class ImageData(flask.views.MethodView):

    @blp.response(200, _BYTES, content_type=schemas.OCTET_STREAM)
    @blp.alt_response(206, schema=_BYTES, content_type=schemas.OCTET_STREAM,
                      success=True, description='Partial Content')
    @blp.alt_response(204, success=True,
                      description='The image has no data')
    def get(self, image_id):
        s = common.services()
        byte_range = schemas.range_parser(
            flask.request.headers.get('Range'),
            flask.request.headers.get('Content-Range'))
        image, chunks, offset, length = image_data.download(
            common.context(), s.authz, s.repo, s.store, image_id, byte_range)
        if chunks is None:
            return common.no_content()
        response = flask.Response(chunks, direct_passthrough=True,
                                  content_type=schemas.OCTET_STREAM)
        response.headers['Content-Length'] = str(length)
        if byte_range is not None:
            response.status_code = 206
            response.headers['Content-Range'] = 'bytes %d-%d/%d' % (
                offset, offset + length - 1, image.size)
        if image.checksum:
            response.headers['Content-MD5'] = image.checksum
        return response

    @blp.doc(requestBody={'content': {schemas.OCTET_STREAM: {
        'schema': _BYTES}}})
    @blp.response(204)
    def put(self, image_id):
        schemas.check_upload_type(flask.request.mimetype)
        image_data.upload(common.context(), common.services(), image_id,
                          flask.request.stream, flask.request.content_length)
        return common.no_content('text/html; charset=UTF-8')


@blp.route('/actions/deactivate', methods=['POST'], strict_slashes=True)
@blp.response(204)
def deactivate(image_id):
    s = common.services()
    images.set_active(common.context(), s.authz, s.repo, image_id, False)
    return common.no_content('text/html; charset=UTF-8')


@blp.route('/actions/reactivate', methods=['POST'], strict_slashes=True)
@blp.response(204)
def reactivate(image_id):
    s = common.services()
    images.set_active(common.context(), s.authz, s.repo, image_id, True)
    return common.no_content('text/html; charset=UTF-8')
