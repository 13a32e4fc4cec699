"""Moving in from a real Glance 33.0.0: `glance-members-manage
import-glance` against a database that Glance itself made and filled.

Glance (testbed/glance33.py: its own cached venv, `glance-manage db
sync` on SQLite, its API under gunicorn with the test Keystone) receives
images with data, properties and tags, members in every status, a removed
member and a deleted image, all through its own API. Then, as an operator
would, we stop it, add the duplicate member rows Glance's unique key lets
through (they come from races, which an API script cannot aim at), and run
the import (dry, real, again). Finally the stock client (python-glanceclient)
sees, through glance-members on the imported database, the same images,
members, statuses and bytes it saw through Glance. SQLite is the Glance
database here: the import reads MariaDB/PostgreSQL through the same SQL.
"""

import hashlib
import shutil
import sqlite3
import subprocess
import sys

import requests
from glanceclient import client as glance_client

from testbed import glance33
from testbed import keystone_service
from testbed import processes
from testbed import servers

PROPERTY_KEYS = ('os_distro', 'hw_disk_bus', 'note')
FIELDS = ('id', 'name', 'owner', 'visibility', 'status', 'size',
          'checksum', 'os_hash_algo', 'os_hash_value', 'disk_format',
          'container_format', 'min_ram', 'min_disk', 'protected',
          'created_at', 'updated_at') + PROPERTY_KEYS


class GlanceApi:
    """Glance's API as a persona (Keystone tokens)."""

    def __init__(self, url, keystone):
        self.url = url
        self.keystone = keystone
        self.tokens = {}

    def call(self, method, path, who='producer', expect=None, **kw):
        token = self.tokens.get(who)
        if token is None:
            token = self.tokens[who] = str(self.keystone.token(who))
        headers = dict(kw.pop('headers', {}), **{'X-Auth-Token': token})
        r = requests.request(method, self.url + path, headers=headers,
                             timeout=60, **kw)
        if expect is not None:
            assert r.status_code == expect, (method, path, r.status_code,
                                             r.text)
        return r

    def image(self, data=None, members=(), who='producer', **fields):
        image = self.call('POST', '/v2/images', who, json=fields,
                          expect=201).json()
        if data is not None:
            self.call('PUT', '/v2/images/%s/file' % image['id'], who,
                      data=data, expect=204,
                      headers={'Content-Type': 'application/octet-stream'})
        for project, who, status in members:
            self.call('POST', '/v2/images/%s/members' % image['id'],
                      json={'member': project}, expect=200)
            if status != 'pending':
                self.call('PUT', '/v2/images/%s/members/%s' % (
                    image['id'], project), who=who,
                    json={'status': status}, expect=200)
        return image['id']


def _fill(glance, keystone):
    """Images of every kind, through Glance's API; their ids."""
    pid = {who: keystone.identities['credentials'][who]['project_id']
           for who in ('producer', 'consumer', 'consumer2', 'outsider')}
    ids = {}
    ids['shared'] = glance.image(
        data=b'shared bytes ' * 1000, name='shared', disk_format='raw',
        container_format='bare', visibility='shared', os_distro='cirros',
        hw_disk_bus='virtio', note='x' * 300, tags=['b', 'a'], min_ram=64,
        members=[(pid['consumer'], 'consumer', 'accepted'),
                 (pid['consumer2'], 'consumer2', 'rejected'),
                 (pid['outsider'], 'outsider', 'pending')])
    ids['queued'] = glance.image(
        name='queued', visibility='shared', disk_format='qcow2',
        container_format='bare',
        members=[(pid['consumer'], 'consumer', 'pending'),
                 (pid['consumer2'], 'consumer2', 'accepted')])
    # A member removed again: its row stays in Glance, deleted.
    glance.call('DELETE', '/v2/images/%s/members/%s' % (
        ids['queued'], pid['consumer2']), expect=204)
    ids['private'] = glance.image(
        data=b'\x00private' * 333, name='private', disk_format='raw',
        container_format='bare', visibility='private', note='mine',
        protected=True)
    # Publicizing takes an admin (Glance's default policy).
    ids['public'] = glance.image(
        who='admin', data=b'public', name='public', disk_format='raw',
        container_format='bare', visibility='public', os_distro='debian')
    ids['community'] = glance.image(
        data=b'community', name='community', disk_format='raw',
        container_format='bare', visibility='community')
    ids['deleted'] = glance.image(data=b'gone', name='deleted',
                                  disk_format='raw', container_format='bare')
    glance.call('DELETE', '/v2/images/%s' % ids['deleted'], expect=204)
    return ids, pid


def _client(url, keystone, who):
    return glance_client.Client('2', endpoint=url,
                                token=str(keystone.token(who)))


def _seen(url, keystone):
    """What the stock client sees through `url`, per persona: the image
    list (every visibility, member_status=all), each shared image's
    members, and the bytes of each active image."""
    seen = {}
    for who in ('producer', 'consumer', 'consumer2', 'outsider'):
        client = _client(url, keystone, who)
        images = {}
        for filters in ({'member_status': 'all'},
                        {'visibility': 'community'}):
            for image in client.images.list(filters=filters):
                images[image['id']] = ({k: image.get(k) for k in FIELDS},
                                       sorted(image.get('tags', [])))
        members, data = {}, {}
        for image_id, (fields, _) in sorted(images.items()):
            if fields['visibility'] == 'shared':
                try:
                    members[image_id] = sorted(
                        (m['member_id'], m['status'], m['created_at'],
                         m['updated_at'])
                        for m in client.image_members.list(image_id))
                except Exception as e:  # noqa: BLE001 - 403/404 compared
                    members[image_id] = type(e).__name__
            if fields['status'] == 'active':
                body = b''.join(client.images.data(image_id))
                data[image_id] = hashlib.sha256(body).hexdigest()
        seen[who] = (images, members, data)
    return seen


def _manage(config, *args):
    proc = subprocess.run(
        [sys.executable, '-m', 'glance_members.cmd.manage', '--config',
         config] + list(args), stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=servers.child_env(PYTHONWARNINGS='ignore'), timeout=300)
    return proc.returncode, proc.stdout or proc.stderr


def test_import_from_a_real_glance_33(keystone, tmp_path):
    try:
        venv = glance33.ensure_venv()
    except Exception as e:  # noqa: BLE001 - no PyPI here: fails under CI
        processes.unavailable('Glance 33.0.0', str(e))
    glance = glance33.GlanceServer(tmp_path / 'glance', keystone, venv)
    glance.start()
    try:
        ids, pid = _fill(glance=GlanceApi(glance.url, keystone),
                         keystone=keystone)
        before = _seen(glance.url, keystone)
    finally:
        glance.stop()
    for who, (images, members, data) in sorted(before.items()):
        print('through Glance, %s sees %d images, the members of %d, the '
              'bytes of %d' % (who, len(images), len(members), len(data)))
    # Everything the producer made but the deleted image, with its bytes.
    assert set(before['producer'][0]) == set(ids.values()) - {
        ids['deleted']}, before['producer']
    assert len(before['producer'][2]) == 4
    assert sorted(m[1] for m in before['producer'][1][ids['shared']]) == [
        'accepted', 'pending', 'rejected']
    assert [m[1] for m in before['consumer'][1][ids['shared']]] == [
        'accepted']

    # Glance's own duplicate member rows (deleted_at NULL twice): as its
    # races leave them.
    conn = sqlite3.connect(str(glance.db_path))
    with conn:
        conn.execute(
            "INSERT INTO image_members (image_id, member, can_share, status,"
            " created_at, updated_at, deleted) SELECT image_id, member, "
            "can_share, 'pending', created_at, '2000-01-01 00:00:00', 0 "
            "FROM image_members WHERE image_id = ? AND member = ?",
            (ids['shared'], pid['consumer']))
    conn.close()
    glance_url = 'sqlite:///%s' % glance.db_path

    # glance-members on the keystone backend, its own SQLite database.
    base = tmp_path / 'gm'
    target = 'sqlite:///%s' % (base / 'imported.sqlite')
    extra = '\n[database]\nconnection = %s\n' % target
    config = str(base / 'glance-members.conf')
    base.mkdir()
    keystone_service.write_config(config, str(base / 'data'),
                                  0, keystone, 1, extra)
    assert _manage(config, 'db', 'sync')[0] == 0

    rc, dry = _manage(config, 'import-glance', '--connection', glance_url,
                      '--dry-run')
    print(dry)
    assert rc == 0, dry
    assert dry.startswith('Would import 5 images (4 active, 1 queued), '
                          '4 members, '), dry
    rc, done = _manage(config, 'import-glance', '--connection', glance_url)
    print(done)
    assert rc == 0, done
    assert done.splitlines()[:3] == [
        dry.splitlines()[0].replace('Would import', 'Imported'),
        '0 images already here: left alone.',
        'Recorded 1 ids of deleted images (never to be reused); skipped 1 '
        'removed member rows.'], done
    assert 'Collapsed 1 duplicate member rows of Glance:' in done
    assert 'image %s member %s' % (ids['shared'], pid['consumer']) in done
    rc, again = _manage(config, 'import-glance', '--connection', glance_url)
    print(again)
    assert rc == 0 and again.startswith(
        'Imported 0 images (none), 0 members, 0 properties, 0 tags.\n'
        '5 images already here: left alone.\n'
        'Recorded 0 ids of deleted images'), again

    service = keystone_service.start_service(keystone, str(base / 'run'),
                                             extra=extra, register=False)
    try:
        after = _seen(service.url, keystone)
    finally:
        service.server.stop()
        shutil.rmtree(service.server.home, ignore_errors=True)
    for who in before:
        assert after[who] == before[who], who

    # What cannot be mapped is refused, named, and nothing is written.
    conn = sqlite3.connect(str(glance.db_path))
    with conn:
        conn.execute("UPDATE images SET status = 'importing' WHERE id = ?",
                     (ids['queued'],))
    conn.close()
    refused_target = 'sqlite:///%s' % (base / 'refused.sqlite')
    refused_config = str(base / 'refused.conf')
    keystone_service.write_config(
        refused_config, str(base / 'data2'), 0, keystone, 1,
        '\n[database]\nconnection = %s\n' % refused_target)
    assert _manage(refused_config, 'db', 'sync')[0] == 0
    rc, refused = _manage(refused_config, 'import-glance', '--connection',
                          glance_url)
    print(refused)
    assert rc == 1, refused
    assert "cannot map images row id=%s: status 'importing'" % \
        ids['queued'] in refused
    conn = sqlite3.connect(str(base / 'refused.sqlite'))
    assert conn.execute('SELECT COUNT(*) FROM images').fetchone() == (0,)
    conn.close()
