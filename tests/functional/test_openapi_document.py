"""The served /openapi.json is a promise: every documented operation's
real responses, success and error, are in it.

Each case below makes a real request; its response must be one the
document lists for that operation (its status, or `default`), with a
documented content type, and a JSON body must validate against the
documented schema. Errors are checked in each format WebOb renders (JSON,
and the plain text clients get by default). A further test holds the cases
to the document: every operation has a success case and an error case, so
a new route cannot go undocumented or untested here.
"""

import dataclasses
import json

import jsonschema
import openapi_spec_validator
import pytest

from tests.functional.conftest import CONSUMER
from tests.functional.conftest import CONSUMER2
from tests.functional.conftest import PATCH_V21
from tests.functional.conftest import PRODUCER

# Operations no request can make fail (discovery answers any path).
NEVER_FAIL = {('/versions', 'GET'), ('/', 'GET'), ('/openapi.json', 'GET')}
MISSING = '0b3f8a4e-1111-4222-8333-944455556666'
OCTET = 'application/octet-stream'


@dataclasses.dataclass
class Case:
    path: str            # the document's path template
    method: str
    status: int
    who: str = 'producer'
    body: object = None  # JSON, or bytes sent as they are
    content_type: str = None
    # The world the request meets: see _prepare.
    setup: str = 'shared'
    headers: dict = None

    @property
    def id(self):
        return '%s %s %d' % (self.method, self.path, self.status)


CASES = [
    Case('/versions', 'GET', 200, who=None, setup='none'),
    Case('/', 'GET', 300, who=None, setup='none'),
    Case('/v2', 'GET', 302, setup='none'),
    Case('/v2', 'GET', 401, who=None, setup='none'),
    Case('/healthcheck', 'GET', 200, who=None, setup='none'),
    Case('/healthcheck', 'GET', 503, who=None, setup='drained'),
    Case('/openapi.json', 'GET', 200, who=None, setup='none'),
    Case('/v2/schemas/{name}', 'GET', 200, setup='none'),
    Case('/v2/schemas/{name}', 'GET', 400, body={}, setup='none'),
    Case('/v2/images', 'GET', 200, setup='none'),
    Case('/v2/images', 'GET', 400, setup='bad_limit'),
    Case('/v2/images', 'POST', 201, body={'name': 'doc', 'tags': ['t']}),
    Case('/v2/images', 'POST', 400, body={'visibility': 'bogus'}),
    Case('/v2/images/{image_id}', 'GET', 200),
    Case('/v2/images/{image_id}', 'GET', 404, setup='missing'),
    Case('/v2/images/{image_id}', 'PATCH', 200, content_type=PATCH_V21,
         body=[{'op': 'add', 'path': '/x_doc', 'value': 'v'}]),
    Case('/v2/images/{image_id}', 'PATCH', 415, content_type='text/plain',
         body=[]),
    Case('/v2/images/{image_id}', 'DELETE', 204),
    Case('/v2/images/{image_id}', 'DELETE', 404, setup='missing'),
    Case('/v2/images/{image_id}/file', 'GET', 200, setup='active'),
    Case('/v2/images/{image_id}/file', 'GET', 206, setup='active',
         headers={'Range': 'bytes=2-5'}),
    Case('/v2/images/{image_id}/file', 'GET', 204),
    Case('/v2/images/{image_id}/file', 'GET', 404, setup='missing'),
    Case('/v2/images/{image_id}/file', 'PUT', 204, body=b'0123456789',
         content_type=OCTET),
    Case('/v2/images/{image_id}/file', 'PUT', 415, body=b'0123456789',
         content_type='text/plain'),
    Case('/v2/images/{image_id}/actions/deactivate', 'POST', 204,
         setup='active'),
    Case('/v2/images/{image_id}/actions/deactivate', 'POST', 403),
    Case('/v2/images/{image_id}/actions/reactivate', 'POST', 204,
         setup='deactivated'),
    Case('/v2/images/{image_id}/actions/reactivate', 'POST', 404,
         setup='missing'),
    Case('/v2/images/{image_id}/members', 'GET', 200),
    Case('/v2/images/{image_id}/members', 'GET', 404, setup='missing'),
    Case('/v2/images/{image_id}/members', 'POST', 200,
         body={'member': CONSUMER2}),
    Case('/v2/images/{image_id}/members', 'POST', 409,
         body={'member': CONSUMER}),
    Case('/v2/images/{image_id}/members/{member_id}', 'GET', 200),
    Case('/v2/images/{image_id}/members/{member_id}', 'GET', 404,
         setup='missing'),
    Case('/v2/images/{image_id}/members/{member_id}', 'PUT', 200,
         who='consumer', body={'status': 'accepted'}),
    Case('/v2/images/{image_id}/members/{member_id}', 'PUT', 400,
         who='consumer', body={'status': 'bogus'}),
    Case('/v2/images/{image_id}/members/{member_id}', 'DELETE', 204),
    Case('/v2/images/{image_id}/members/{member_id}', 'DELETE', 404,
         setup='missing'),
    Case('/v2/images/{image_id}/tags/{tag}', 'PUT', 204),
    Case('/v2/images/{image_id}/tags/{tag}', 'PUT', 404, setup='missing'),
    Case('/v2/images/{image_id}/tags/{tag}', 'DELETE', 204, setup='tagged'),
    Case('/v2/images/{image_id}/tags/{tag}', 'DELETE', 404),
    Case('/v2/info/import', 'GET', 200, setup='none'),
    Case('/v2/info/import', 'GET', 400, body={}, setup='none'),
    Case('/v2/info/stores', 'GET', 200, setup='none'),
    Case('/v2/info/stores', 'GET', 400, body={}, setup='none'),
    Case('/v2/info/stores/detail', 'GET', 200, who='admin', setup='none'),
    Case('/v2/info/stores/detail', 'GET', 403, setup='none'),
    Case('/v2/info/usage', 'GET', 200, setup='none'),
    Case('/v2/info/usage', 'GET', 400, body={}, setup='none'),
    # The sharing extension (/sharing/v1).
    Case('/sharing/v1/inbox', 'GET', 200, who='consumer'),
    Case('/sharing/v1/inbox', 'GET', 400, who='consumer', setup='bad_limit'),
    Case('/sharing/v1/inbox/decisions', 'POST', 200, who='consumer',
         body={'status': 'accepted', 'all_pending': True}),
    Case('/sharing/v1/inbox/decisions', 'POST', 400, who='consumer',
         body={'status': 'bogus'}),
    Case('/sharing/v1/inbox/{image_id}', 'DELETE', 204, who='consumer'),
    Case('/sharing/v1/inbox/{image_id}', 'DELETE', 404, who='consumer',
         setup='missing'),
    Case('/sharing/v1/trusted-producers', 'GET', 200, who='consumer'),
    Case('/sharing/v1/trusted-producers', 'GET', 400, who='consumer',
         setup='bad_limit'),
    Case('/sharing/v1/trusted-producers/{project_id}', 'PUT', 200,
         who='consumer', body={'accept_pending': True}),
    Case('/sharing/v1/trusted-producers/{project_id}', 'PUT', 400,
         who='consumer', body={'accept_pending': 'perhaps'}),
    Case('/sharing/v1/trusted-producers/{project_id}', 'DELETE', 204,
         who='consumer', setup='trusted'),
    Case('/sharing/v1/trusted-producers/{project_id}', 'DELETE', 404,
         who='consumer'),
    Case('/sharing/v1/shares', 'POST', 200,
         body={'images': ['{image_id}'], 'members': [CONSUMER2]}),
    Case('/sharing/v1/shares', 'POST', 400,
         body={'images': [], 'members': []}),
    Case('/sharing/v1/shares/revoke', 'POST', 200,
         body={'images': ['{image_id}'], 'members': [CONSUMER]}),
    Case('/sharing/v1/shares/revoke', 'POST', 400, body={}),
    Case('/sharing/v1/images/{image_id}/members/{member_id}', 'PATCH', 200,
         body={'expires_at': None}),
    Case('/sharing/v1/images/{image_id}/members/{member_id}', 'PATCH', 400,
         body={'expires_at': 'yesterday'}),
    Case('/sharing/v1/images/{image_id}/members', 'GET', 200),
    Case('/sharing/v1/images/{image_id}/members', 'GET', 404,
         setup='missing'),
    Case('/sharing/v1/images/{image_id}/history', 'GET', 200),
    Case('/sharing/v1/images/{image_id}/history', 'GET', 404,
         setup='missing'),
    Case('/sharing/v1/images/{image_id}/history', 'GET', 400,
         setup='shared_bad_limit'),
    Case('/sharing/v1/projects/{project_id}', 'GET', 200),
    Case('/sharing/v1/projects/{project_id}', 'GET', 403,
         who='producer_reader'),
    Case('/sharing/v1/history', 'GET', 200),
    Case('/sharing/v1/history', 'GET', 400, setup='bad_limit'),
]


def _prepare(api, setup):
    """The path parameters (and query) for a case's world."""
    params = {'name': 'image', 'member_id': CONSUMER, 'query': '',
              'project_id': PRODUCER, 'tag': 'doc-tag'}
    if setup == 'drained':
        conf = api.client.application.extensions['glance_members'].conf
        open(conf.healthcheck.disable_by_file_path, 'w').close()
    if setup in ('none', 'bad_limit', 'drained'):
        if setup == 'bad_limit':
            params['query'] = '?limit=-1'
        return params
    if setup == 'missing':
        return dict(params, image_id=MISSING)
    image = api.create_image(name='doc-shared')['id']
    api.add_member(image, CONSUMER)
    if setup in ('active', 'deactivated'):
        r = api.put('/v2/images/%s/file' % image, data=b'0123456789',
                    content_type=OCTET)
        assert r.status_code == 204, r.data
    if setup == 'trusted':
        r = api.put('/sharing/v1/trusted-producers/%s' % PRODUCER,
                    who='consumer', body={})
        assert r.status_code == 200, r.data
    if setup == 'tagged':
        r = api.put('/v2/images/%s/tags/%s' % (image, params['tag']))
        assert r.status_code == 204, r.data
    if setup == 'deactivated':
        r = api.post('/v2/images/%s/actions/deactivate' % image)
        assert r.status_code == 204, r.data
    if setup == 'shared_bad_limit':
        params['query'] = '?limit=-1'
    return dict(params, image_id=image)


def _filled(body, params):
    """A JSON body with the world's ids put into its '{image_id}'s."""
    if isinstance(body, dict):
        return {k: _filled(v, params) for k, v in body.items()}
    if isinstance(body, list):
        return [_filled(v, params) for v in body]
    return body.format(**params) if isinstance(body, str) else body


def _json_schema(node, document):
    """An OpenAPI 3.0 schema as plain JSON Schema: references inlined,
    `nullable` as a null type."""
    if isinstance(node, list):
        return [_json_schema(item, document) for item in node]
    if not isinstance(node, dict):
        return node
    if '$ref' in node:
        target = document
        for part in node['$ref'].lstrip('#/').split('/'):
            target = target[part]
        return _json_schema(target, document)
    schema = {key: _json_schema(value, document)
              for key, value in node.items() if key != 'nullable'}
    if node.get('nullable') and 'type' in schema:
        schema['type'] = [schema['type'], 'null']
        if 'enum' in schema:
            schema['enum'] = schema['enum'] + [None]
    return schema


def _documented_response(document, case, status):
    operation = document['paths'][case.path][case.method.lower()]
    responses = operation['responses']
    response = responses.get(str(status), responses.get('default'))
    assert response is not None, (case.id, 'status %d undocumented' % status)
    return _json_schema(response, document)


def check(document, case, response):
    spec = _documented_response(document, case, response.status_code)
    content = spec.get('content', {})
    if not response.data:
        return
    media_type = response.mimetype
    assert media_type in content, (case.id, response.status_code,
                                   media_type, sorted(content))
    schema = content[media_type].get('schema', {})
    if media_type == 'application/json':
        jsonschema.validate(json.loads(response.data), schema)
    else:
        assert schema.get('type') == 'string', (case.id, schema)


@pytest.fixture
def document(api):
    r = api.get('/openapi.json', who=None)
    assert r.status_code == 200
    return r.json


def test_the_document_is_valid_openapi(document):
    openapi_spec_validator.validate(document)


@pytest.mark.parametrize('case', CASES, ids=lambda c: c.id)
def test_real_responses_are_what_the_document_says(api, document, case):
    params = _prepare(api, case.setup)
    path = case.path.format(**params) + params['query']
    accepts = ['application/json']
    if case.status >= 400:
        accepts += [None, 'text/html']  # WebOb's plain text, and HTML
    for accept in accepts:
        kwargs = {'who': case.who, 'accept': accept,
                  'headers': case.headers}
        if isinstance(case.body, bytes):
            kwargs.update(data=case.body, content_type=case.content_type)
        elif case.body is not None:
            kwargs['body'] = _filled(case.body, params)
            if case.content_type:
                kwargs['content_type'] = case.content_type
        r = api.call(case.method, path, **kwargs)
        assert r.status_code == case.status, (case.id, r.status_code, r.data)
        check(document, case, r)
        if case.status < 400:
            break  # a success changed the world: do not repeat it


def test_every_documented_operation_has_a_success_and_an_error_case(
        document):
    documented = {(path, method.upper())
                  for path, operations in document['paths'].items()
                  for method in operations if method != 'parameters'}
    successes = {(c.path, c.method) for c in CASES if c.status < 400}
    errors = {(c.path, c.method) for c in CASES if c.status >= 400}
    assert documented == successes == errors | NEVER_FAIL


def test_every_documented_success_status_is_exercised(document):
    exercised = {(c.path, c.method, str(c.status)) for c in CASES}
    for path, operations in document['paths'].items():
        for method, operation in operations.items():
            if method == 'parameters':
                continue
            for status in operation['responses']:
                if status != 'default':
                    assert (path, method.upper(), status) in exercised
