"""Beside a real Glance 33: the local mirror of its memberships kept fresh
from its own notifications.

Glance 33 (testbed/glance33.py) sends with `[oslo_messaging_
notifications] driver = messagingv2` to a private RabbitMQ node
(tests/support/rabbitmq.py); `glance-members-manage mirror listen` (a real
process: the listener of glance_members.glance.listener, in a pool) applies
them to a mirror database, and the standalone service (keystone backend)
serves /sharing/v1 from that same database. Shares are made with the stock
`glance` CLI straight on Glance. The event-to-inbox delay is printed (its
figures are in benchmarks/), never asserted beyond a generous timeout.
"""

import json
import re
import shutil
import sqlite3
import statistics
import time

from keystoneauth1.identity import v3
import pytest

from glance_members import conf as gm_conf
from glance_members import db
from glance_members.db import mirror as db_mirror
from glance_members.glance import client as glance_client
from tests.support import clients as stock
from testbed import glance33
from testbed import glance_mirror as site
from testbed import keystone_service
from testbed import processes

ARRIVAL_TIMEOUT = site.ARRIVAL_TIMEOUT


@pytest.fixture(scope='module')
def glance(keystone, rabbitmq_node, tmp_path_factory):
    try:
        venv = glance33.ensure_venv()
    except Exception as e:  # noqa: BLE001 - no PyPI here: fails under CI
        processes.unavailable('Glance 33.0.0', str(e))
    server = glance33.GlanceServer(tmp_path_factory.mktemp('glance'),
                                   keystone, venv,
                                   transport_url=rabbitmq_node.url)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope='module')
def clients(keystone):
    try:
        found = stock.StockClients(keystone)
    except Exception as e:  # noqa: BLE001 - no PyPI here: fails under CI
        processes.unavailable('the stock clients', str(e))
    yield found
    found.cleanup()


def _pid(keystone, who):
    return keystone.identities['credentials'][who]['project_id']


def _inbox_ids(api, who='consumer', status=None):
    path = '/sharing/v1/inbox' + ('?status=%s' % status if status else '')
    body = api.call('GET', path, who, expect=200).json()
    return [share['image_id'] for share in body['inbox']]


def _wait(predicate, timeout=ARRIVAL_TIMEOUT):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return time.monotonic()
        time.sleep(0.02)
    raise AssertionError('not within %ss' % timeout)


@pytest.fixture
def mirror_site(keystone, rabbitmq_node, glance, tmp_path):
    """A SQLite mirror (schema made), its config, its listener and the
    standalone service reading it (keystone backend)."""
    database = 'sqlite:///%s' % (tmp_path / 'mirror.sqlite')
    config = site.write_config(str(tmp_path / 'mirror.conf'), keystone,
                               rabbitmq_node, glance, database,
                               'gm-test-%s' % tmp_path.name)
    assert site.manage(config, 'db', 'sync').returncode == 0
    listener = site.Listener(config, str(tmp_path / 'listener.log'))
    service = keystone_service.start_service(
        keystone, str(tmp_path / 'service'), register=False,
        extra='\n[database]\nconnection = %s\n' % database)
    store = db_mirror.MirrorStore(db.make_repository(db.connect(database)))
    found = dict(config=config, listener=listener, store=store,
                 api=site.Api(service.url, keystone),
                 glance=site.Api(glance.url, keystone), database=database)
    try:
        yield found
    finally:
        service.server.stop()
        shutil.rmtree(service.server.home, ignore_errors=True)
        if listener.process.poll() is None:
            listener.stop()
        store.database.close()


def test_stock_cli_share_on_glance_reaches_the_inbox(keystone, clients,
                                                     glance, mirror_site):
    api, store = mirror_site['api'], mirror_site['store']
    consumer = _pid(keystone, 'consumer')

    def cli(who, *args):
        # Straight on Glance (the catalog's image service may be ours).
        return clients.glance(who, *args, env=clients.env(
            who, OS_IMAGE_URL=glance.url))

    delays = []
    for n in range(5):
        image_id = site.image(mirror_site['glance'], 'cli-share-%d' % n)
        made = cli('producer', 'member-create', image_id, consumer)
        done = time.monotonic()
        assert made.rc == 0, made
        arrived = _wait(lambda: image_id in _inbox_ids(api, status='pending'))
        delays.append(arrived - done)
        assert store.history_sources(image_id) == [
            (consumer, 'created', 'glance')]
    counts = api.call('GET', '/sharing/v1/inbox', 'consumer',
                      expect=200).json()['counts']
    assert counts['pending'] >= 5, counts
    print('stock CLI share -> inbox: median %.3f s, max %.3f s (%s)' % (
        statistics.median(delays), max(delays),
        ', '.join('%.3f' % d for d in delays)))
    # The consumer's decision on Glance reaches the mirror too.
    decided = cli('consumer', 'member-update', image_id, consumer,
                  'accepted')
    assert decided.rc == 0, decided
    _wait(lambda: image_id in _inbox_ids(api, status='accepted'))
    history = api.call('GET', '/sharing/v1/images/%s/history' % image_id,
                       'producer', expect=200).json()['history']
    assert [e['event'] for e in history] == ['status_changed', 'created']
    assert store.history_sources(image_id)[-1] == (
        consumer, 'status_changed', 'glance')


def test_replayed_and_older_notifications_change_nothing(
        keystone, rabbitmq_node, mirror_site, tmp_path):
    api, store = mirror_site['api'], mirror_site['store']
    glance_api, listener = mirror_site['glance'], mirror_site['listener']
    consumer = _pid(keystone, 'consumer')
    audit = site.Audit(rabbitmq_node.amqp_url, 'gm-audit-%s' % tmp_path.name)
    try:
        image_id = site.image(glance_api, 'replayed')
        glance_api.call('POST', '/v2/images/%s/members' % image_id,
                        json={'member': consumer}, expect=200)
        _wait(lambda: image_id in _inbox_ids(api, status='pending'))
        sent = audit.drain()
        [(_, payload, created_raw)] = [
            s for s in sent if s[0] == 'image.member.create']
        assert payload['image_id'] == image_id
        history = store.history_sources(image_id)

        # The same notification again: applied, and nothing changes.
        audit.replay(created_raw)
        message_id = json.loads(json.loads(created_raw)['oslo.message'])[
            'message_id']
        listener.wait_for('image.member.create message %s image %s '
                          'unchanged' % (message_id, image_id))
        assert store.history_sources(image_id) == history
        assert _inbox_ids(api, status='pending').count(image_id) == 1

        # The member removed on Glance; then the older create arrives
        # (late, out of order): it cannot bring the share back.
        glance_api.call('DELETE', '/v2/images/%s/members/%s'
                        % (image_id, consumer), expect=204)
        _wait(lambda: image_id not in _inbox_ids(api))
        audit.replay(created_raw)
        _wait(lambda: len(re.findall('message %s image %s unchanged' % (
            message_id, image_id), listener.log())) == 2)
        assert image_id not in _inbox_ids(api)
        assert store.history_sources(image_id) == history + [
            (consumer, 'removed', 'glance')]
    finally:
        audit.close()
    applied = listener.stop()
    # create, two replays, delete, image.create (at least).
    assert applied['image.member.create'] == 3, applied
    assert applied['image.member.delete'] == 1, applied


def test_reconciliation_repairs_what_no_notification_said(
        keystone, glance, mirror_site):
    """The listener down, a membership deleted in Glance's database (no
    notification at all) and one added through its API (its notification
    lost with the pool's queue): `mirror reconcile` repairs both."""
    api, store = mirror_site['api'], mirror_site['store']
    glance_api = mirror_site['glance']
    consumer = _pid(keystone, 'consumer')
    kept = site.image(glance_api, 'deleted-behind-our-back')
    glance_api.call('POST', '/v2/images/%s/members' % kept,
                    json={'member': consumer}, expect=200)
    _wait(lambda: kept in _inbox_ids(api, status='pending'))
    mirror_site['listener'].stop()

    conn = sqlite3.connect(str(glance.db_path))
    with conn:
        assert conn.execute(
            "UPDATE image_members SET deleted = 1, deleted_at = "
            "CURRENT_TIMESTAMP WHERE image_id = ? AND member = ? AND "
            "deleted = 0", (kept, consumer)).rowcount == 1
    conn.close()
    missed = site.image(glance_api, 'shared-while-we-were-away')
    # Shared as the producer through the client of the write path (the
    # service's endpoint and session, the user's own credentials).
    service_client = glance_client.GlanceClient.from_conf(
        gm_conf.new_conf(config_file=mirror_site['config']))
    producer = service_client.for_user(v3.Password(
        auth_url=keystone.url, username='producer',
        password=keystone.password('producer'), project_name='producer',
        user_domain_name='Default', project_domain_name='Default'))
    assert producer.add_member(missed, consumer).status == 'pending'
    assert service_client.requests_made == 0
    assert kept in _inbox_ids(api) and missed not in _inbox_ids(api)

    result = site.manage(mirror_site['config'], 'mirror', 'reconcile', '--all')
    print(result.stdout, result.stderr)
    assert result.returncode == 0, result
    assert kept not in _inbox_ids(api)
    assert missed in _inbox_ids(api, status='pending')
    assert store.history_sources(kept) == [
        (consumer, 'created', 'glance'), (consumer, 'removed', 'glance')]
    # Again: nothing left to repair.
    again = site.manage(mirror_site['config'], 'mirror', 'reconcile', '--all')
    assert again.returncode == 0 and ' 0 changed,' in again.stdout, again


def test_two_listeners_in_one_pool_apply_each_event_once(
        keystone, rabbitmq_node, glance, tmp_path, request):
    """Two hosts (two listener processes) sharing a PostgreSQL mirror and
    a pool: every notification Glance sent is applied by exactly one."""
    database = request.getfixturevalue('fresh_postgresql_url')
    configs = []
    for host in ('a', 'b'):
        (tmp_path / host).mkdir()
        configs.append(site.write_config(
            str(tmp_path / host / 'mirror.conf'), keystone, rabbitmq_node,
            glance, database, 'gm-pool-%s' % tmp_path.name))
    assert site.manage(configs[0], 'db', 'sync').returncode == 0
    audit = site.Audit(rabbitmq_node.amqp_url, 'gm-audit-%s' % tmp_path.name)
    listeners = [site.Listener(c, c + '.log') for c in configs]
    glance_api = site.Api(glance.url, keystone)
    members = [_pid(keystone, w) for w in ('consumer', 'consumer2',
                                           'outsider')]
    try:
        images = [site.image(glance_api, 'pool-%d' % n) for n in range(4)]
        for image_id in images:
            for member in members:
                glance_api.call('POST', '/v2/images/%s/members' % image_id,
                                json={'member': member}, expect=200)
            glance_api.call('DELETE', '/v2/images/%s/members/%s' % (
                image_id, members[-1]), expect=204)
        sent = audit.drain(settle=2.0)
        store = db_mirror.MirrorStore(db.make_repository(db.connect(
            database)))
        repo = store.repo
        _wait(lambda: sum(len(repo.list_image_shares(i))
                          for i in images) == 2 * len(images))
        time.sleep(1.0)
    finally:
        applied = [listener.stop() for listener in listeners]
        audit.close()
    wanted = {}
    for event_type, _, _ in sent:
        wanted[event_type] = wanted.get(event_type, 0) + 1
    total = {}
    for counts in applied:
        for event_type, n in counts.items():
            total[event_type] = total.get(event_type, 0) + n
    print('sent %s; applied by host a %s, by host b %s'
          % (wanted, applied[0], applied[1]))
    assert total == wanted
    assert all(sum(counts.values()) > 0 for counts in applied), applied
    for image_id in images:
        events = {}
        for member, event, source in store.history_sources(image_id):
            assert source == 'glance'
            events.setdefault(member, []).append(event)
        # Each change once, whichever host applied it; a share removed
        # before any read saw it leaves no trace (a hint re-reads the
        # truth: intermediate states may collapse).
        assert events[members[0]] == events[members[1]] == ['created']
        assert events.get(members[2], []) in ([], ['created', 'removed'])
    store.database.close_all()


def test_initial_sync_fills_an_empty_mirror(keystone, rabbitmq_node, glance,
                                            tmp_path):
    """`mirror sync`: every image Glance lists to an admin, hidden ones
    too, with the members of the shared ones; no history for what was
    there before; the Glance requests counted."""
    glance_api = site.Api(glance.url, keystone)
    consumer = _pid(keystone, 'consumer')
    shared = site.image(glance_api, 'sync-shared')
    hidden = glance_api.call('POST', '/v2/images', json={
        'name': 'sync-hidden', 'visibility': 'shared',
        'os_hidden': True}, expect=201).json()['id']
    private = site.image(glance_api, 'sync-private', visibility='private')
    for image_id in (shared, hidden):
        glance_api.call('POST', '/v2/images/%s/members' % image_id,
                        json={'member': consumer}, expect=200)
    database = 'sqlite:///%s' % (tmp_path / 'synced.sqlite')
    config = site.write_config(str(tmp_path / 'sync.conf'), keystone,
                               rabbitmq_node, glance, database, 'unused')
    assert site.manage(config, 'db', 'sync').returncode == 0
    result = site.manage(config, 'mirror', 'sync')
    print(result.stdout, result.stderr)
    assert result.returncode == 0, result
    listed = [glance_api.call('GET', '/v2/images?limit=1000&os_hidden=%s'
                              % hidden_, 'admin', expect=200).json()['images']
              for hidden_ in ('false', 'true')]
    images = sum(len(page) for page in listed)
    shared_count = sum(i['visibility'] == 'shared'
                       for page in listed for i in page)
    # One page of each listing, then one member list per shared image.
    assert result.stdout.startswith(
        'Synced: %d images' % images), result.stdout
    assert 'in %d requests' % (2 + shared_count) in result.stdout
    store = db_mirror.MirrorStore(db.make_repository(db.connect(database)))
    try:
        assert store.count_images() == images
        found = {s.image_id for s in store.repo.find_shares(
            consumer, [shared, hidden, private])}
        assert found == {shared, hidden}
        assert store.history_sources(shared) == []
    finally:
        store.database.close()


def test_rabbitmq_restarted_then_reconciled(keystone, tmp_path):
    """A RabbitMQ node of this test's own, stopped and started again while
    a listener runs: a membership deleted in Glance's database meanwhile
    is repaired by the reconciliation, and the listener (reconnected)
    applies the notifications that follow."""
    from tests.support import rabbitmq
    try:
        node = rabbitmq.Node().start()
    except rabbitmq.Unavailable as e:
        processes.unavailable('RabbitMQ', str(e))
    glance = glance33.GlanceServer(tmp_path / 'glance', keystone,
                                   transport_url=node.url)
    listener = None
    try:
        glance.start()
        glance_api = site.Api(glance.url, keystone)
        consumer = _pid(keystone, 'consumer')
        database = 'sqlite:///%s' % (tmp_path / 'mirror.sqlite')
        config = site.write_config(str(tmp_path / 'mirror.conf'), keystone,
                                   node, glance, database, 'gm-restart')
        assert site.manage(config, 'db', 'sync').returncode == 0
        listener = site.Listener(config, str(tmp_path / 'listener.log'))
        store = db_mirror.MirrorStore(db.make_repository(db.connect(
            database)))
        repo = store.repo

        def shared_with_consumer(image_id):
            return bool(repo.find_shares(consumer, [image_id]))

        before = site.image(glance_api, 'before-the-outage')
        glance_api.call('POST', '/v2/images/%s/members' % before,
                        json={'member': consumer}, expect=200)
        _wait(lambda: shared_with_consumer(before))

        node.stop()
        conn = sqlite3.connect(str(glance.db_path))
        with conn:
            conn.execute("UPDATE image_members SET deleted = 1, deleted_at "
                         "= CURRENT_TIMESTAMP WHERE image_id = ?", (before,))
        conn.close()
        node.start()

        after = site.image(glance_api, 'after-the-outage')
        glance_api.call('POST', '/v2/images/%s/members' % after,
                        json={'member': consumer}, expect=200)
        _wait(lambda: shared_with_consumer(after), timeout=120)
        assert shared_with_consumer(before)  # nobody said otherwise
        result = site.manage(config, 'mirror', 'reconcile', '--all')
        assert result.returncode == 0, result
        assert not shared_with_consumer(before)
        assert store.history_sources(before)[-1] == (
            consumer, 'removed', 'glance')
        store.database.close()
    finally:
        if listener is not None:
            print(listener.stop())
        glance.stop()
        node.stop()
        node.cleanup()
