"""GET /v2/schemas/{member,members,image,images}: Glance 33's documents."""

import flask
import flask.views
import flask_smorest

from glance_members.schemas import documents

blp = flask_smorest.Blueprint('schemas', __name__, url_prefix='/v2/schemas',
                              description='JSON-Schema documents')


@blp.route('/<any(member, members, image, images):name>',
           methods=['GET'])
@blp.response(200, {'type': 'object'},
              description='Glance 33\'s JSON-Schema document')
def show_schema(name):
    return flask.Response(documents.raw(name), status=200,
                          content_type='application/json')
