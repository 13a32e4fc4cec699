"""Documents the unversioned answers (version discovery, the health check)
in /openapi.json; api/versions.py and health.py build the bodies."""

from marshmallow import fields
import marshmallow


class LinkSchema(marshmallow.Schema):
    rel = fields.String(required=True)
    href = fields.String(required=True)


class VersionSchema(marshmallow.Schema):
    id = fields.String(required=True)
    status = fields.String(required=True)
    links = fields.List(fields.Nested(LinkSchema), required=True)


class VersionsSchema(marshmallow.Schema):
    versions = fields.List(fields.Nested(VersionSchema), required=True)


class HealthcheckSchema(marshmallow.Schema):
    """oslo.middleware's healthcheck body, when JSON is asked for."""

    class Meta:
        unknown = marshmallow.INCLUDE  # `detailed` adds more keys

    detailed = fields.Boolean(required=True)
    reasons = fields.List(fields.String(), required=True)


# Registered as components, which operations() refers to.
SCHEMAS = {'Versions': VersionsSchema, 'Healthcheck': HealthcheckSchema}


def _ref(name):
    return {'$ref': '#/components/schemas/%s' % name}


def _text_or(schema):
    content = {'text/plain': {'schema': {'type': 'string'}},
               'text/html': {'schema': {'type': 'string'}}}
    content['application/json'] = {'schema': schema}
    return content


def operations():
    """{path: {method: operation}} of the routes outside the blueprints."""
    discovery = {'content': {'application/json': {
        'schema': _ref('Versions')}}}
    health = _text_or(_ref('Healthcheck'))
    return {
        '/versions': {'get': {'summary': 'The API versions', 'responses': {
            '200': dict(discovery, description='OK')}}},
        '/': {'get': {
            'summary': 'Any path naming no known version',
            'responses': {'300': dict(discovery,
                                      description='Multiple Choices')}}},
        '/v2': {'get': {
            'summary': 'The bare version: a redirect to /v2/',
            'responses': {
                '302': {'description': 'Found (empty body, Location: '
                                       '/v2/)'},
                'default': {'$ref': '#/components/responses/DEFAULT_ERROR'},
            }}},
        '/healthcheck': {'get': {
            'summary': "oslo.middleware's health check, no token",
            'responses': {
                '200': {'description': 'Available', 'content': health},
                '503': {'description': 'Unavailable or drained',
                        'content': health}}}},
        '/openapi.json': {'get': {'summary': 'This document', 'responses': {
            '200': {'description': 'OK', 'content': {'application/json': {
                'schema': {'type': 'object'}}}}}}},
    }
