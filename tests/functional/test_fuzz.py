"""Property-based fuzzing of every route, as every persona.

Raw WSGI requests (any method, path bytes, query string, headers and body)
go straight into the in-process app on a seeded database. Properties:

* never a 5xx (nor an exception escaping the app);
* every 4xx carries a WebOb-shaped body in the type WebOb picks from the
  Accept header (JSON {"message", "code", "title"}, text/plain, text/html);
* a 4xx leaves every row of every table exactly as it was, and so does any
  GET/HEAD/OPTIONS whatever its status;
* with no valid token, every /v2 request is a 401 (identity headers a client
  sends are never trusted);
* a 2xx JSON body is strict JSON (no NaN/Infinity).

Each example starts from the same seeded state (shared images with members
in every status, private, public, community, protected images), restored
after any example that changed it, so generated ids hit real objects.
"""

import datetime
import io
import json
import os
import urllib.parse

from hypothesis import given
from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st
import peewee
import pytest
import webob.acceptparse
import webob.exc
from werkzeug import test as wtest

from glance_members.db import models
from tests.conftest import make_app
from testbed import personas

# GM_FUZZ_SCALE=10 multiplies every example count (a deeper, slower hunt).
SCALE = float(os.environ.get('GM_FUZZ_SCALE', '1'))
FUZZ = settings(deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow,
                                       HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])

PATCH_V20 = 'application/openstack-images-v2.0-json-patch'
PATCH_V21 = 'application/openstack-images-v2.1-json-patch'
PROJECTS = [personas.PRODUCER_PROJECT, personas.CONSUMER_PROJECT,
            personas.CONSUMER2_PROJECT, personas.OUTSIDER_PROJECT,
            personas.ADMIN_PROJECT]
TOKENS = [tok for tok, _ in personas.PERSONAS.values()]
METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS',
           'TRACE', 'CONNECT', 'PROPFIND']
SAFE_METHODS = ('GET', 'HEAD', 'OPTIONS')


# --- the seeded world --------------------------------------------------------

class World:
    """The app, its database, the seeded ids and the seeded rows."""

    def __init__(self, app, backend='sqlite'):
        self.app = app
        self.backend = backend
        self.database = app.extensions['glance_members'].repo.database
        self.images = {}
        self.seed_rows = None

    @staticmethod
    def _models():
        """Every table: at least Image, ImageProperty, ImageTag and
        ImageMember, plus whatever models.ALL_MODELS lists (in foreign-key
        order, parents first)."""
        listed = list(models.ALL_MODELS)
        return listed + [m for m in (models.Image, models.ImageProperty,
                                     models.ImageTag, models.ImageMember)
                         if m not in listed]

    @staticmethod
    def _order(model):
        pk = model._meta.primary_key
        if isinstance(pk, peewee.CompositeKey):
            return [model._meta.fields[name] for name in pk.field_names]
        return [pk]

    def snapshot(self):
        """All rows of every data table, in a stable order."""
        data = [m for m in self._models() if m in models.DATA_MODELS]
        with self.database.bind_ctx(data):
            return {model._meta.table_name:
                    list(model.select().order_by(*self._order(model))
                         .tuples())
                    for model in data}

    def restore(self):
        with self.database.bind_ctx(self._models()):
            with self.database.atomic():
                for model in reversed(self._models()):
                    model.delete().execute()
                for model in self._models():
                    # Lock rows are not in the snapshot: left empty.
                    rows = self.seed_rows.get(model._meta.table_name)
                    if rows:
                        model.insert_many(
                            rows, fields=model._meta.sorted_fields).execute()

    def reset(self):
        if self.snapshot() != self.seed_rows:
            self.restore()
            assert self.snapshot() == self.seed_rows

    def call(self, persona, method, path, body=None, content_type=None):
        headers = {'X-Auth-Token': personas.token(persona),
                   'Accept': 'application/json'}
        if content_type:
            headers['Content-Type'] = content_type
        client = self.app.test_client()
        data = None if body is None else json.dumps(body)
        if data is not None and not content_type:
            headers['Content-Type'] = 'application/json'
        r = client.open(path, method=method, data=data, headers=headers)
        assert r.status_code < 300, (method, path, r.status_code, r.data)
        return r.json if r.data else None


def _seed(fuzz_world):
    def image(key, persona, **fields):
        body = dict({'name': key, 'disk_format': 'raw',
                     'container_format': 'bare'}, **fields)
        fuzz_world.images[key] = fuzz_world.call(persona, 'POST', '/v2/images',
                                                 body)['id']
        return fuzz_world.images[key]

    def share(image_id, project, status=None, by='producer'):
        fuzz_world.call(by, 'POST', '/v2/images/%s/members' % image_id,
                        {'member': project})
        if status is not None:
            persona = {personas.CONSUMER_PROJECT: 'consumer',
                       personas.CONSUMER2_PROJECT: 'consumer2',
                       personas.OUTSIDER_PROJECT: 'outsider'}[project]
            fuzz_world.call(persona, 'PUT', '/v2/images/%s/members/%s'
                            % (image_id, project), {'status': status})

    shared_id = image('shared', 'producer', tags=['t1', 'gold'],
                      x_prop='v', os_distro='ubuntu')
    share(shared_id, personas.CONSUMER_PROJECT, 'accepted')
    share(shared_id, personas.CONSUMER2_PROJECT)
    share(shared_id, personas.OUTSIDER_PROJECT, 'rejected')
    pending = image('pending', 'producer', min_ram=512)
    share(pending, personas.CONSUMER_PROJECT)
    share(pending, personas.CONSUMER2_PROJECT)
    fuzz_world.call('producer', 'DELETE', '/v2/images/%s/members/%s'
                    % (pending, personas.CONSUMER2_PROJECT))  # a deleted row
    image('private', 'producer', visibility='private')
    image('community', 'producer', visibility='community')
    image('hidden', 'producer', os_hidden=True)
    protected = image('protected', 'producer', protected=True)
    share(protected, personas.CONSUMER_PROJECT, 'accepted')
    image('public', 'admin', visibility='public', tags=['pub'])
    admin_shared = image('admin_shared', 'admin')
    share(admin_shared, personas.CONSUMER_PROJECT, 'accepted', by='admin')
    image('consumer_own', 'consumer', visibility='private')
    fuzz_world.seed_rows = fuzz_world.snapshot()


@pytest.fixture
def fuzz_world(tmp_path, gm_database):
    # Small quotas, so that 413s (and the rollback they imply) are reached.
    w = World(make_app(str(tmp_path / 'data'), image_member_quota=4,
                       image_property_quota=4, image_tag_quota=4),
              gm_database)
    _seed(w)
    return w


# --- sending raw requests and checking the properties ------------------------

class Req:
    """One raw request. `path` and `query` are WSGI strings (latin-1)."""

    def __init__(self, method, path, query='', headers=None, body=b'',
                 content_length='auto', input_terminated=False):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers or {}
        self.body = body
        self.content_length = content_length
        self.input_terminated = input_terminated

    def environ(self):
        env = {
            'REQUEST_METHOD': self.method, 'SCRIPT_NAME': '',
            'PATH_INFO': self.path, 'QUERY_STRING': self.query,
            'SERVER_NAME': 'localhost', 'SERVER_PORT': '80',
            'SERVER_PROTOCOL': 'HTTP/1.1', 'HTTP_HOST': 'localhost',
            'wsgi.version': (1, 0), 'wsgi.url_scheme': 'http',
            'wsgi.input': io.BytesIO(self.body), 'wsgi.errors': io.StringIO(),
            'wsgi.multithread': False, 'wsgi.multiprocess': False,
            'wsgi.run_once': False,
        }
        if self.input_terminated:  # as gunicorn for chunked bodies
            env['wsgi.input_terminated'] = True
        length = (str(len(self.body)) if self.body else None) \
            if self.content_length == 'auto' else self.content_length
        if length is not None:
            env['CONTENT_LENGTH'] = length
        for name, value in self.headers.items():
            key = name.upper().replace('-', '_')
            if key == 'CONTENT_TYPE':
                env['CONTENT_TYPE'] = value
            elif key != 'CONTENT_LENGTH':
                env['HTTP_' + key] = value
        return env

    def __repr__(self):
        return ('Req(%r, %r, query=%r, headers=%r, body=%r, '
                'content_length=%r, input_terminated=%r)' % (
                    self.method, self.path, self.query, self.headers,
                    self.body[:300], self.content_length,
                    self.input_terminated))


def send(app, req):
    app_iter, status, headers = wtest.run_wsgi_app(app, req.environ())
    try:
        body = b''.join(app_iter)
    finally:
        if hasattr(app_iter, 'close'):
            app_iter.close()
    return int(status.split(' ', 1)[0]), headers, body


def _no_nan(name):
    raise ValueError('non-standard JSON constant %s' % name)


def expected_error_type(accept):
    """The body type WebOb (hence Glance) picks for an error."""
    offers = webob.acceptparse.create_accept_header(accept or '') \
        .acceptable_offers(['text/html', 'application/json'])
    return offers[0][0] if offers else 'text/plain'


def check(fuzz_world, req):
    before = fuzz_world.snapshot()
    try:
        status, headers, body = send(fuzz_world.app, req)
    except Exception as e:  # a real server would answer 500
        raise AssertionError('%r crashed the app: %r' % (req, e)) from e
    after = fuzz_world.snapshot()
    assert status < 500, ('5xx', req, status, body[:500])
    if req.method in SAFE_METHODS:
        assert after == before, ('safe method changed data', req, status)
    token = req.headers.get('X-Auth-Token')
    # OPTIONS is a bare 200 with no auth, as Glance answers it; request
    # lines too long (414) or holding NUL (400) are refused before auth.
    malformed_line = '\x00' in req.path or '%00' in req.query or \
        not req.query.isascii()
    # Two framings (Content-Length and Transfer-Encoding) are refused
    # before anything else, as a server does, and the connection closed.
    environ = req.environ()
    two_framings = 'HTTP_TRANSFER_ENCODING' in environ and \
        bool(environ.get('CONTENT_LENGTH'))
    if two_framings:
        assert status == 400 and headers.get('Connection') == 'close', (
            'two framings but', req, status, body[:500])
        return
    if token not in TOKENS and req.path.startswith(('/v2/', '/sharing/v1/')) \
            and \
            req.method != 'OPTIONS' and status not in (300, 414) and \
            not (malformed_line and status == 400):
        assert status == 401, ('no token but', req, status, body[:500])
    if 400 <= status < 500:
        assert after == before, ('4xx changed data', req, status, body[:500])
        check_error_body(req, status, headers, body)
    elif 200 <= status < 300 and body and \
            headers.get('Content-Type', '').startswith('application/json'):
        json.loads(body, parse_constant=_no_nan)
    return status


def check_error_body(req, status, headers, body):
    if req.method == 'HEAD':
        assert body == b''
        return
    phrase = webob.exc.status_map[status].title  # WebOb's, as Glance's
    status_line = '%d %s' % (status, phrase)
    # /sharing answers JSON whatever the Accept, its message plain text
    # and a refused batch's pairs beside it.
    sharing = req.path == '/sharing' or req.path.startswith('/sharing/')
    expected = 'application/json' if sharing else \
        expected_error_type(req.headers.get('Accept'))
    content_type = headers.get('Content-Type', '')
    assert content_type.split(';')[0].strip() == expected, (
        req, status, content_type, body[:300])
    text = body.decode('utf-8')
    if expected == 'application/json':
        document = json.loads(text, parse_constant=_no_nan)
        keys = {'message', 'code', 'title'}
        if sharing:
            assert keys <= set(document) <= keys | {'failures'}, document
            assert '<br' not in document['message'], document
        else:
            assert set(document) == keys, document
        assert document['code'] == status_line, document
        assert document['title'] == phrase, document
        assert isinstance(document['message'], str), document
    elif expected == 'text/html':
        assert '<title>%s</title>' % status_line in text, text
    else:
        assert text.startswith(status_line + '\n\n'), text


# --- strategies --------------------------------------------------------------

_chars = st.one_of(
    st.characters(),                                   # anything but Cs
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),  # lone halves
    st.characters(min_codepoint=0x10000),              # 4-byte UTF-8
    st.sampled_from(['\x00', '"', '\\', '/', '~', '~0', '~1', ',', ':', '%',
                     ' ', '\u2028', '\ufeff', 'in:', 'os_glance']))
texts = st.lists(_chars, max_size=10).map(''.join)
short_texts = st.lists(_chars, max_size=4).map(''.join)
huge_ints = st.integers(min_value=-2 ** 80, max_value=2 ** 80)
numbers = st.one_of(
    st.integers(min_value=-3, max_value=3), huge_ints,
    st.sampled_from([2 ** 31 - 1, 2 ** 31, 2 ** 63 - 1, 2 ** 63, -2 ** 63,
                     2 ** 64, 10 ** 40]),
    st.floats(allow_nan=True, allow_infinity=True))
json_scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
KEYS = ['name', 'visibility', 'disk_format', 'container_format', 'tags',
        'protected', 'min_ram', 'min_disk', 'owner', 'id', 'os_hidden',
        'member', 'status', 'op', 'path', 'value', 'add', 'remove', 'replace',
        'locations', 'self', 'file', 'schema', 'size', 'checksum', 'deleted',
        'os_glance_x', 'x_prop', 'kernel_id', 'description']
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), short_texts),
                        children, max_size=4)),
    max_leaves=12)
image_ids_seeded = st.sampled_from(['shared', 'pending', 'private',
                                    'community', 'hidden', 'protected',
                                    'public', 'admin_shared', 'consumer_own'])

VISIBILITY_VALUES = ['public', 'private', 'shared', 'community', 'all', '',
                     'Public', 'bogus']
STATUS_VALUES = ['pending', 'accepted', 'rejected', 'all', 'Accepted', '',
                 'deleted']
PATCH_PATHS = ['/name', '/visibility', '/tags', '/owner', '/protected',
               '/min_ram', '/min_disk', '/os_hidden', '/disk_format',
               '/container_format', '/x_prop', '/new_prop', '/os_distro',
               '/locations', '/locations/0', '/locations/-', '/status',
               '/id', '/size', '/os_glance_x', '/deleted', '/self', '/',
               '//', '/a/b', 'name', '/~2', '/x~', '/ name', '/tags/0']


def _value_for(path):
    name = path.strip('/')
    targeted = {
        'name': st.one_of(texts, st.just('x' * 256)),
        'visibility': st.sampled_from(VISIBILITY_VALUES),
        'tags': st.lists(st.one_of(texts, st.just('t' * 256)), max_size=4),
        'owner': st.sampled_from(PROJECTS + ['', 'o' * 256]),
        'protected': st.booleans(), 'os_hidden': st.booleans(),
        'min_ram': numbers, 'min_disk': numbers,
        'disk_format': st.sampled_from(['raw', 'qcow2', 'iso', 'bogus', '']),
        'container_format': st.sampled_from(['bare', 'ovf', 'bogus']),
    }.get(name, st.one_of(texts, st.just('v' * 70000)))
    return st.one_of(targeted, json_values)


@st.composite
def patch_documents(draw):
    ops = []
    for _ in range(draw(st.integers(0, 4))):
        path = draw(st.one_of(st.sampled_from(PATCH_PATHS), texts,
                              json_values))
        op = draw(st.sampled_from(['add', 'remove', 'replace', 'move',
                                   'test', None]))
        dialect = draw(st.sampled_from(['v2.1', 'v2.0']))
        change = {}
        if dialect == 'v2.1':
            if op is not None:
                change['op'] = op
            if draw(st.integers(0, 9)):
                change['path'] = path
        elif op is not None:
            change[op] = path
        if draw(st.integers(0, 4)):
            change['value'] = draw(_value_for(path) if isinstance(path, str)
                                   else json_values)
        if draw(st.integers(0, 9)) == 0:
            change[draw(st.sampled_from(KEYS))] = draw(json_values)
        ops.append(change)
    return ops


image_create_documents = st.fixed_dictionaries({}, optional={
    'name': st.one_of(texts, st.none(), json_values),
    'visibility': st.one_of(st.sampled_from(VISIBILITY_VALUES), json_values),
    'disk_format': st.sampled_from(['raw', 'qcow2', 'bogus', None]),
    'container_format': st.sampled_from(['bare', 'ovf', 'bogus', None]),
    'tags': st.one_of(st.lists(texts, max_size=4), json_values),
    'protected': st.one_of(st.booleans(), json_values),
    'os_hidden': st.one_of(st.booleans(), json_values),
    'min_ram': numbers, 'min_disk': numbers,
    'owner': st.one_of(st.sampled_from(PROJECTS), texts, json_values),
    'id': st.one_of(st.uuids().map(str), st.uuids().map(
        lambda u: str(u).upper()), texts),
    'x_prop': st.one_of(texts, json_values),
    'os_glance_x': texts, 'status': st.just('active'),
    'locations': st.just([]), 'self': texts, 'size': numbers,
    'deleted': st.booleans(),
})
member_create_documents = st.one_of(
    st.fixed_dictionaries({'member': st.one_of(
        st.sampled_from(PROJECTS), texts, st.just('m' * 256),
        json_values)}),
    st.dictionaries(st.sampled_from(KEYS), json_values, max_size=3))
member_update_documents = st.one_of(
    st.fixed_dictionaries({'status': st.one_of(
        st.sampled_from(STATUS_VALUES), json_values)}),
    st.dictionaries(st.sampled_from(KEYS), json_values, max_size=3))


@st.composite
def encode_json(draw, documents):
    """A document as the bytes a client (or an attacker) would send:
    ASCII with \\u escapes (so lone surrogates reach the parser), raw UTF-8
    (lone surrogates as invalid bytes), UTF-16, or with a BOM."""
    document = draw(documents)
    ensure_ascii = draw(st.booleans())
    text = json.dumps(document, ensure_ascii=ensure_ascii)
    encoding = draw(st.sampled_from(['utf-8', 'utf-8', 'utf-8', 'utf-16',
                                     'utf-8-sig']))
    return text.encode(encoding, 'surrogatepass')


SPECIAL_BODIES = [
    b'null', b'"member"', b'1', b'1e400', b'-0', b'true', b'[]', b'{}',
    b'NaN', b'{"member": NaN}', b'{"status": Infinity}', b'{"a": 1,}',
    b'[' * 100000, b'{"a":' * 3000 + b'1' + b'}' * 3000,
    b'[' * 40 + b']' * 40, b'{"member": "' + b'x' * 70000 + b'"}',
    b'{"member": "\\ud800"}', b'{"member": "\xed\xa0\x80"}',
    b'{"member": "a\\u0000b"}', b'{"status": "\\udfff"}', b'\xff\xfe\x00',
    b'\xef\xbb\xbf{"member": "x"}', b'{"member": 1e999}',
    b'[{"op": "replace", "path": "/name", "value": "\\ud83d"}]',
    b'[{"op": "add", "path": "/x", "value": "\\ud83d\\ude00"}]',
    b'{"name": 123456789012345678901234567890}',
    b'{"min_ram": 1' + b'0' * 5000 + b'}',
]
raw_bodies = st.one_of(st.binary(max_size=64), st.sampled_from(SPECIAL_BODIES))
any_json_body = encode_json(json_values)


def bodies_for(route, method):
    if method not in ('POST', 'PUT', 'PATCH'):
        return st.one_of(st.just(b''), st.just(b''), raw_bodies,
                         any_json_body)
    targeted = {
        ('images', 'POST'): image_create_documents,
        ('image', 'PATCH'): patch_documents(),
        ('members', 'POST'): member_create_documents,
        ('member', 'PUT'): member_update_documents,
    }.get((route, method))
    choices = [st.just(b''), raw_bodies, any_json_body]
    if targeted is not None:
        choices += [encode_json(targeted)] * 4
    return st.one_of(*choices)


def _latin1(text):
    """A str as it reaches WSGI: its UTF-8 bytes read as latin-1."""
    return text.encode('utf-8', 'surrogatepass').decode('latin-1')


junk_segments = st.one_of(
    texts.map(_latin1),
    st.binary(max_size=8).map(lambda b: b.decode('latin-1')),
    st.sampled_from(['', '.', '..', '%', '%zz', '%00', '%2F', '%ff', ' ',
                     'x' * 300, 'x' * 17000, '\x00']))


@st.composite
def image_ids(draw, world_images):
    kind = draw(st.integers(0, 9))
    if kind <= 5:
        return world_images[draw(image_ids_seeded)]
    if kind == 6:
        return world_images[draw(image_ids_seeded)].upper()
    if kind == 7:
        return str(draw(st.uuids()))
    return draw(junk_segments)


member_ids = st.one_of(st.sampled_from(PROJECTS), st.sampled_from(PROJECTS),
                       st.sampled_from(PROJECTS).map(str.upper),
                       junk_segments)

ROUTES = ['root', 'versions', 'images', 'image', 'members', 'member',
          'schema', 'file', 'tag', 'info', 'other']
tag_values = st.one_of(st.sampled_from(['t1', 'gold', 'pub', 'nope', 'x' * 255,
                                        'x' * 256, '%F0%9F%98%80', '%20']),
                       junk_segments)


@st.composite
def paths(draw, route, world_images):
    img = draw(image_ids(world_images))
    prefix = draw(st.sampled_from(
        ['/v2'] * 12 + ['/v2.17', '/v2.1', '/v2.99', '/v3', '/V2']))
    if route == 'root':
        return draw(st.sampled_from(['/', '', '/v2', '/v2/', '/v1']))
    if route == 'versions':
        return draw(st.sampled_from(['/versions', '/versions/']))
    if route == 'images':
        return prefix + draw(st.sampled_from(['/images', '/images/']))
    if route == 'image':
        return '%s/images/%s' % (prefix, img)
    if route == 'members':
        return '%s/images/%s/members' % (prefix, img) + draw(
            st.sampled_from(['', '', '/']))
    if route == 'member':
        return '%s/images/%s/members/%s' % (prefix, img, draw(member_ids))
    if route == 'schema':
        return '%s/schemas/%s' % (prefix, draw(st.one_of(st.sampled_from(
            ['image', 'images', 'member', 'members', 'bogus', 'member/']),
            junk_segments)))
    if route == 'file':
        return '%s/images/%s/file' % (prefix, img)
    if route == 'tag':
        return '%s/images/%s/tags/%s' % (prefix, img, draw(tag_values))
    if route == 'info':
        return prefix + draw(st.sampled_from(
            ['/info/import', '/info/stores', '/info/stores/detail',
             '/info/usage', '/info', '/info/', '/info/stores/', '/info/x']))
    return '/' + '/'.join(draw(st.lists(junk_segments, max_size=4)))


ROUTE_METHODS = {
    'root': ['GET'], 'versions': ['GET'], 'images': ['GET', 'POST'],
    'image': ['GET', 'PATCH', 'DELETE'], 'members': ['GET', 'POST'],
    'member': ['GET', 'PUT', 'DELETE'], 'schema': ['GET'],
    'file': ['GET', 'PUT'], 'tag': ['PUT', 'DELETE'], 'info': ['GET'],
    'other': ['GET'],
}

QUERY_KEYS = ['limit', 'marker', 'sort', 'sort_key', 'sort_dir',
              'visibility', 'member_status', 'os_hidden', 'protected',
              'created_at', 'updated_at', 'size_min', 'size_max',
              'min_ram_min', 'name_max', 'name', 'id', 'status', 'owner',
              'tag', 'checksum', 'disk_format', 'container_format',
              'changes-since', 'min_ram', 'os_distro', 'x_prop', 'foo']


@st.composite
def iso_times(draw):
    """ISO 8601 times, extremes of the datetime range and of UTC offsets
    included."""
    moment = draw(st.one_of(
        st.datetimes(),
        st.sampled_from([datetime.datetime.min, datetime.datetime.max,
                         datetime.datetime(1, 1, 1, 12),
                         datetime.datetime(9999, 12, 31, 12),
                         datetime.datetime(2020, 1, 1)])))
    text = moment.isoformat(timespec=draw(st.sampled_from(
        ['seconds', 'seconds', 'microseconds', 'minutes'])))
    offset = draw(st.one_of(
        st.none(), st.just('Z'), st.sampled_from(['+23:59', '-23:59']),
        st.integers(-1439, 1439).map(
            lambda m: '%s%02d:%02d' % ('-' if m < 0 else '+',
                                       abs(m) // 60, abs(m) % 60))))
    return text + (offset or '')


iso_filters = st.one_of(
    st.tuples(st.sampled_from(['', 'gt:', 'gte:', 'lt:', 'lte:', 'eq:',
                               'neq:', 'foo:']), iso_times()).map(''.join),
    st.sampled_from(['eq:2020-13-01T00:00:00Z', 'gt:', 'gt:now',
                     'neq:2020-01-01', 'gt:2020-W01', 'gt:20200101']))


@st.composite
def query_value(draw, key, world_images):
    targeted = {
        'limit': st.one_of(st.integers(-2, 30).map(str),
                           st.sampled_from(['1000', '1001', '0', '1.5',
                                            '9' * 30, ' 3', '0x10',
                                            str(2 ** 63)])),
        'marker': st.one_of(image_ids_seeded.map(world_images.get),
                            st.uuids().map(str), texts),
        'sort': st.sampled_from(['name', 'name:asc', 'name:asc,size:desc',
                                 'size:up', 'bogus', ',', 'name:', ':asc',
                                 'created_at:asc,id', 'id:desc,id:asc']),
        'sort_key': st.sampled_from(['name', 'size', 'id', 'created_at',
                                     'status', 'bogus', '', 'min_ram']),
        'sort_dir': st.sampled_from(['asc', 'desc', 'ASC', '', 'up']),
        'visibility': st.sampled_from(VISIBILITY_VALUES),
        'member_status': st.sampled_from(STATUS_VALUES),
        'os_hidden': st.sampled_from(['true', 'false', 'True', 'FALSE', '1',
                                      '']),
        'protected': st.sampled_from(['true', 'false', 'True', '1', '']),
        'created_at': iso_filters,
        'updated_at': iso_filters,
        'size_min': st.one_of(numbers.map(str), texts),
        'name': st.sampled_from(['in:shared,private', 'in:"a,b",c',
                                 'in:"unclosed', 'in:a"b', 'in:', 'eq:shared',
                                 'gte:a', 'shared', 'in:"a"x,b',
                                 'in:a,"b"', 'in:\\"', 'in:,,,']),
        'id': st.one_of(image_ids_seeded.map(lambda k: 'in:' + k),
                        st.sampled_from(['in:', 'neq:x'])),
        'tag': st.sampled_from(['t1', 'gold', 'pub', '', ' t1 ', 'nope']),
    }.get(key)
    choices = [texts]
    if targeted is not None:
        choices = [targeted, targeted, texts]
    return draw(st.one_of(*choices))


@st.composite
def query_strings(draw, world_images):
    pairs = []
    for _ in range(draw(st.integers(0, 5))):
        key = draw(st.one_of(st.sampled_from(QUERY_KEYS),
                             st.sampled_from(QUERY_KEYS),
                             short_texts))
        pairs.append((key, draw(query_value(key, world_images))))
    encoded = '&'.join(
        '%s=%s' % (_quote(k), _quote(v)) for k, v in pairs)
    junk = draw(st.sampled_from(['', '', '', '&', '&&', '=x', '%zz', '%ff',
                                 'a', 'limit', 'limit=', '&%00=%00',
                                 'q=' + 'x' * 17000]))
    return _latin1(encoded + ('&' if encoded and junk else '') + junk)


def _quote(text):
    return urllib.parse.quote(text.encode('utf-8', 'surrogatepass'),
                              safe=':,"\\')


tokens = st.one_of(*[st.sampled_from(TOKENS)] * 6, st.none(),
                   st.sampled_from(['', 'tok-bogus', ' tok-producer',
                                    'tok-producer ']))
accepts = st.one_of(st.sampled_from([
    None, 'application/json', 'application/json', 'text/html', 'text/plain',
    '*/*', 'application/xml', 'application/json;q=0, text/html',
    'text/*', 'application/*', 'application/json;q=0.1, text/plain;q=0.9',
    'image/png', '', ',', ';;;', 'application/json; charset=utf-8']),
    texts.map(_latin1))
content_types = st.one_of(st.sampled_from([
    None, 'application/json', 'application/json; charset=UTF-8', PATCH_V20,
    PATCH_V21, PATCH_V21 + '; charset=UTF-8', PATCH_V20.upper(),
    'text/plain', 'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x', 'application/json-patch+json',
    '', ';']), short_texts.map(_latin1))
transfer_encodings = st.sampled_from([None, None, None, 'chunked', 'gzip',
                                      'identity', 'CHUNKED', 'bogus'])
spoofed_identity = st.dictionaries(
    st.sampled_from(['X-Identity-Status', 'X-Roles', 'X-Project-Id',
                     'X-User-Id', 'OpenStack-System-Scope', 'X-Tenant-Id',
                     'X-Role', 'X-Is-Admin-Project']),
    st.sampled_from(['Confirmed', 'admin', 'admin,member,reader',
                     personas.ADMIN_PROJECT, personas.PRODUCER_PROJECT,
                     'all', 'True']), max_size=3)


@st.composite
def headers(draw, method):
    h = {}
    token = draw(tokens)
    if token is not None:
        h['X-Auth-Token'] = token
    for name, strategy in (('Accept', accepts),
                           ('Content-Type', content_types),
                           ('Transfer-Encoding', transfer_encodings)):
        value = draw(strategy)
        if value is not None:
            h[name] = value
    if draw(st.integers(0, 4)) == 0:
        h.update(draw(spoofed_identity))
    if draw(st.integers(0, 9)) == 0:
        h['X-Openstack-Request-Id'] = draw(texts.map(_latin1))
    return h


@st.composite
def requests(draw, world_images, routes=ROUTES, methods=None):
    route = draw(st.sampled_from(routes))
    method = draw(st.one_of(
        st.sampled_from(methods or ROUTE_METHODS[route]),
        st.sampled_from(methods or ROUTE_METHODS[route]),
        st.sampled_from(METHODS),
        st.text('ABCDEFGHIJKLMNOPQRSTUVWXYZ', min_size=1, max_size=8)))
    h = draw(headers(method))
    body = draw(bodies_for(route, method))
    chunked = 'Transfer-Encoding' in h
    content_length = draw(st.sampled_from(
        ['auto'] * 6 + [None, '0', '-1', 'abc', '99999999999', '3']))
    if chunked and draw(st.booleans()):
        content_length = None
    if content_length not in ('auto', None, '0', '-1', 'abc') and \
            content_length == '3':
        content_length = str(min(3, len(body)))
    query = draw(query_strings(world_images)) if route in (
        'images', 'other') or draw(st.integers(0, 9)) == 0 else ''
    return Req(method, draw(paths(route, world_images)), query, h, body,
               content_length, input_terminated=chunked and draw(
                   st.booleans()))


# --- the fuzz tests ----------------------------------------------------------

@settings(FUZZ, max_examples=int(600 * SCALE))
@given(data=st.data())
def test_any_request_sequence(fuzz_world, data):
    """Short sequences of arbitrary requests against every route."""
    fuzz_world.reset()
    for req in data.draw(st.lists(requests(fuzz_world.images), min_size=1,
                                  max_size=3), label='requests'):
        check(fuzz_world, req)


@settings(FUZZ, max_examples=int(700 * SCALE))
@given(data=st.data())
def test_json_bodies(fuzz_world, data):
    """Bodies of every shape for the four routes that read one, as a
    persona that may get past policy (so validation is reached)."""
    fuzz_world.reset()
    route, method = data.draw(st.sampled_from([
        ('images', 'POST'), ('image', 'PATCH'), ('members', 'POST'),
        ('member', 'PUT')]), label='route')
    persona = data.draw(st.sampled_from(list(personas.PERSONAS)),
                        label='persona')
    content_type = {'PATCH': data.draw(st.one_of(
        st.sampled_from([PATCH_V21, PATCH_V20, PATCH_V21, PATCH_V20]),
        content_types), label='content_type')}.get(method, 'application/json')
    h = {'X-Auth-Token': personas.token(persona),
         'Accept': data.draw(accepts, label='accept')}
    if h['Accept'] is None:
        del h['Accept']
    if content_type:
        h['Content-Type'] = content_type
    body = data.draw(bodies_for(route, method), label='body')
    path = data.draw(paths(route, fuzz_world.images), label='path')
    check(fuzz_world, Req(method, path, '', h, body))


@settings(FUZZ, max_examples=int(400 * SCALE))
@given(data=st.data())
def test_list_queries(fuzz_world, data):
    """GET /v2/images with any query string, as every persona."""
    persona = data.draw(st.sampled_from(list(personas.PERSONAS)),
                        label='persona')
    query = data.draw(query_strings(fuzz_world.images), label='query')
    accept = data.draw(accepts, label='accept')
    h = {'X-Auth-Token': personas.token(persona)}
    if accept is not None:
        h['Accept'] = accept
    status = check(fuzz_world, Req('GET', '/v2/images', query, h))
    assert status in (None, 200, 400, 401, 403, 414), status


@settings(FUZZ, max_examples=int(150 * SCALE))
@given(data=st.data())
def test_every_persona_every_route(fuzz_world, data):
    """Well-formed requests on real objects: every persona meets every
    route's policy branches (404 hiding, 403, 409), not just the parsers."""
    fuzz_world.reset()
    persona = data.draw(st.sampled_from(list(personas.PERSONAS)),
                        label='persona')
    key = data.draw(image_ids_seeded, label='image')
    img = fuzz_world.images[key]
    member = data.draw(st.sampled_from(PROJECTS), label='member')
    method, path, body, content_type = data.draw(st.sampled_from([
        ('GET', '/v2/images/%s' % img, None, None),
        ('DELETE', '/v2/images/%s' % img, None, None),
        ('GET', '/v2/images/%s/members' % img, None, None),
        ('POST', '/v2/images/%s/members' % img, {'member': member}, None),
        ('GET', '/v2/images/%s/members/%s' % (img, member), None, None),
        ('PUT', '/v2/images/%s/members/%s' % (img, member),
         {'status': 'accepted'}, None),
        ('PUT', '/v2/images/%s/members/%s' % (img, member),
         {'status': 'rejected'}, None),
        ('PUT', '/v2/images/%s/members/%s' % (img, member),
         {'status': 'bogus'}, None),
        ('DELETE', '/v2/images/%s/members/%s' % (img, member), None, None),
        ('PUT', '/v2/images/%s/tags/gold' % img, None, None),
        ('DELETE', '/v2/images/%s/tags/t1' % img, None, None),
        ('GET', '/v2/info/stores/detail', None, None),
        ('PATCH', '/v2/images/%s' % img,
         [{'op': 'replace', 'path': '/name', 'value': 'renamed'}], PATCH_V21),
        ('PATCH', '/v2/images/%s' % img,
         [{'op': 'replace', 'path': '/visibility', 'value': 'public'}],
         PATCH_V21),
        ('PATCH', '/v2/images/%s' % img,
         [{'op': 'replace', 'path': '/visibility', 'value': 'community'}],
         PATCH_V21),
        ('PATCH', '/v2/images/%s' % img,
         [{'op': 'replace', 'path': '/visibility', 'value': 'private'}],
         PATCH_V21),
        ('PATCH', '/v2/images/%s' % img,
         [{'op': 'replace', 'path': '/owner',
           'value': personas.CONSUMER_PROJECT}], PATCH_V21),
        ('PATCH', '/v2/images/%s' % img,
         [{'op': 'replace', 'path': '/protected', 'value': False}],
         PATCH_V21),
        ('PATCH', '/v2/images/%s' % img,
         [{'op': 'add', 'path': '/x_prop', 'value': 'w'},
          {'op': 'remove', 'path': '/x_prop'},
          {'op': 'remove', 'path': '/x_prop'}], PATCH_V21),
        ('PATCH', '/v2/images/%s' % img,
         [{'add': '/x_prop', 'value': 'w'}], PATCH_V20),
        ('PATCH', '/v2/images/%s' % img,
         [{'op': 'replace', 'path': '/name', 'value': 'renamed'},
          {'op': 'replace', 'path': '/status', 'value': 'active'}],
         PATCH_V21),
        ('POST', '/v2/images', {'name': 'n', 'owner': member}, None),
        ('POST', '/v2/images', {'id': img}, None),
        ('GET', '/v2/images?member_status=all&visibility=shared', None,
         None),
        ('GET', '/v2/images?marker=%s' % img, None, None),
    ]), label='call')
    path, _, query = path.partition('?')
    h = {'X-Auth-Token': personas.token(persona),
         'Accept': data.draw(accepts, label='accept'),
         'Content-Type': content_type or 'application/json'}
    if h['Accept'] is None:
        del h['Accept']
    raw = b'' if body is None else json.dumps(body).encode()
    check(fuzz_world, Req(method, path, query, h, raw))


# --- regressions found by the fuzzer -----------------------------------------
# Each is the minimal failing example the fuzzer found, kept once the bug
# was fixed. An open bug goes here as a strict xfail (it XPASSes, failing
# the run, once fixed).

JSON_HEADERS = {'X-Auth-Token': personas.token('producer'),
                'Accept': 'application/json',
                'Content-Type': 'application/json'}


@pytest.fixture
def bare_world(app, gm_database):
    return World(app, gm_database)


def _assert_refused(fuzz_world, req, status=400):
    before = fuzz_world.snapshot()
    got, headers, body = send(fuzz_world.app, req)
    assert got == status, (got, body[:300])
    assert fuzz_world.snapshot() == before
    check_error_body(req, got, headers, body)


# Bug 1 (fixed by d9fe7e1 while this file was written): POST /v2/images
# with a JSON array body ran dict(document): [1] or [{"a": 1}] crashed (500)
# and [], ["ab"] or [["name", "x"]] created an image (201).
@pytest.mark.parametrize('body', [b'[1]', b'[{"a": 1}]', b'[[1, 2]]',
                                  b'[]', b'["ab"]', b'[["name", "x"]]'])
def test_regression_create_image_with_array_body(bare_world, body):
    _assert_refused(bare_world, Req('POST', '/v2/images', '', JSON_HEADERS,
                                    body))


# Bug 2 (fixed): a created_at/updated_at list filter whose UTC offset takes
# it past datetime's range (year 1 or 9999) answered 500 (OverflowError).
@pytest.mark.parametrize('query', [
    'created_at=0001-01-01T00:00:00%2B23:59',
    'created_at=gt:0001-01-01T00:00:00%2B01:00',
    'updated_at=lt:9999-12-31T23:59:59-14:00'])
def test_regression_time_filter_out_of_range(bare_world, query):
    _assert_refused(bare_world, Req('GET', '/v2/images', query, {
        'X-Auth-Token': personas.token('producer'),
        'Accept': 'application/json'}))


@pytest.mark.parametrize('method,path,query', [
    ('GET', '/v2/images', 'name=a%00b'),
    ('GET', '/v2/images', 'name=in:a%00b,c'),
    ('GET', '/v2/images', 'tag=%00'),
    ('GET', '/v2/images', 'owner=%00'),
    ('GET', '/v2/images', 'checksum=%00'),
    ('GET', '/v2/images', 'x_prop=%00'),
    ('GET', '/v2/images', '=%00'),
    ('GET', '/v2/images/{image}/members/a\x00b', ''),
    ('PUT', '/v2/images/{image}/members/a\x00b', ''),
    ('DELETE', '/v2/images/{image}/members/a\x00b', ''),
])
def test_regression_nul_reaches_database(fuzz_world, method, path, query):
    """Bug 3 (fixed by 1047c68 while this file was written): on PostgreSQL
    a NUL in a list filter value or in a member id reached psycopg
    (DataError: PostgreSQL text fields cannot contain NUL (0x00) bytes)
    and answered 500; SQLite answered 200 (no match) / 404. A NUL in the
    request line is now a 400 on both."""
    req = Req(method, path.format(image=fuzz_world.images['shared']), query,
              JSON_HEADERS, b'{"status": "accepted"}' if method == 'PUT'
              else b'')
    before = fuzz_world.snapshot()
    status, headers, body = send(fuzz_world.app, req)
    assert status in (200, 400, 404), (status, body[:300])
    assert fuzz_world.snapshot() == before
    if status >= 400:
        check_error_body(req, status, headers, body)


# --- the sharing extension (/sharing/v1) -------------------------------------

SHARING_KEYS = ['status', 'images', 'all_pending', 'members', 'expires_at',
                'accept_pending', 'name', 'domain']
sharing_values = st.recursive(
    st.one_of(json_scalars, st.sampled_from(PROJECTS),
              st.sampled_from(['accepted', 'pending', 'rejected',
                               '2099-01-01T00:00:00Z',
                               '2000-01-01T00:00:00Z'])),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(SHARING_KEYS),
                                  short_texts), children, max_size=4)),
    max_leaves=12)


@st.composite
def sharing_requests(draw, world_images):
    img = draw(image_ids(world_images))
    member = draw(member_ids)
    method, path = draw(st.sampled_from([
        ('GET', '/sharing/v1/inbox'), ('POST', '/sharing/v1/inbox/decisions'),
        ('DELETE', '/sharing/v1/inbox/' + img),
        ('GET', '/sharing/v1/trusted-producers'),
        ('PUT', '/sharing/v1/trusted-producers/' + member),
        ('DELETE', '/sharing/v1/trusted-producers/' + member),
        ('POST', '/sharing/v1/shares'), ('POST', '/sharing/v1/shares/revoke'),
        ('PATCH', '/sharing/v1/images/%s/members/%s' % (img, member)),
        ('GET', '/sharing/v1/images/%s/history' % img),
        ('GET', '/sharing/v1/images/%s/members' % img),
        ('GET', '/sharing/v1/projects/' + member),
        ('GET', '/sharing/v1/history'), ('GET', '/sharing'),
        (draw(st.sampled_from(METHODS)), '/sharing/v1/' + draw(texts.map(
            _latin1)))]))
    good = {'images': [world_images[draw(image_ids_seeded)]],
            'members': [draw(st.sampled_from(PROJECTS))],
            'status': draw(st.sampled_from(['accepted', 'rejected'])),
            'all_pending': True}
    body = draw(st.one_of(
        st.just(b''), raw_bodies,
        encode_json(sharing_values),
        st.just(json.dumps(good).encode()),
        st.just(json.dumps({k: good[k] for k in ('images', 'members')}
                           ).encode()),
        st.just(json.dumps({k: good[k] for k in ('status', 'images')}
                           ).encode())))
    query = draw(st.one_of(st.just(''), st.sampled_from([
        'status=all', 'status=bogus', 'limit=1', 'limit=0', 'limit=x',
        'as=consumer', 'as=x', 'marker=1', 'marker=' + img,
        'marker=-1', 'marker=99999999999999999999'])))
    persona = draw(st.sampled_from(list(personas.PERSONAS) + [None]))
    h = {'Accept': 'application/json', 'Content-Type': 'application/json'}
    if persona is not None:
        h['X-Auth-Token'] = personas.token(persona)
    if method in ('GET', 'DELETE'):
        body = b''
    return Req(method, path, query, h, body)


@settings(FUZZ, max_examples=int(500 * SCALE))
@given(data=st.data())
def test_sharing_v1_routes(fuzz_world, data):
    """Every /sharing/v1 route, any body and query, as every persona: no
    5xx, no write on a 4xx, Glance-shaped errors."""
    fuzz_world.reset()
    for req in data.draw(st.lists(sharing_requests(fuzz_world.images),
                                  min_size=1, max_size=3), label='requests'):
        check(fuzz_world, req)
