"""Helpers for the functional suite: a persona-aware client, Glance's
(WebOb's) error bodies, and a few ready-made sharing fixtures.

Expected bodies are what a real Glance 33.0.0 answered to the same
requests (captured when these tests were written; the texts are the literals
in the tests, tests/glance-33-facts.md §3.7 gives the three body formats),
not derived from the service's own code.
"""

import json
import re

import pytest

from tests import conftest as root_conftest
from testbed import personas
from tests.support import glance_errors

PRODUCER = personas.PRODUCER_PROJECT
CONSUMER = personas.CONSUMER_PROJECT
CONSUMER2 = personas.CONSUMER2_PROJECT
OUTSIDER = personas.OUTSIDER_PROJECT
ADMIN = personas.ADMIN_PROJECT
RND = '0b5c8e4e-2f43-4a36-9d6e-6f1bb2c3d111'  # an image id nobody has

TIMESTAMP = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$')
REQUEST_ID = re.compile(
    r'^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
UUID = re.compile(
    r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')

MEMBER_KEYS = ['member_id', 'image_id', 'status', 'created_at', 'updated_at',
               'schema']
IMAGE_KEYS = ['name', 'disk_format', 'container_format', 'visibility', 'size',
              'virtual_size', 'status', 'checksum', 'protected', 'min_ram',
              'min_disk', 'owner', 'os_hidden', 'os_hash_algo',
              'os_hash_value', 'id', 'created_at', 'updated_at', 'tags',
              'self', 'file', 'schema']
PATCH_V21 = 'application/openstack-images-v2.1-json-patch'
PATCH_V20 = 'application/openstack-images-v2.0-json-patch'
ACCEPT_PATCH = ('application/openstack-images-v2.0-json-patch, '
                'application/openstack-images-v2.1-json-patch')
NOT_AUTHENTICATED = (
    'This server could not verify that you are authorized to access the '
    'document you requested. Either you supplied the wrong credentials '
    '(e.g., bad password), or your browser does not understand how to '
    'supply the credentials required.')

make_app = root_conftest.make_app


def assert_error(response, code, message, fmt='json', request_id=True):
    """Status, Content-Type and the exact body of a WebOb error."""
    body = response.get_data(as_text=True)
    assert response.status_code == code, (response.status_code, body)
    if fmt == 'json':
        assert response.headers['Content-Type'] == 'application/json'
        assert body == glance_errors.json_error(code, message)
    elif fmt == 'html':
        assert response.headers['Content-Type'] == 'text/html; charset=UTF-8'
        assert body == glance_errors.html_error(code, message)
    elif fmt == 'text':
        assert response.headers['Content-Type'] == \
            'text/plain; charset=UTF-8'
        assert body == glance_errors.text_error(code, message)
    else:  # pragma: no cover
        raise AssertionError(fmt)
    if request_id:
        assert REQUEST_ID.match(response.headers['x-openstack-request-id'])


def assert_sharing_error(response, code, message, failures=None):
    """A /sharing/v1 error: Glance's JSON keys, the message in plain
    text (no WebOb markup), and a refused batch's pairs as data."""
    assert response.status_code == code, (response.status_code,
                                          response.data)
    assert response.headers['Content-Type'] == 'application/json'
    expected = {'message': message, 'code': glance_errors.status_line(code),
                'title': glance_errors.TITLES[code]}
    if failures is not None:
        expected['failures'] = failures
    assert response.json == expected
    assert '<' not in response.json['message']
    assert REQUEST_ID.match(response.headers['x-openstack-request-id'])


def assert_member(member, image_id, member_id, status):
    assert list(member) == MEMBER_KEYS
    assert member['member_id'] == member_id
    assert member['image_id'] == image_id
    assert member['status'] == status
    assert TIMESTAMP.match(member['created_at'])
    assert TIMESTAMP.match(member['updated_at'])
    assert member['schema'] == '/v2/schemas/member'


def assert_json_ok(response, code=200):
    assert response.status_code == code, (response.status_code,
                                          response.data)
    assert response.headers['Content-Type'] == 'application/json'
    assert REQUEST_ID.match(response.headers['x-openstack-request-id'])


# --- a client that speaks as a persona -------------------------------------

_NOTHING = object()


class Api:
    """Thin wrapper on the Flask test client: `who` is a persona name (or
    None for no token), `accept` the Accept header (None: no header)."""

    def __init__(self, client):
        self.client = client

    def call(self, method, path, who='producer', body=_NOTHING, data=None,
             accept='application/json', content_type=_NOTHING, headers=None):
        hdrs = {}
        if who is not None:
            hdrs['X-Auth-Token'] = personas.token(who)
        if accept is not None:
            hdrs['Accept'] = accept
        if body is not _NOTHING:
            data = json.dumps(body)
            if content_type is _NOTHING:
                content_type = 'application/json'
        if content_type is not _NOTHING and content_type is not None:
            hdrs['Content-Type'] = content_type
        hdrs.update(headers or {})
        return self.client.open(path, method=method, headers=hdrs, data=data)

    def get(self, path, **kw):
        return self.call('GET', path, **kw)

    def post(self, path, **kw):
        return self.call('POST', path, **kw)

    def put(self, path, **kw):
        return self.call('PUT', path, **kw)

    def patch(self, path, changes=_NOTHING, content_type=PATCH_V21, **kw):
        return self.call('PATCH', path, body=changes,
                         content_type=content_type, **kw)

    def delete(self, path, **kw):
        return self.call('DELETE', path, **kw)

    # shortcuts for the happy paths tests build on

    def create_image(self, who='producer', **fields):
        body = {'name': 'img', 'disk_format': 'raw',
                'container_format': 'bare'}
        body.update(fields)
        r = self.post('/v2/images', who=who, body=body)
        assert r.status_code == 201, r.data
        return r.json

    def add_member(self, image_id, member, who='producer'):
        r = self.post('/v2/images/%s/members' % image_id, who=who,
                      body={'member': member})
        assert r.status_code == 200, r.data
        return r.json

    def set_status(self, image_id, member, status, who='consumer'):
        r = self.put('/v2/images/%s/members/%s' % (image_id, member),
                     who=who, body={'status': status})
        assert r.status_code == 200, r.data
        return r.json

    def set_visibility(self, image_id, visibility, who='producer'):
        r = self.patch('/v2/images/%s' % image_id, who=who, changes=[
            {'op': 'replace', 'path': '/visibility', 'value': visibility}])
        assert r.status_code == 200, r.data
        return r.json

    def list_ids(self, who='producer', query=''):
        r = self.get('/v2/images' + query, who=who)
        assert r.status_code == 200, r.data
        return [i['id'] for i in r.json['images']]


@pytest.fixture
def api(client):
    return Api(client)


@pytest.fixture
def shared_id(api):
    """A shared image of the producer with the consumer as pending member."""
    image = api.create_image(name='fx-shared')
    api.add_member(image['id'], CONSUMER)
    return image['id']


@pytest.fixture
def private(api):
    return api.create_image(name='fx-private', visibility='private')['id']


@pytest.fixture
def make_api(tmp_path):
    """An Api on an app built with config overrides."""
    counter = iter(range(1000))

    def factory(**overrides):
        app = make_app(str(tmp_path / ('data-%d' % next(counter))),
                       **overrides)
        return Api(app.test_client())
    return factory


@pytest.fixture
def named_personas():
    """name(api, {project_id: name}): the app's token file with those
    project names (and each of their users named after its id, less the
    `u-`); the personas' own file is put back afterwards (on PostgreSQL
    and MariaDB the file outlives the app)."""
    import yaml
    from glance_members import conf as gm_conf
    written = []

    def write(path, document):
        with open(path, 'w') as f:
            yaml.safe_dump(document, f)

    def name(api, names):
        conf = api.client.application.extensions['glance_members'].conf
        path = gm_conf.token_file(conf)
        # Copies: the document's identities are the personas' own dicts.
        document = {token: dict(identity) for token, identity in
                    personas.token_file_document().items()}
        for identity in document.values():
            if identity.get('project_id') in names:
                identity['project_name'] = names[identity['project_id']]
                identity['user_name'] = identity['user_id'][2:]
        written.append(path)
        write(path, document)
    yield name
    for path in written:
        write(path, personas.token_file_document())
