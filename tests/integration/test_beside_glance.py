"""glance-members beside a real Glance 33 ([DEFAULT] image_backend =
glance) on a real Keystone: /sharing/v1 served here from the mirror, every
membership write made on Glance first as the user who asked, the service
identity's writes (a trusted producer's share accepted, an expired share
removed) under Glance 33's default policy, a batch refused half way by
Glance leaving Glance as it was, and the functional suite's role-by-route
table (tests/functional/test_sharing_v1.py) on this mode.

The app runs in-process (keystonemiddleware against the test Keystone);
Glance is reached over HTTP. Where Glance would notify the mirror of a
change made on it directly, a test calls the mirror's refresh (what the
notification listener does; its own tests use RabbitMQ).
"""

import datetime
import os
import subprocess
import sys
import time
import uuid

import pytest
import requests

from glance_members import app as gm_app
from glance_members import conf as gm_conf
from glance_members.db import models
from glance_members.glance import shares
from tests.functional import test_sharing_v1 as functional
from tests.support import beside
from testbed import processes

ROOT = '/sharing/v1'
# Where this mode answers otherwise than the image service itself, and
# why: Glance 33's default policy lets only the image owner delete a
# membership (delete_member), so leaving is refused and the consumer is
# still a member afterwards.
BESIDE_DIFFERENCES = {
    'consumer': {'leave': 403, 'members': 200},
    'consumer_colleague': {'leave': 403, 'members': 200},
}


class Site:
    """The in-process app beside Glance, and Glance itself."""

    def __init__(self, app, glance, personas, mirror, config):
        self.client = app.test_client()
        self.glance = glance
        self.glance_url = glance.url
        self.personas = personas
        self.mirror = mirror
        self.config = config
        self.database = app.extensions['glance_members'].repo.database

    def call(self, method, path, who='producer', body=None):
        headers = {'Accept': 'application/json'}
        if who is not None:
            headers['X-Auth-Token'] = str(self.personas.token(who))
        return self.client.open(path, method=method, headers=headers,
                                json=body)

    def on_glance(self, method, path, who='producer', expect=(200, 201, 204),
                  headers=None, **kwargs):
        headers = dict(headers or {},
                       **{'X-Auth-Token': str(self.personas.token(who))})
        response = requests.request(method, self.glance_url + path,
                                    timeout=30, headers=headers, **kwargs)
        assert response.status_code in expect, (method, path,
                                                response.status_code,
                                                response.text[:300])
        return response.json() if response.content else None

    def project(self, who):
        return self.personas.project_id(who)

    def image(self, name='beside', members=()):
        """A shared image of the producer's on Glance with `members`
        (pending) added there, mirrored."""
        image_id = self.on_glance('POST', '/v2/images', json={
            'name': name, 'disk_format': 'raw', 'container_format': 'bare',
            'visibility': 'shared'})['id']
        for member in members:
            self.on_glance('POST', '/v2/images/%s/members' % image_id,
                           json={'member': member})
        self.mirror.refresh(image_id)
        return image_id

    def members_on_glance(self, image_id):
        return {m['member_id']: m['status'] for m in self.on_glance(
            'GET', '/v2/images/%s/members' % image_id)['members']}

    def snapshot(self, image_id):
        """Every row of the mirror's data tables and Glance's members of
        the image."""
        with self.database.bind_ctx(models.DATA_MODELS):
            rows = {m._meta.table_name: sorted(map(repr, m.select(
                *models.data_fields(m)).tuples()))
                for m in models.DATA_MODELS}
        return rows, self.members_on_glance(image_id)

    def history(self, image_id):
        """[(member, event, where it was made)], oldest first."""
        return self.mirror.store.history_sources(image_id)


@pytest.fixture(scope='module')
def glance(beside_glances):
    return beside_glances['RegionOne']


@pytest.fixture(scope='module')
def site(keystone, glance, tmp_path_factory):
    base = tmp_path_factory.mktemp('beside')
    config = beside.write_config(
        str(base / 'glance-members.conf'), str(base / 'data'), keystone,
        glance.url, 'sqlite:///%s' % (base / 'mirror.sqlite'))
    app = gm_app.create_app(gm_conf.new_conf(config_file=config))
    mirror = beside.mirror_of(config)
    found = Site(app, glance, beside.Personas(keystone), mirror, config)
    try:
        yield found
    finally:
        found.database.close()
        mirror.store.database.close()


def _expected(who):
    codes = dict(zip(functional.ROUTE_NAMES, functional.RBAC[who]))
    codes.update(BESIDE_DIFFERENCES.get(who, {}))
    return codes


@pytest.mark.parametrize('who', sorted(set(functional.RBAC) -
                                       {'member_only'}))
def test_rbac_every_route_and_refusals_write_nothing(site, who):
    image = site.image('rbac-' + who, [site.project('consumer')])
    codes = {}
    for name, method, path, body in functional.routes(
            image, site.project('producer'), site.project('consumer'),
            site.project('consumer2')):
        before = site.snapshot(image)
        r = site.call(method, path, who, body)
        codes[name] = r.status_code
        if r.status_code >= 400:
            assert r.headers['Content-Type'] == 'application/json', name
            assert site.snapshot(image) == before, (who, name, r.text)
    assert codes == _expected(who)


def test_v2_is_glances_and_discovery_is_the_sharing_api(site):
    for path in ('/v2/images', '/v2', '/versions', '/v2/schemas/image'):
        r = site.call('GET', path)
        assert r.status_code == 404, path
        assert gm_app.NOT_SERVED_BESIDE in r.text
    for path in ('/', '/sharing'):
        r = site.call('GET', path, who=None)
        assert r.status_code == 200
        [version] = r.json['versions']
        assert version['links'][0]['href'].endswith('/sharing/v1/')
    assert site.call('GET', '/healthcheck', who=None).status_code == 200
    paths = site.call('GET', '/openapi.json', who=None).json['paths']
    assert paths and not [p for p in paths if not p.startswith(
        ('/sharing/v1/', '/healthcheck', '/openapi.json'))], sorted(paths)


def test_an_image_made_on_glance_a_moment_ago_is_shared_at_once(site):
    """Its notification not applied yet: the mirror reads it from Glance
    when asked for it. An id Glance does not know leaves no trace."""
    image = site.on_glance('POST', '/v2/images', json={
        'name': 'just-made', 'disk_format': 'raw',
        'container_format': 'bare', 'visibility': 'shared'})['id']
    consumer2 = site.project('consumer2')
    r = site.call('POST', ROOT + '/shares', 'producer',
                  {'images': [image], 'members': [consumer2]})
    assert r.status_code == 200, r.text
    assert site.members_on_glance(image) == {consumer2: 'pending'}
    unknown = str(uuid.uuid4())
    before = site.snapshot(image)
    r = site.call('POST', ROOT + '/shares', 'producer',
                  {'images': [unknown], 'members': [consumer2]})
    assert r.status_code == 404
    assert site.snapshot(image) == before


def test_a_decision_is_made_on_glance_with_the_consumers_token(site):
    consumer = site.project('consumer')
    image = site.image('decided', [consumer])
    r = site.call('POST', ROOT + '/inbox/decisions', 'consumer',
                  {'status': 'accepted', 'images': [image]})
    assert r.status_code == 200, r.text
    assert r.json['results'] == [{'image_id': image, 'status': 'accepted',
                                  'previous_status': 'pending',
                                  'result': 'changed'}]
    assert site.members_on_glance(image) == {consumer: 'accepted'}
    inbox = site.call('GET', ROOT + '/inbox?status=accepted', 'consumer')
    assert image in [s['image_id'] for s in inbox.json['inbox']]
    entries = site.call('GET', ROOT + '/images/%s/history' % image,
                        'producer').json['history']
    assert (entries[0]['event'], entries[0]['actor']['user_id']) == (
        'status_changed', site.personas.token('consumer').user_id)
    assert site.history(image)[-1] == (consumer, 'status_changed',
                                       'glance-members')
    # Glance's notification of it then finds nothing to record.
    before = site.history(image)
    site.mirror.refresh(image)
    assert site.history(image) == before


def test_all_pending_decided_on_glance(site):
    consumer2 = site.project('consumer2')
    images = [site.image('all-pending-%d' % n, [consumer2])
              for n in range(2)]
    r = site.call('POST', ROOT + '/inbox/decisions', 'consumer2',
                  {'status': 'rejected', 'all_pending': True})
    assert r.status_code == 200, r.text
    assert {d['image_id'] for d in r.json['results']} >= set(images)
    for image in images:
        assert site.members_on_glance(image) == {consumer2: 'rejected'}


def test_glance_down_writes_are_503_and_reads_still_answer(site, keystone,
                                                           tmp_path):
    """The same mirror, its Glance at an address nothing listens on: the
    inbox still answers from the mirror; a decision is a 503 that writes
    nothing."""
    consumer = site.project('consumer')
    image = site.image('glance-down', [consumer])
    dead = 'http://127.0.0.1:%d' % processes.free_port()
    config = beside.write_config(
        str(tmp_path / 'dead.conf'), str(tmp_path / 'data'), keystone, dead,
        gm_conf.new_conf(config_file=site.config).database.connection)
    down = Site(gm_app.create_app(gm_conf.new_conf(config_file=config)),
                site.glance, site.personas, site.mirror, config)
    try:
        inbox = down.call('GET', ROOT + '/inbox', 'consumer')
        assert inbox.status_code == 200
        assert image in [s['image_id'] for s in inbox.json['inbox']]
        before = site.snapshot(image)
        r = down.call('POST', ROOT + '/inbox/decisions', 'consumer',
                      {'status': 'accepted', 'images': [image]})
        assert r.status_code == 503, r.text
        assert 'Glance is unreachable' in r.json['message']
        assert site.snapshot(image) == before
    finally:
        down.database.close()


def test_leaving_is_refused_as_glance_refuses_it(site):
    consumer = site.project('consumer')
    image = site.image('left', [consumer])
    r = site.call('DELETE', ROOT + '/inbox/' + image, 'consumer')
    assert r.status_code == 403
    assert r.json['message'] == shares.LEAVE_REFUSED % image
    assert site.members_on_glance(image) == {consumer: 'pending'}


def test_a_batch_glance_refuses_half_way_leaves_glance_as_it_was(site):
    # Glance allows GLANCE_MEMBER_QUOTA members an image; ours 128. The
    # second image is one member short of Glance's quota: of the batch,
    # image one takes both, image two the first, and Glance refuses the
    # last pair.
    others = ['%032x' % uuid.uuid4().int for _ in range(
        beside.GLANCE_MEMBER_QUOTA - 1)]
    one = site.image('batch-one')
    two = site.image('batch-two', others)
    before = site.snapshot(one), site.snapshot(two)
    new = [site.project('consumer2'), site.project('outsider')]
    r = site.call('POST', ROOT + '/shares', 'producer',
                  {'images': [one, two], 'members': new})
    assert r.status_code == 413, r.text
    [failure] = r.json['failures']
    assert (failure['image'], failure['member']) == (two, new[1])
    assert failure['reason'] == (
        'Glance refused it: Image member limit exceeded for image %s: The '
        'limit has been exceeded on the number of allowed image members '
        'for this image. Attempted: %d, Maximum: %d:' % (
            two, beside.GLANCE_MEMBER_QUOTA + 1, beside.GLANCE_MEMBER_QUOTA))
    assert r.json['message'].startswith('Nothing was shared. 1 failing '
                                        'pair: %s / %s: ' % (two, new[1]))
    assert site.members_on_glance(one) == {}
    assert site.members_on_glance(two) == {m: 'pending' for m in others}
    assert (site.snapshot(one), site.snapshot(two)) == before
    # One member fewer fits: both images shared, on Glance and here.
    r = site.call('POST', ROOT + '/shares', 'producer',
                  {'images': [one, two], 'members': new[:1]})
    assert r.status_code == 200, r.text
    assert [p['result'] for p in r.json['results']] == ['created'] * 2
    assert site.members_on_glance(one) == {new[0]: 'pending'}
    r = site.call('POST', ROOT + '/shares/revoke', 'producer',
                  {'images': [one, two], 'members': new})
    assert [p['result'] for p in r.json['results']] == [
        'removed', 'absent', 'removed', 'absent']
    assert site.members_on_glance(one) == {}
    assert site.members_on_glance(two) == {m: 'pending' for m in others}


def test_a_revoke_glance_refuses_half_way_puts_back_what_it_removed(site):
    """Glance refuses the second image's removal (made private on Glance,
    its notification not applied yet: Glance lists no members of an image
    that is not shared); the first's, already removed, is added again by
    the producer and its status set again by the service identity."""
    consumer = site.project('consumer')
    one = site.image('revoke-one', [consumer])
    two = site.image('revoke-two', [consumer])
    r = site.call('POST', ROOT + '/inbox/decisions', 'consumer',
                  {'status': 'accepted', 'images': [one]})
    assert r.status_code == 200, r.text
    site.on_glance('PATCH', '/v2/images/' + two, json=[
        {'op': 'replace', 'path': '/visibility', 'value': 'private'}],
        headers={'Content-Type':
                 'application/openstack-images-v2.1-json-patch'})
    before = site.snapshot(one)
    r = site.call('POST', ROOT + '/shares/revoke', 'producer',
                  {'images': [one, two], 'members': [consumer]})
    assert r.status_code == 403, r.text
    assert [(f['image'], f['member']) for f in r.json['failures']] == [
        (two, consumer)]
    assert r.json['message'].startswith('Nothing was revoked. ')
    assert site.members_on_glance(one) == {consumer: 'accepted'}
    assert site.snapshot(one)[0] == before[0]


@pytest.fixture
def trusting(site):
    """consumer2 trusts the producer (removed after the test)."""
    path = ROOT + '/trusted-producers/' + site.project('producer')
    assert site.call('PUT', path, 'consumer2').status_code == 200
    yield
    assert site.call('DELETE', path, 'consumer2').status_code == 204


def test_a_trusted_share_made_on_glance_is_accepted_by_the_service(
        site, trusting):
    """Made with the producer's token straight on Glance (as a stock
    client does): when the mirror learns of it, the service identity
    accepts it there (modify_member, Glance 33's default policy)."""
    consumer2 = site.project('consumer2')
    image = site.image('trusted-on-glance')
    site.on_glance('POST', '/v2/images/%s/members' % image,
                   json={'member': consumer2})
    site.mirror.refresh(image)
    assert site.members_on_glance(image) == {consumer2: 'accepted'}
    assert site.history(image) == [(consumer2, 'created', 'glance'),
                                   (consumer2, 'auto_accepted',
                                    'glance-members')]
    inbox = site.call('GET', ROOT + '/inbox?status=accepted', 'consumer2')
    assert image in [s['image_id'] for s in inbox.json['inbox']]


def test_a_trusted_batch_share_arrives_accepted_on_glance(site, trusting):
    consumer2 = site.project('consumer2')
    image = site.image('trusted-batch')
    r = site.call('POST', ROOT + '/shares', 'producer',
                  {'images': [image], 'members': [consumer2]})
    assert r.status_code == 200, r.text
    assert r.json['results'][0]['status'] == 'accepted'
    assert site.members_on_glance(image) == {consumer2: 'accepted'}
    assert site.history(image) == [(consumer2, 'auto_accepted',
                                    'glance-members')]


def test_an_expired_share_is_removed_on_glance_by_the_service(site):
    consumer = site.project('consumer')
    image = site.image('expiring', [consumer])
    soon = datetime.datetime.now(datetime.timezone.utc).replace(
        microsecond=0) + datetime.timedelta(seconds=2)
    r = site.call('PATCH', ROOT + '/images/%s/members/%s' % (image, consumer),
                  'producer', {'expires_at': soon.strftime(
                      '%Y-%m-%dT%H:%M:%SZ')})
    assert r.status_code == 200, r.text
    time.sleep(max(0.0, (soon - datetime.datetime.now(
        datetime.timezone.utc)).total_seconds()) + 0.5)
    # The consumer no longer sees it; Glance still has it until the purge.
    inbox = site.call('GET', ROOT + '/inbox?status=all', 'consumer')
    assert image not in [s['image_id'] for s in inbox.json['inbox']]
    assert site.members_on_glance(image) == {consumer: 'pending'}
    done = subprocess.run(
        [sys.executable, '-m', 'glance_members.cmd.manage', '--config-file',
         site.config, 'members', 'purge-expired'], capture_output=True,
        text=True, timeout=120, env=dict(os.environ))
    assert done.returncode == 0, done.stderr
    assert done.stdout == 'Purged 1 expired memberships.\n'
    assert site.members_on_glance(image) == {}
    assert site.history(image)[-1] == (consumer, 'expired', 'glance-members')
