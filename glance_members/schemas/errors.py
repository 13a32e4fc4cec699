"""Error wire format: WebOb's JSON body for an error, as Glance sends it.

Only documents /openapi.json: api/errors.py renders every error through
WebOb, which picks JSON, HTML or plain text (the default) from Accept.
"""

from marshmallow import fields
from marshmallow import validate
import marshmallow

MEDIA_TYPES = ('application/json', 'text/plain', 'text/html')


class ErrorSchema(marshmallow.Schema):
    """{"message": ..., "code": "404 Not Found", "title": "Not Found"}."""
    message = fields.String(required=True)
    code = fields.String(required=True, validate=validate.Regexp(
        r'^[1-5][0-9][0-9] .+$'), metadata={'example': '404 Not Found'})
    title = fields.String(required=True,
                          metadata={'example': 'Not Found'})


def error_response():
    """The OpenAPI response every operation may answer with."""
    content = {media_type: {'schema': {'type': 'string'}}
               for media_type in MEDIA_TYPES}
    content['application/json'] = {'schema': ErrorSchema}
    return {'description': 'An error, as Glance words it: WebOb\'s body in '
                           'the format Accept asks for (text/plain unless '
                           'JSON or HTML is preferred).',
            'content': content}
