"""The API reference's example bodies are the bodies the service sends.

Every file in api-ref/source/samples/ belongs to one scenario below: the
scenario makes the documented request in-process (request samples are read
from their files and sent as they are) and the body received is compared
with the response sample. Ids and times differ from run to run, so both
sides are normalised first: each distinct UUID becomes <uuid-N>, each
distinct 32-hex project id <hex32-N> (numbered in order of first
appearance, so a sample that swaps two ids still fails) and every
timestamp <timestamp>. Key order is compared too (Glance's bodies keep
theirs).

A sample that drifts from what the service answers fails here. To rewrite
the response samples from the service after a deliberate change:

    GM_REGEN_API_REF_SAMPLES=1 python -m pytest -q \\
        tests/functional/test_api_ref_samples.py --gm-databases=sqlite

then review the diff of api-ref/source/samples/.
"""

import collections
import dataclasses
import json
import os
import pathlib
import re
import struct

import pytest

from glance_members import app as gm_app
from glance_members import health
from tests.functional.conftest import CONSUMER
from tests.functional.conftest import CONSUMER2
from tests.functional.conftest import PATCH_V21
from tests.functional.conftest import RND

ROOT = pathlib.Path(__file__).resolve().parents[2]
SAMPLES = ROOT / 'api-ref' / 'source' / 'samples'
SOURCE = ROOT / 'api-ref' / 'source'
REGEN = os.environ.get('GM_REGEN_API_REF_SAMPLES') == '1'
HOST = 'glance.example.com:9292'  # the host the versions samples show

_UUID = re.compile(r'[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                   r'[0-9a-f]{12}', re.IGNORECASE)
_HEX32 = re.compile(r'(?<![0-9a-fA-F])[0-9a-f]{32}(?![0-9a-fA-F])')
_TIMESTAMP = re.compile(r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?'
                        r'(?:Z|[+-]\d\d:\d\d)?')


def normalise(document):
    """`document` with ids and times replaced by placeholders."""
    seen = {'uuid': {}, 'hex32': {}}

    def placeholder(kind, value):
        table = seen[kind]
        if value not in table:
            table[value] = '<%s-%d>' % (kind, len(table) + 1)
        return table[value]

    def text(value):
        value = _UUID.sub(lambda m: placeholder('uuid', m.group().lower()),
                          value)
        value = _HEX32.sub(lambda m: placeholder('hex32', m.group()), value)
        return _TIMESTAMP.sub('<timestamp>', value)

    def walk(value):
        if isinstance(value, str):
            return text(value)
        if isinstance(value, list):
            return [walk(item) for item in value]
        if isinstance(value, dict):
            return collections.OrderedDict(
                (text(key), walk(item)) for key, item in value.items())
        return value
    return walk(document)


def load(name):
    with open(SAMPLES / name, encoding='utf-8') as f:
        return json.load(f, object_pairs_hook=collections.OrderedDict)


def canonical(document):
    return json.dumps(normalise(document), indent=2, ensure_ascii=False)


# --- the scenarios: one request each, as the api-ref describes it -----------

def _members(image_id):
    return '/v2/images/%s/members' % image_id


def _member(image_id, member_id):
    return '/v2/images/%s/members/%s' % (image_id, member_id)


# The smallest upload that passes for qcow2: a version 3 header (512 bytes)
# of an empty 1 GiB disk; uploads are inspected as Glance inspects them.
QCOW2_HEADER = struct.pack('>4sIQIIQ', b'QFI\xfb', 3, 0, 0, 16,
                           1 << 30).ljust(512, b'\0')


def _image_with_data(api):
    """The producer's shared image with data, a property and a tag."""
    image = api.create_image(name='cirros-0.6.2', disk_format='qcow2',
                             container_format='bare', min_disk=1,
                             min_ram=128, os_distro='cirros',
                             tags=['demo'])
    r = api.put('/v2/images/%s/file' % image['id'], data=QCOW2_HEADER,
                content_type='application/octet-stream')
    assert r.status_code == 204, r.data
    return image['id']


def _shared_with_consumer(api, status=None):
    image_id = _image_with_data(api)
    api.add_member(image_id, CONSUMER)
    if status:
        api.set_status(image_id, CONSUMER, status)
    return image_id


def versions_200(api):
    return api.get('/versions', who=None, headers={'Host': HOST})


def versions_300(api):
    return api.get('/', who=None, headers={'Host': HOST})


def image_create(api):
    return api.post('/v2/images', body=load('image-create-request.json'))


def image_show(api):
    image_id = _shared_with_consumer(api, 'accepted')
    return api.get('/v2/images/%s' % image_id, who='consumer')


def images_list(api):
    _shared_with_consumer(api, 'accepted')
    return api.get('/v2/images', who='consumer')


def image_update(api):
    image = api.create_image(name='cirros', disk_format='qcow2',
                             container_format='bare')
    return api.patch('/v2/images/%s' % image['id'],
                     changes=load('image-update-request.json'),
                     content_type=PATCH_V21)


def image_show_not_found(api):
    return api.get('/v2/images/%s' % RND)


def member_create(api):
    image_id = _image_with_data(api)
    return api.post(_members(image_id),
                    body=load('image-member-create-request.json'))


def member_create_conflict(api):
    image_id = _image_with_data(api)
    api.add_member(image_id, CONSUMER)
    return api.post(_members(image_id), body={'member': CONSUMER})


def member_show(api):
    image_id = _shared_with_consumer(api)
    return api.get(_member(image_id, CONSUMER), who='consumer')


def members_list(api):
    image_id = _shared_with_consumer(api, 'accepted')
    api.add_member(image_id, CONSUMER2)
    return api.get(_members(image_id))


def member_update(api):
    image_id = _shared_with_consumer(api)
    return api.put(_member(image_id, CONSUMER), who='consumer',
                   body=load('image-member-update-request.json'))


def member_update_by_owner(api):
    image_id = _shared_with_consumer(api)
    return api.put(_member(image_id, CONSUMER), who='producer',
                   body={'status': 'accepted'})


def _schema(name):
    def run(api):
        return api.get('/v2/schemas/%s' % name)
    run.__name__ = 'schema_' + name
    return run


def info_import(api):
    return api.get('/v2/info/import')


def info_stores(api):
    return api.get('/v2/info/stores')


def healthcheck(api):
    return api.get('/healthcheck', who=None)


def openapi(api):
    return api.get('/openapi.json', who=None)


@dataclasses.dataclass
class Scenario:
    run: object
    status: int
    response: str
    request: str = None

    @property
    def id(self):
        return self.run.__name__


SCENARIOS = [
    Scenario(versions_200, 200, 'versions-list-response.json'),
    Scenario(versions_300, 300, 'versions-list-response.json'),
    Scenario(image_create, 201, 'image-create-response.json',
             'image-create-request.json'),
    Scenario(image_show, 200, 'image-show-response.json'),
    Scenario(images_list, 200, 'images-list-response.json'),
    Scenario(image_update, 200, 'image-update-response.json',
             'image-update-request.json'),
    Scenario(image_show_not_found, 404, 'image-show-not-found-response.json'),
    Scenario(member_create, 200, 'image-member-create-response.json',
             'image-member-create-request.json'),
    Scenario(member_create_conflict, 409,
             'image-member-create-conflict-response.json'),
    Scenario(member_show, 200, 'image-member-details-response.json'),
    Scenario(members_list, 200, 'image-members-list-response.json'),
    Scenario(member_update, 200, 'image-member-update-response.json',
             'image-member-update-request.json'),
    Scenario(member_update_by_owner, 403,
             'image-member-update-forbidden-response.json'),
    Scenario(_schema('image'), 200, 'schemas-image-show-response.json'),
    Scenario(_schema('images'), 200, 'schemas-images-list-response.json'),
    Scenario(_schema('member'), 200,
             'schemas-image-member-show-response.json'),
    Scenario(_schema('members'), 200,
             'schemas-image-members-list-response.json'),
    Scenario(info_import, 200, 'info-import-response.json'),
    Scenario(info_stores, 200, 'info-stores-response.json'),
    Scenario(healthcheck, 200, 'healthcheck-response.json'),
    Scenario(openapi, 200, 'openapi-response.json'),
]


@pytest.mark.parametrize('scenario', SCENARIOS, ids=lambda s: s.id)
def test_response_sample_is_what_the_service_sends(api, scenario):
    r = scenario.run(api)
    assert r.status_code == scenario.status, (r.status_code, r.data)
    assert r.headers['Content-Type'] == 'application/json'
    received = json.loads(r.get_data(as_text=True),
                          object_pairs_hook=collections.OrderedDict)
    if REGEN:
        with open(SAMPLES / scenario.response, 'w', encoding='utf-8') as f:
            f.write(json.dumps(received, indent=4, ensure_ascii=False))
            f.write('\n')
        return
    assert canonical(load(scenario.response)) == canonical(received), (
        'api-ref/source/samples/%s is not what %s %s answers; see this '
        "module's docstring to regenerate it" % (
            scenario.response, r.request.method, r.request.path))


def test_every_sample_file_has_a_scenario():
    files = {p.name for p in SAMPLES.glob('*.json')}
    covered = {s.response for s in SCENARIOS} | {
        s.request for s in SCENARIOS if s.request}
    assert files == covered


def test_every_sample_file_is_shown_in_the_api_ref():
    text = '\n'.join(p.read_text(encoding='utf-8')
                     for p in SOURCE.glob('*.inc'))
    shown = set(re.findall(r'literalinclude:: samples/(\S+\.json)', text))
    assert shown == {p.name for p in SAMPLES.glob('*.json')}


# Served outside Flask's routing (version negotiation middleware), and the
# Flask routes not to document: static files, and /v2, which only redirects
# to /v2/ as Glance's router does.
UNVERSIONED_ROUTES = {('GET', '/'), ('GET', '/versions'),
                      ('GET', health.PATH), ('GET', gm_app.OPENAPI_PATH),
                      ('GET', '/sharing')}
UNDOCUMENTED_RULES = ('/static/<path:filename>', '/v2')


def _served_routes(app):
    served = set(UNVERSIONED_ROUTES)
    for rule in app.url_map.iter_rules():
        if rule.rule in UNDOCUMENTED_RULES:
            continue
        paths = [rule.rule]
        choice = re.search(r'<any\(([^)]*)\):\w+>', rule.rule)
        if choice:
            paths = [rule.rule.replace(choice.group(), name.strip())
                     for name in choice.group(1).split(',')]
        for path in paths:
            path = re.sub(r'<(?:\w+:)?(\w+)>', r'{\1}', path)
            served |= {(method, path) for method in rule.methods
                       if method not in ('HEAD', 'OPTIONS')}
    return served


def test_every_route_is_documented_and_nothing_else(app):
    text = '\n'.join(p.read_text(encoding='utf-8')
                     for p in SOURCE.glob('*.inc'))
    documented = set(re.findall(r'^\.\. rest_method::\s+(\w+)\s+(\S+)\s*$',
                                text, re.MULTILINE))
    assert documented == _served_routes(app)


def test_normalise_keeps_distinct_ids_distinct():
    a = {'x': '0b5c8e4e-2f43-4a36-9d6e-6f1bb2c3d111', 'y': CONSUMER,
         'z': '2024-01-02T03:04:05Z'}
    b = {'x': '11111111-2f43-4a36-9d6e-6f1bb2c3d111', 'y': CONSUMER2,
         'z': '2025-06-07T08:09:10Z'}
    assert canonical(a) == canonical(b)
    assert canonical({'a': CONSUMER, 'b': CONSUMER}) != canonical(
        {'a': CONSUMER, 'b': CONSUMER2})
