"""Issue 22, point 4: a request must get the same answer however its bytes
arrive.

Every request that carries a body to /v2 and /sharing/v1 (JSON; and the
image upload, raw bytes), the extension's leave and /v2's actions (no body:
their head is split), and every console form, against a real
`glance-members serve` on 127.0.0.1, delivered on fresh, identical
preconditions:

* whole     one write;
* pieces    2-6 pieces at seeded random offsets (one inside the head, so
            the request line or a header is split), 5-30 ms apart;
* bytes     one byte per write, 0.5 ms apart: the whole request when it is
            at most FULL_BYTEWISE_MAX bytes or the case says all_bytes (one
            large case per family); else the head and the first and last
            BYTEWISE_ENDS bytes of the body, the middle in 1448-byte writes;
* segments  (bodies past max_request_body_size, instead of bytes) 1448-byte
            writes, 1 ms apart.

The answer of `whole` must be the case's expected status; every other
delivery's must equal it once ids, timestamps and request ids are replaced
by placeholders (for the console: after following its redirect to the page
that shows the outcome; some cases also compare the state left, `after`).
After each answer a second request on the same connection must be answered
200 (the server read the body to its end, no further). Some cases are sent
chunked (one with a trailer field).

Raw sockets with TCP_NODELAY (tests/support/segments.py), so each piece is
a segment of its own. Every family has a body larger than 1,448 bytes (one
TCP segment at a 1500-byte MTU), and one past the body limit.

Cases with `known_bug` are strict expected failures (none today; the two
it found, trailer fields read as headers and forms past the limit read
whole or cut by how they arrived, are fixed and their cases pass).

Time: ~60-100 s on a 2-core machine (more under load: the pauses are
sleeps, the server shares the cores). GM_SEGMENT_SEED picks other offsets.
"""

import dataclasses
import html
import http.client
import json
import os
import random
import re
import shutil
import tempfile
import urllib.parse
import zlib

import pytest

from glance_members.console import sessions as console_sessions
from testbed import personas
from testbed import processes
from tests.support import segments
from testbed import servers

SEED = int(os.environ.get('GM_SEGMENT_SEED', '22'))
MODES = ('whole', 'pieces', 'bytes')
# Bodies past max_request_body_size go whole, in pieces and in segments
# (one TCP segment's payload per write): a byte at a time would take ~70 s.
OVERSIZE_MODES = ('whole', 'pieces', 'segments')
DELIVERIES = {'whole': segments.whole, 'pieces': segments.in_pieces,
              'bytes': segments.byte_at_a_time,
              'segments': segments.in_segments}
MAX_BODY = 65536   # [DEFAULT] max_request_body_size
# `bytes` sends requests up to this size a byte at a time throughout; of a
# larger one (the `large` cases but one per family: all_bytes), the head
# and the first and last BYTEWISE_ENDS bytes of the body.
FULL_BYTEWISE_MAX = 1024
BYTEWISE_ENDS = 256
ONE_SEGMENT = 1448
REGION = 'RegionOne'
PATCH_TYPE = 'application/openstack-images-v2.1-json-patch'
FORM_TYPE = 'application/x-www-form-urlencoded'
CONSUMER = personas.CONSUMER_PROJECT
CONSUMER2 = personas.CONSUMER2_PROJECT
OUTSIDER = personas.OUTSIDER_PROJECT
# Ids the API accepts as members without a project behind them
# (any_member_id: Glance's rule, the recipient check off).
FAKE_PROJECTS = ['%032x' % (0xfade0000 + i) for i in range(40)]

UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                  r'[0-9a-f]{12}')
REQUEST_ID = re.compile(r'req-[0-9a-f-]{36}')
TIMESTAMP = re.compile(r'\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?'
                       r'(Z|[+-]\d\d:?\d\d)?')
MESSAGE = re.compile(r'<div class="message[^"]*" role="[a-z]+">(.*?)</div>',
                     re.S)
SIGNED_IN_AS = re.compile(r'Signed in as <bdi>(.*?)</bdi>')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def normalise(text):
    text = REQUEST_ID.sub('<request-id>', text)
    text = UUID.sub('<uuid>', text)
    return TIMESTAMP.sub('<time>', text)


# --- the server and its clients ----------------------------------------------

@pytest.fixture(scope='module')
def world(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('segments')
    data_dir = str(tmp / 'data')
    servers.write_token_file(data_dir)
    home = tempfile.mkdtemp(prefix='gm-home-')
    server = servers.Server(data_dir, processes.free_port(),
                            str(tmp / 'server.log'), home=home,
                            any_member_id=True)
    # The subprocess must run this checkout's code (not an installed one).
    assert servers.package_root() == os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__))))
    try:
        server.start()
        yield World(server)
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


@dataclasses.dataclass
class Reply:
    status: int
    headers: object   # http.client.HTTPMessage
    body: bytes

    def json(self):
        return json.loads(self.body)


class ConsoleSession:
    def __init__(self, sid, csrf):
        self.sid = sid
        self.csrf = csrf

    @property
    def cookie(self):
        return '%s=%s' % (console_sessions.COOKIE_NAME, self.sid)


class World:
    """Preconditions through ordinary requests (one write each)."""

    def __init__(self, server):
        self.server = server
        self.port = server.port
        self.consoles = {}

    # plain HTTP

    def call(self, method, path, persona=None, body=None, headers=None,
             content_type='application/json'):
        headers = dict(headers or {})
        if persona is not None:
            headers['X-Auth-Token'] = personas.token(persona)
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
        if body is not None:
            headers.setdefault('Content-Type', content_type)
        conn = http.client.HTTPConnection('127.0.0.1', self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            conn.close()

    def ok(self, method, path, persona, body=None, **kwargs):
        reply = self.call(method, path, persona, body, **kwargs)
        assert reply.status < 300, (method, path, reply.status, reply.body)
        return reply

    # images and shares

    def image(self, owner='producer', visibility='shared', **extra):
        body = dict({'name': 'segments', 'visibility': visibility,
                     'disk_format': 'raw', 'container_format': 'bare'},
                    **extra)
        return self.ok('POST', '/v2/images', owner, body).json()['id']

    def share(self, image_id, member=CONSUMER, owner='producer'):
        self.ok('POST', '/v2/images/%s/members' % image_id, owner,
                {'member': member})

    def decide(self, image_id, persona, status, project=CONSUMER):
        self.ok('PUT', '/v2/images/%s/members/%s' % (image_id, project),
                persona, {'status': status})

    def pending(self, count=1, owner='producer', member=CONSUMER):
        ids = [self.image(owner) for _ in range(count)]
        for image_id in ids:
            self.share(image_id, member, owner)
        return ids

    def accepted(self, owner='producer'):
        image_id, = self.pending(1, owner)
        self.decide(image_id, 'consumer', 'accepted')
        return image_id

    def clear_inbox(self, persona='consumer'):
        """No pending share left for `persona` (all rejected)."""
        self.ok('POST', '/sharing/v1/inbox/decisions', persona,
                {'status': 'rejected', 'all_pending': True})

    def untrust(self, producer=OUTSIDER, persona='consumer'):
        reply = self.call('DELETE', '/sharing/v1/trusted-producers/%s'
                          % producer, persona)
        assert reply.status in (204, 404), reply

    def member_status(self, image_id, project=CONSUMER, persona='producer'):
        reply = self.call('GET', '/v2/images/%s/members/%s'
                          % (image_id, project), persona)
        return reply.status, reply.json().get('status') \
            if reply.status == 200 else None

    # the console

    def sign_in_form(self):
        """(sign-in cookie, form token) from GET /console/sign-in."""
        reply = self.call('GET', '/console/sign-in')
        assert reply.status == 200, reply
        cookie = _cookies(reply.headers)['gm_console_signin']
        token = CSRF.search(reply.body.decode()).group(1)
        return cookie, token

    def sign_in(self, persona):
        cookie, token = self.sign_in_form()
        reply = self.call(
            'POST', '/console/sign-in', content_type=FORM_TYPE,
            body=urllib.parse.urlencode({
                'token': personas.token(persona),
                'csrf_token': token}).encode(),
            headers={'Cookie': 'gm_console_signin=%s' % cookie})
        assert reply.status == 302, reply
        sid = _cookies(reply.headers)[console_sessions.COOKIE_NAME]
        page = self.call('GET', '/console/images',
                         headers={'Cookie': '%s=%s' % (
                             console_sessions.COOKIE_NAME, sid)})
        assert page.status == 200, page
        return ConsoleSession(sid, CSRF.search(page.body.decode()).group(1))

    def console(self, persona):
        """The persona's console session (one for the module)."""
        if persona not in self.consoles:
            self.consoles[persona] = self.sign_in(persona)
        return self.consoles[persona]


def _cookies(headers):
    out = {}
    for value in headers.get_all('Set-Cookie') or []:
        name, _, rest = value.partition('=')
        out[name.strip()] = rest.split(';')[0]
    return out


# --- the catalogue -----------------------------------------------------------

@dataclasses.dataclass
class Prepared:
    """One request on fresh preconditions, and what to look at after."""
    method: str
    path: str
    body: bytes = b''
    headers: tuple = ()
    # A console session whose redirect to follow (console forms).
    session: object = None
    # Called after the answer: more of the outcome (the state it left).
    after: object = None


@dataclasses.dataclass
class Case:
    name: str
    family: str          # v2, sharing, console
    route: tuple         # (method, Flask rule), for the coverage test
    expect: int
    prepare: object      # world -> Prepared
    chunked: bool = False
    trailers: tuple = ()  # chunked only: the trailer section's fields
    modes: tuple = MODES
    all_bytes: bool = False   # `bytes`: every byte, whatever the size
    # A bug of the server this case shows (then an expected failure: it
    # passes, and must be moved out of xfail, once the bug is fixed).
    known_bug: str = None

    def __str__(self):
        return self.name


def api(method, path, persona, document=None, content_type=None, raw=None,
        after=None):
    """A JSON request (or `raw` bytes) as `persona`."""
    if raw is None:
        raw = b'' if document is None else json.dumps(document).encode()
    headers = [('X-Auth-Token', personas.token(persona)),
               ('Accept', 'application/json')]
    if raw or content_type:
        headers.append(('Content-Type', content_type or 'application/json'))
    return Prepared(method, path, raw, tuple(headers), after=after)


def padded(document, size=ONE_SEGMENT + 300):
    """`document` as JSON grown past one TCP segment with insignificant
    whitespace (the same document to a JSON parser)."""
    text = json.dumps(document)
    pad = ' \n\t' * max(0, (size - len(text)) // 6 + 1)
    return ('{' + pad + text[1:-1] + pad + '}').encode()


def form(world, persona, path, fields, after=None, session=None,
         cookie=None):
    """A console form POST with the persona's session and CSRF token."""
    session = session or world.console(persona)
    fields = list(fields.items()) if isinstance(fields, dict) else fields
    body = urllib.parse.urlencode(
        [('csrf_token', session.csrf)] + fields).encode()
    headers = (('Cookie', cookie or session.cookie),
               ('Content-Type', FORM_TYPE))
    return Prepared('POST', '/console' + path, body, headers,
                    session=session, after=after)


def image_page(image_id):
    return '/regions/%s/images/%s' % (REGION, image_id)


def _member_status(image_id, project=CONSUMER):
    return lambda world: world.member_status(image_id, project)


# /v2 ------------------------------------------------------------------------

IMAGE_RULE = '/v2/images/<image_id>'
MEMBERS_RULE = '/v2/images/<image_id>/members'
MEMBER_RULE = '/v2/images/<image_id>/members/<member_id>'
LARGE_PROPERTIES = {'x_segment_%02d' % i: 'v%02d-' % i + 'x' * 96
                    for i in range(16)}


def _create(document):
    return lambda world: api('POST', '/v2/images', 'producer', document)


def _patch(ops):
    def prepare(world):
        image_id = world.image()
        return api('PATCH', '/v2/images/%s' % image_id, 'producer', ops,
                   content_type=PATCH_TYPE)
    return prepare


def _member_create(raw=None):
    def prepare(world):
        image_id = world.image()
        return api('POST', '/v2/images/%s/members' % image_id, 'producer',
                   {'member': CONSUMER}, raw=raw,
                   after=_member_status(image_id))
    return prepare


def _member_status_put(status, raw=None, accepted=False):
    def prepare(world):
        image_id = world.accepted() if accepted else world.pending(1)[0]
        return api('PUT', '/v2/images/%s/members/%s' % (image_id, CONSUMER),
                   'consumer', {'status': status}, raw=raw,
                   after=_member_status(image_id))
    return prepare


def _upload(size):
    data = bytes(random.Random(size).getrandbits(8) for _ in range(size))

    def prepare(world):
        image_id = world.image()

        def after(world):
            image = world.ok('GET', '/v2/images/%s' % image_id,
                             'producer').json()
            return image['status'], image['size'], image['checksum']
        return api('PUT', '/v2/images/%s/file' % image_id, 'producer',
                   raw=data, content_type='application/octet-stream',
                   after=after)
    return prepare


def _tag_put(world):
    """PUT a tag: no body, the head split (the answer: 204, the tag set)."""
    image_id = world.image()

    def after(world):
        return world.ok('GET', '/v2/images/%s' % image_id,
                        'producer').json()['tags']
    return api('PUT', '/v2/images/%s/tags/segmented-tag' % image_id,
               'producer', after=after)


def _action(name):
    def prepare(world):
        image_id = world.image()
        world.ok('PUT', '/v2/images/%s/file' % image_id, 'producer',
                 b'x' * 512, content_type='application/octet-stream')
        if name == 'reactivate':
            world.ok('POST', '/v2/images/%s/actions/deactivate' % image_id,
                     'admin')

        def after(world):
            return world.ok('GET', '/v2/images/%s' % image_id,
                            'admin').json()['status']
        return api('POST', '/v2/images/%s/actions/%s' % (image_id, name),
                   'admin', after=after)
    return prepare


V2 = [
    Case('v2-image-create', 'v2', ('POST', '/v2/images'), 201, _create(
        {'name': 'seg', 'visibility': 'shared', 'disk_format': 'qcow2',
         'container_format': 'bare', 'tags': ['a', 'b'], 'x_note': 'n'})),
    Case('v2-image-create-chunked', 'v2', ('POST', '/v2/images'), 201,
         _create({'name': 'seg', 'visibility': 'private',
                  'min_ram': 512}), chunked=True),
    Case('v2-image-create-large', 'v2', ('POST', '/v2/images'), 201,
         _create(dict({'name': 'large', 'visibility': 'shared'},
                      **LARGE_PROPERTIES)), all_bytes=True),
    Case('v2-image-create-large-chunked', 'v2', ('POST', '/v2/images'), 201,
         _create({'name': 'large', 'tags': ['tag-segment-%03d' % i
                                            for i in range(100)]}),
         chunked=True),
    Case('v2-image-create-malformed', 'v2', ('POST', '/v2/images'), 400,
         lambda world: api('POST', '/v2/images', 'producer',
                           raw=b'{"name": "seg", "visibility": ')),
    Case('v2-image-create-read-only', 'v2', ('POST', '/v2/images'), 403,
         _create({'name': 'seg', 'status': 'active'})),
    Case('v2-image-patch', 'v2', ('PATCH', IMAGE_RULE), 200, _patch([
        {'op': 'replace', 'path': '/name', 'value': 'patched'},
        {'op': 'add', 'path': '/x_added', 'value': 'yes'},
        {'op': 'replace', 'path': '/tags', 'value': ['tagged']}])),
    Case('v2-image-patch-large', 'v2', ('PATCH', IMAGE_RULE), 200, _patch(
        [{'op': 'add', 'path': '/' + k, 'value': v}
         for k, v in LARGE_PROPERTIES.items()])),
    Case('v2-image-patch-large-chunked', 'v2', ('PATCH', IMAGE_RULE), 200,
         _patch([{'op': 'add', 'path': '/' + k, 'value': v}
                 for k, v in LARGE_PROPERTIES.items()]), chunked=True),
    Case('v2-image-patch-invalid', 'v2', ('PATCH', IMAGE_RULE), 400,
         _patch([{'op': 'jump', 'path': '/name', 'value': 'x'}])),
    Case('v2-member-create', 'v2', ('POST', MEMBERS_RULE), 200,
         _member_create()),
    Case('v2-member-create-large-chunked', 'v2', ('POST', MEMBERS_RULE),
         200, _member_create(padded({'member': CONSUMER})), chunked=True),
    Case('v2-member-status', 'v2', ('PUT', MEMBER_RULE), 200,
         _member_status_put('accepted')),
    # Back to pending: "decide later" through the API.
    Case('v2-member-status-pending', 'v2', ('PUT', MEMBER_RULE), 200,
         _member_status_put('pending', accepted=True)),
    Case('v2-member-status-large', 'v2', ('PUT', MEMBER_RULE), 200,
         _member_status_put('rejected', padded({'status': 'rejected'}))),
    Case('v2-member-status-invalid', 'v2', ('PUT', MEMBER_RULE), 400,
         _member_status_put('maybe')),
    Case('v2-image-upload', 'v2', ('PUT', '/v2/images/<image_id>/file'), 204,
         _upload(1800)),
    Case('v2-image-upload-chunked', 'v2',
         ('PUT', '/v2/images/<image_id>/file'), 204, _upload(1600),
         chunked=True),
    # A trailer field is not a header (RFC 9110 6.5.1): the upload goes
    # through as without it, however the request arrives.
    Case('v2-image-upload-chunked-trailer', 'v2',
         ('PUT', '/v2/images/<image_id>/file'), 204, _upload(1500),
         chunked=True, trailers=(('Content-Type', 'text/plain'),)),
    Case('v2-image-create-oversize', 'v2', ('POST', '/v2/images'), 413,
         lambda world: api('POST', '/v2/images', 'producer',
                           raw=padded({'name': 'big'}, MAX_BODY + 4000)),
         modes=OVERSIZE_MODES),
    Case('v2-image-create-oversize-chunked', 'v2', ('POST', '/v2/images'),
         413, lambda world: api('POST', '/v2/images', 'producer',
                                raw=padded({'name': 'big'}, MAX_BODY + 4000)),
         chunked=True, modes=OVERSIZE_MODES),
    Case('v2-deactivate', 'v2',
         ('POST', '/v2/images/<image_id>/actions/deactivate'), 204,
         _action('deactivate')),
    Case('v2-reactivate', 'v2',
         ('POST', '/v2/images/<image_id>/actions/reactivate'), 204,
         _action('reactivate')),
    Case('v2-tag-put', 'v2', ('PUT', '/v2/images/<image_id>/tags/<tag>'),
         204, _tag_put),
]


# /sharing/v1 -----------------------------------------------------------------

TRUST_RULE = '/sharing/v1/trusted-producers/<project_id>'
EXPIRY_RULE = '/sharing/v1/images/<image_id>/members/<member_id>'


def _decisions(body_of, clear=False, count=2):
    def prepare(world):
        if clear:
            world.clear_inbox()
        ids = world.pending(count)

        def after(world):
            return [world.member_status(i) for i in ids]
        return api('POST', '/sharing/v1/inbox/decisions', 'consumer',
                   raw=body_of(ids), after=after)
    return prepare


def _trust(raw):
    def prepare(world):
        world.untrust()
        world.clear_inbox()
        world.pending(2, owner='outsider')
        return api('PUT', '/sharing/v1/trusted-producers/%s' % OUTSIDER,
                   'consumer', raw=raw)
    return prepare


def _shares(members, extra=None, images=2):
    def prepare(world):
        ids = [world.image() for _ in range(images)]
        document = dict({'images': ids, 'members': members}, **(extra or {}))
        return api('POST', '/sharing/v1/shares', 'producer', document)
    return prepare


def _revoke(members, images=2):
    def prepare(world):
        ids = [world.image() for _ in range(images)]
        world.ok('POST', '/sharing/v1/shares', 'producer',
                 {'images': ids, 'members': members})

        def after(world):
            return [world.ok('GET', '/v2/images/%s/members' % i,
                             'producer').json() for i in ids]
        return api('POST', '/sharing/v1/shares/revoke', 'producer',
                   {'images': ids, 'members': members + [CONSUMER2]},
                   after=after)
    return prepare


def _expiry(raw):
    def prepare(world):
        image_id, = world.pending(1)
        return api('PATCH', '/sharing/v1/images/%s/members/%s'
                   % (image_id, CONSUMER), 'producer', raw=raw)
    return prepare


def _leave(world):
    image_id = world.accepted()
    return api('DELETE', '/sharing/v1/inbox/%s' % image_id, 'consumer',
               after=_member_status(image_id))


SHARING = [
    Case('sharing-decisions', 'sharing',
         ('POST', '/sharing/v1/inbox/decisions'), 200,
         _decisions(lambda ids: json.dumps(
             {'status': 'accepted', 'images': ids}).encode())),
    Case('sharing-decisions-all-pending-chunked', 'sharing',
         ('POST', '/sharing/v1/inbox/decisions'), 200,
         _decisions(lambda ids: b'{"status": "rejected", '
                    b'"all_pending": true}', clear=True), chunked=True),
    Case('sharing-decisions-large', 'sharing',
         ('POST', '/sharing/v1/inbox/decisions'), 200,
         _decisions(lambda ids: json.dumps(
             {'status': 'accepted', 'images': ids}).encode(), count=40),
         all_bytes=True),
    Case('sharing-decisions-invalid', 'sharing',
         ('POST', '/sharing/v1/inbox/decisions'), 400,
         _decisions(lambda ids: json.dumps(
             {'status': 'accepted', 'images': ids,
              'all_pending': True}).encode())),
    Case('sharing-trust', 'sharing', ('PUT', TRUST_RULE), 200,
         _trust(b'{"accept_pending": true}')),
    Case('sharing-trust-large-chunked', 'sharing', ('PUT', TRUST_RULE),
         200, _trust(padded({'accept_pending': True})), chunked=True),
    Case('sharing-trust-invalid', 'sharing', ('PUT', TRUST_RULE), 400,
         _trust(b'{"accept_pending": true, "also": 1}')),
    Case('sharing-shares', 'sharing', ('POST', '/sharing/v1/shares'), 200,
         _shares([CONSUMER, CONSUMER2],
                 {'expires_at': '2031-01-01T00:00:00Z'})),
    Case('sharing-shares-large-chunked', 'sharing',
         ('POST', '/sharing/v1/shares'), 200,
         _shares(FAKE_PROJECTS[:40]),
         chunked=True),
    Case('sharing-revoke', 'sharing', ('POST', '/sharing/v1/shares/revoke'),
         200, _revoke([CONSUMER])),
    Case('sharing-revoke-large', 'sharing',
         ('POST', '/sharing/v1/shares/revoke'), 200,
         _revoke(FAKE_PROJECTS[:38])),
    Case('sharing-expiry', 'sharing', ('PATCH', EXPIRY_RULE), 200,
         _expiry(b'{"expires_at": "2031-06-01T12:00:00+02:00"}')),
    Case('sharing-expiry-large-chunked', 'sharing', ('PATCH', EXPIRY_RULE),
         200, _expiry(padded({'expires_at': None})), chunked=True),
    Case('sharing-expiry-invalid', 'sharing', ('PATCH', EXPIRY_RULE), 400,
         _expiry(b'{"expires_at": "soon"}')),
    Case('sharing-decisions-oversize', 'sharing',
         ('POST', '/sharing/v1/inbox/decisions'), 413,
         _decisions(lambda ids: padded({'status': 'accepted', 'images': ids},
                                       MAX_BODY + 4000)),
         modes=OVERSIZE_MODES),
    Case('sharing-leave', 'sharing',
         ('DELETE', '/sharing/v1/inbox/<image_id>'), 204, _leave),
]


# the console -----------------------------------------------------------------

def _sign_in(token, pad=0):
    def prepare(world):
        cookie, csrf = world.sign_in_form()
        fields = [('csrf_token', csrf), ('token', token)]
        if pad:
            # Keystone's field, ignored with static tokens: a body larger
            # than one segment, as a long password would make it; before
            # the token, which is lost if the body is cut.
            fields.insert(1, ('user_name', 'u' * pad))
        return Prepared(
            'POST', '/console/sign-in',
            urllib.parse.urlencode(fields).encode(),
            (('Cookie', 'gm_console_signin=%s' % cookie),
             ('Content-Type', FORM_TYPE)), session='new')
    return prepare


def _sign_out(world):
    session = world.sign_in('consumer')
    return form(world, 'consumer', '/sign-out', {}, session=session)


def _review(fields_of, count=1, pad=0):
    def prepare(world):
        ids = world.pending(count)
        keys = ['%s/%s' % (REGION, i) for i in ids]
        fields = fields_of(keys) + [('region', '')]
        if pad:
            fields.append(('note', 'n' * pad))

        def after(world):
            return [world.member_status(i) for i in ids]
        return form(world, 'consumer', '/review', fields, after=after)
    return prepare


def _decide_image(status):
    def prepare(world):
        image_id, = world.pending(1)
        return form(world, 'consumer', image_page(image_id) + '/decision',
                    {'status': status}, after=_member_status(image_id))
    return prepare


def _console_leave(world):
    image_id = world.accepted()
    return form(world, 'consumer', image_page(image_id) + '/leave', {},
                after=_member_status(image_id))


def _console_expiry(world):
    image_id, = world.pending(1)
    return form(world, 'producer', '%s/members/%s/expiry'
                % (image_page(image_id), CONSUMER),
                {'expires_on': '2031-02-03'})


def _console_remove(world):
    image_id, = world.pending(1)
    return form(world, 'producer', '%s/members/%s/remove'
                % (image_page(image_id), CONSUMER), {},
                after=_member_status(image_id))


def _console_share(fields, project=CONSUMER):
    def prepare(world):
        image_id = world.image()
        return form(world, 'producer', image_page(image_id) + '/share',
                    fields, after=_member_status(image_id, project))
    return prepare


def _visibility(world):
    image_id = world.image(visibility='private')

    def after(world):
        return world.ok('GET', '/v2/images/%s' % image_id,
                        'producer').json()['visibility']
    return form(world, 'producer', image_page(image_id) + '/visibility', {},
                after=after)


def _batch(action, projects):
    def prepare(world):
        ids = [world.image() for _ in range(3)]
        if action == 'revoke':
            world.ok('POST', '/sharing/v1/shares', 'producer',
                     {'images': ids, 'members': projects})
        fields = [('region', REGION), ('action', action),
                  ('projects', '\r\n'.join(projects)),
                  ('expires_on', '2031-03-04' if action == 'share' else '')]
        fields += [('image', i) for i in ids]

        def after(world):
            return [len(world.ok('GET', '/v2/images/%s/members' % i,
                                 'producer').json()['members'])
                    for i in ids]
        return form(world, 'producer', '/batch', fields, after=after)
    return prepare


def _console_trust(world):
    world.untrust()
    world.clear_inbox()
    world.pending(1, owner='outsider')
    return form(world, 'consumer', '/trusted-producers',
                {'region': REGION, 'project_id': OUTSIDER,
                 'accept_pending': '1'})


def _console_distrust(world):
    world.ok('PUT', '/sharing/v1/trusted-producers/%s' % OUTSIDER,
             'consumer', {})
    return form(world, 'consumer', '/trusted-producers/%s/remove' % OUTSIDER,
                {'region': REGION})


def _bad_csrf(world):
    image_id, = world.pending(1)
    prepared = form(world, 'consumer', image_page(image_id) + '/decision',
                    {'status': 'accepted'}, after=_member_status(image_id))
    prepared.body = prepared.body.replace(
        world.console('consumer').csrf.encode(), b'forged')
    return prepared


IMAGE_FORM = '/console/regions/<region>/images/<image_id>'
MEMBER_FORM = IMAGE_FORM + '/members/<anyid:member_id>'
CONSOLE = [
    Case('console-sign-in', 'console', ('POST', '/console/sign-in'), 302,
         _sign_in(personas.token('producer'))),
    Case('console-sign-in-large-chunked', 'console',
         ('POST', '/console/sign-in'), 302,
         _sign_in(personas.token('consumer'), pad=ONE_SEGMENT + 200),
         chunked=True),
    # Past max_request_body_size a form is refused like a JSON body (the
    # bridge's buffer stops there), whatever its framing.
    Case('console-sign-in-oversize', 'console', ('POST', '/console/sign-in'),
         413, _sign_in(personas.token('producer'), pad=MAX_BODY + 4000),
         modes=OVERSIZE_MODES),
    Case('console-sign-in-oversize-chunked', 'console',
         ('POST', '/console/sign-in'), 413,
         _sign_in(personas.token('producer'), pad=MAX_BODY + 4000),
         chunked=True, modes=OVERSIZE_MODES),
    Case('console-sign-in-refused', 'console', ('POST', '/console/sign-in'),
         401, _sign_in('tok-nobody')),
    Case('console-sign-out', 'console', ('POST', '/console/sign-out'), 302,
         _sign_out),
    Case('console-switch-project', 'console', ('POST', '/console/project'),
         400, lambda world: form(world, 'consumer', '/project',
                                 {'project_id': CONSUMER2})),
    Case('console-review-accept', 'console', ('POST', '/console/review'),
         302, _review(lambda keys: [('accept', keys[0])])),
    Case('console-review-reject-chunked', 'console',
         ('POST', '/console/review'), 302,
         _review(lambda keys: [('reject', keys[0])]), chunked=True),
    Case('console-review-bulk-large', 'console', ('POST', '/console/review'),
         302, _review(lambda keys: [('bulk', 'accepted')] + [
             ('share', k) for k in keys], count=4, pad=ONE_SEGMENT),
         all_bytes=True),
    Case('console-review-nothing', 'console', ('POST', '/console/review'),
         400, _review(lambda keys: [])),
    Case('console-decision-accept', 'console',
         ('POST', IMAGE_FORM + '/decision'), 302,
         _decide_image('accepted')),
    Case('console-decision-reject', 'console',
         ('POST', IMAGE_FORM + '/decision'), 302,
         _decide_image('rejected')),
    Case('console-decision-forged', 'console',
         ('POST', IMAGE_FORM + '/decision'), 403, _bad_csrf),
    Case('console-leave', 'console', ('POST', IMAGE_FORM + '/leave'), 302,
         _console_leave),
    Case('console-expiry', 'console', ('POST', MEMBER_FORM + '/expiry'), 302,
         _console_expiry),
    Case('console-remove', 'console', ('POST', MEMBER_FORM + '/remove'), 302,
         _console_remove),
    # A customer's project id is first shown with its name (200), then
    # sent once confirmed (302).
    Case('console-share-customer-to-confirm', 'console',
         ('POST', IMAGE_FORM + '/share'), 200,
         _console_share({'scenario': 'customer', 'project_id': CONSUMER})),
    Case('console-share-customer', 'console', ('POST', IMAGE_FORM + '/share'),
         302, _console_share({'scenario': 'customer', 'project_id': CONSUMER,
                              'confirmed': 'yes'})),
    Case('console-share-other-account', 'console',
         ('POST', IMAGE_FORM + '/share'), 302,
         _console_share({'scenario': 'other-account',
                         'other_token': personas.token('consumer2')},
                        project=CONSUMER2)),
    Case('console-share-own-project', 'console',
         ('POST', IMAGE_FORM + '/share'), 302,
         _console_share({'scenario': 'own-project',
                         'own_project': CONSUMER2}, project=CONSUMER2)),
    Case('console-visibility', 'console',
         ('POST', IMAGE_FORM + '/visibility'), 302, _visibility),
    Case('console-batch-share-large-chunked', 'console',
         ('POST', '/console/batch'), 302,
         _batch('share', FAKE_PROJECTS[:40]), chunked=True),
    Case('console-batch-revoke-large', 'console', ('POST', '/console/batch'),
         302, _batch('revoke', FAKE_PROJECTS[:40])),
    Case('console-trust', 'console', ('POST', '/console/trusted-producers'),
         302, _console_trust),
    Case('console-distrust', 'console',
         ('POST', '/console/trusted-producers/<anyid:producer>/remove'), 302,
         _console_distrust),
]

CATALOGUE = V2 + SHARING + CONSOLE


# --- delivery and comparison -------------------------------------------------

def outcome(world, prepared, response):
    """What must not depend on how the request arrived."""
    content_type = response.header('content-type') or ''
    seen = {'status': response.status, 'content-type': content_type,
            'follow-up': response.follow_up}
    text = normalise(response.body.decode('utf-8', 'replace'))
    if 'json' in content_type:
        seen['body'] = json.loads(text) if text else None
    elif prepared.session is None:
        seen['body'] = text
    else:
        seen.update(_console_outcome(world, prepared, response, text))
    if response.header('location'):
        seen['location'] = normalise(response.header('location'))
    if prepared.after is not None:
        seen['after'] = json.loads(normalise(json.dumps(
            prepared.after(world))))
    return seen


def _console_outcome(world, prepared, response, text):
    """The messages the page shows: the answer's own, or (after a
    post-redirect-get) the page it redirects to."""
    seen = {'messages': _messages(text)}
    cookies = dict(_cookies_of(response))
    seen['cookies'] = sorted(cookies)
    location = response.header('location')
    if response.status == 302 and location:
        sid = cookies.get(console_sessions.COOKIE_NAME)
        if prepared.session == 'new':
            cookie = '%s=%s' % (console_sessions.COOKIE_NAME, sid) \
                if sid else ''
        else:
            cookie = prepared.session.cookie
        path = urllib.parse.urlsplit(location)
        page = world.call('GET', path.path + (
            '?' + path.query if path.query else ''),
            headers={'Cookie': cookie})
        page_text = normalise(page.body.decode('utf-8', 'replace'))
        seen['page'] = (page.status, _messages(page_text),
                        SIGNED_IN_AS.findall(page_text))
    return seen


def _cookies_of(response):
    for name, value in response.headers:
        if name == 'set-cookie':
            key, _, rest = value.partition('=')
            yield key.strip(), rest.split(';')[0]


def _messages(text):
    return [html.unescape(' '.join(m.split())) for m in MESSAGE.findall(text)]


def deliver(world, case, mode):
    """Prepare fresh preconditions, send the request `mode`'s way; its
    outcome, and how it was cut (for the failure message)."""
    rng = random.Random('%d/%s/%s' % (SEED, case.name, mode))
    prepared = case.prepare(world)
    request = segments.build(prepared.method, prepared.path,
                             prepared.headers, prepared.body,
                             chunked=case.chunked, rng=rng, port=world.port,
                             trailers=case.trailers)
    if mode == 'bytes' and not case.all_bytes and \
            len(request.raw) > FULL_BYTEWISE_MAX:
        pieces = segments.byte_at_a_time(request, ends=BYTEWISE_ENDS)
    else:
        pieces = DELIVERIES[mode](request, rng)
    response = segments.exchange(world.port, pieces)
    cut = 'seed %d, %d bytes (head %d), %d writes%s' % (
        SEED, len(request.raw), request.head_length, len(pieces),
        ' at %s' % segments.offsets(pieces) if len(pieces) < 10 else '')
    return outcome(world, prepared, response), cut, request


def _params(cases):
    for case in cases:
        marks = [pytest.mark.xfail(strict=True, reason=case.known_bug)] \
            if case.known_bug else []
        yield pytest.param(case, marks=marks, id=case.name)


@pytest.mark.parametrize('case', _params(CATALOGUE))
def test_same_answer_however_segmented(world, case):
    answers = {}
    for mode in case.modes:
        answers[mode] = deliver(world, case, mode)
    whole = answers['whole'][0]
    report = '\n'.join('%s (%s): %r' % (mode, cut, seen)
                       for mode, (seen, cut, _) in answers.items())
    assert whole['status'] == case.expect, (
        '%s in one write: %d, not %d\n%s' % (
            case.name, whole['status'], case.expect, report))
    for mode, (seen, cut, request) in answers.items():
        assert seen == whole, (
            '%s: the answer differs when sent %s\n%s\nrequest: %r' % (
                case.name, mode, report, request.raw[:3000]))
        if seen['follow-up'] is not None:
            assert seen['follow-up'] == 200, (case.name, mode, seen)


# --- the catalogue covers the routes ---------------------------------------

def _routes():
    """(method, rule) of every POST, PUT and PATCH the service routes:
    the API's url_map and the console's (mounted at /console)."""
    from glance_members.console import app as console_app
    from glance_members import conf as gm_conf
    from tests import conftest

    data_dir = tempfile.mkdtemp(prefix='gm-routes-')
    try:
        api_app = conftest.make_app(data_dir)
        conf = gm_conf.new_conf(overrides={'data_dir': data_dir})
        assert conf.console.enabled and conf.sharing.enabled
        console = console_app.create_app(conf)
        found = set()
        for prefix, app in (('', api_app), (console_app.PREFIX, console)):
            for rule in app.url_map.iter_rules():
                for method in rule.methods & {'POST', 'PUT', 'PATCH'}:
                    found.add((method, prefix + rule.rule))
        return found
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def test_catalogue_covers_every_route_with_a_body(gm_database):
    routes = _routes()
    covered = {case.route for case in CATALOGUE}
    missing = routes - covered
    assert not missing, ('routes that take a body and that the segmentation '
                         'catalogue does not send: %s' % sorted(missing))
    stale = {r for r in covered - routes if r[0] != 'DELETE'}
    assert not stale, 'catalogue routes the service has not: %s' % stale


def test_catalogue_spans_segments_and_chunks():
    """Per family: a body larger than one TCP segment, and a chunked one."""
    for family in ('v2', 'sharing', 'console'):
        cases = [c for c in CATALOGUE if c.family == family]
        assert any(c.chunked for c in cases), family
        assert any('large' in c.name for c in cases), family
    names = [c.name for c in CATALOGUE]
    assert len(names) == len(set(names))


@pytest.mark.parametrize('family', ['v2', 'sharing', 'console'])
def test_large_bodies_span_segments(world, family):
    """The 'large' cases really are larger than one segment."""
    for case in CATALOGUE:
        if case.family == family and 'large' in case.name:
            prepared = case.prepare(world)
            assert len(prepared.body) > ONE_SEGMENT, case.name


def test_split_points_are_seeded():
    request = segments.build('POST', '/v2/images', (), b'{"a": 1}' * 300)
    cut = [segments.offsets(segments.in_pieces(request, random.Random(s)))
           for s in (1, 1, 2)]
    assert cut[0] == cut[1] != cut[2]
    assert 0 < cut[0][1] < request.head_length
    assert 2 <= len(cut[0]) <= 6
    assert zlib.crc32(b''.join(p for p, _ in segments.in_pieces(
        request, random.Random(3)))) == zlib.crc32(request.raw)
