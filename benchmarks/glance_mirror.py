"""Beside an existing Glance (issue 26): the mirror's figures against a
real Glance 33 (its cached venv, SQLite, gunicorn 1 worker x 4 threads)
with messagingv2 notifications on a private RabbitMQ node, and a real
Keystone, all on this machine:

* event-to-inbox delay: from Glance's 200 to a member create (through its
  API) until the share is in the consumer's inbox of the mirror
  (Repository.list_inbox on the mirror database, which /sharing/v1/inbox
  serves), with `glance-members-manage mirror listen` running: p50, p99;
* initial sync (`Mirror.sync`) of N images with M memberships each into an
  empty SQLite mirror: time and Glance requests made. The images and
  memberships are written straight into Glance's own database (its schema,
  as `glance-manage db sync` made it): through its API, 110,000 writes
  would take longer than the benchmark;
* reconciliation (`Mirror.reconcile`) cost per run at the default batch
  size: time and Glance requests.

    python benchmarks/glance_mirror.py [--images 10000] [--members 10]
        [--events 100] [--machine TEXT]

writes results/glance-mirror.{json,md} (`--markdown-only` rewrites the
.md from the .json). Say in --machine what else ran.
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from glance_members import conf as gm_conf  # noqa: E402
from glance_members import db  # noqa: E402
from glance_members.glance import mirror as glance_mirror  # noqa: E402
from testbed.stack import control  # noqa: E402
from testbed import glance33  # noqa: E402
from testbed import keystone as keystone_support  # noqa: E402
from testbed import processes  # noqa: E402
from testbed import rabbitmq  # noqa: E402
from testbed import glance_mirror as site  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def _percentile(values, p):
    ordered = sorted(values)
    index = int(round(p / 100.0 * (len(ordered) - 1)))
    return ordered[min(len(ordered) - 1, index)]


def measure_delay(keystone, glance, config, database, events):
    listener = site.Listener(config, config + '.listener.log')
    api = site.Api(glance.url, keystone)
    repo = db.make_repository(db.connect(database))
    consumer = keystone.identities['credentials']['consumer']['project_id']
    delays = []
    try:
        for n in range(events):
            image_id = site.image(api, 'delay-%d' % n)
            time.sleep(0.05)  # the image.create notification applied first
            api.call('POST', '/v2/images/%s/members' % image_id,
                     json={'member': consumer}, expect=200)
            done = time.monotonic()
            while image_id not in {s.image_id for s in repo.find_shares(
                    consumer, [image_id])}:
                if time.monotonic() - done > 30:
                    raise RuntimeError('share %s never arrived' % image_id)
                time.sleep(0.002)
            delays.append(time.monotonic() - done)
    finally:
        listener.stop()
        repo.database.close()
    return {'events': len(delays),
            'p50_ms': round(statistics.median(delays) * 1000, 1),
            'p99_ms': round(_percentile(delays, 99) * 1000, 1),
            'max_ms': round(max(delays) * 1000, 1)}


def seed_glance(db_path, images, members_each, owner):
    """N shared images of `owner`, each with `members_each` pending
    members, written into Glance's database in its own schema."""
    conn = sqlite3.connect(db_path)
    base = datetime.datetime(2026, 1, 1)
    with conn:
        for start in range(0, images, 1000):
            rows, member_rows = [], []
            for n in range(start, min(images, start + 1000)):
                image_id = str(uuid.uuid4())
                when = (base + datetime.timedelta(seconds=n)).isoformat(' ')
                rows.append((image_id, 'seeded-%d' % n, 'active', when,
                             when, 0, 'raw', 'bare', owner, 0, 0, 0, 1024,
                             'shared', 0))
                member_rows += [(image_id, 'project-%04d' % m, 0, when,
                                 when, 0, 'pending')
                                for m in range(members_each)]
            conn.executemany(
                'INSERT INTO images (id, name, status, created_at, '
                'updated_at, deleted, disk_format, container_format, owner, '
                'min_disk, min_ram, protected, size, visibility, os_hidden) '
                'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', rows)
            conn.executemany(
                'INSERT INTO image_members (image_id, member, can_share, '
                'created_at, updated_at, deleted, status) VALUES '
                '(?, ?, ?, ?, ?, ?, ?)', member_rows)
    conn.close()


def measure_sync(config, database, runs_reconcile=3):
    conf = gm_conf.new_conf(config_file=config)
    database_obj = db.connect(database)
    db.create_schema(database_obj)
    mirror = glance_mirror.from_conf(conf, db.make_repository(database_obj))
    report = mirror.sync()
    sync = {'images': report.images, 'members': report.members,
            'glance_requests': report.glance_requests,
            'seconds': round(report.seconds, 1)}
    reconciles = []
    for _ in range(runs_reconcile):
        r = mirror.reconcile(conf.glance.reconcile_batch_size)
        reconciles.append({'images': r.images, 'members': r.members,
                           'changed': r.changed,
                           'glance_requests': r.glance_requests,
                           'seconds': round(r.seconds, 2)})
    database_obj.close()
    return sync, reconciles


def write_markdown(result):
    m, p = result['machine'], result['parameters']
    d, s = result['event_to_inbox'], result['sync']
    lines = [
        '# The mirror beside Glance 33 (benchmarks/glance_mirror.py)', '',
        'Commit %s; %s; mirror: %s. %d CPUs, load average %s before, %s '
        'after. %s' % (m['commit'], m['glance'], m['mirror'], m['cpus'],
                       m['loadavg_before'], m['loadavg_after'], m['note']),
        '',
        '| what | figure |', '| --- | --- |',
        '| event to inbox, %d member creates on Glance\'s API | p50 %s ms, '
        'p99 %s ms, max %s ms |' % (d['events'], d['p50_ms'], d['p99_ms'],
                                    d['max_ms']),
        '| initial sync, %d images x %d members (%d memberships) | %s s, '
        '%d Glance requests |' % (s['images'], p['members_per_image'],
                                  s['members'], s['seconds'],
                                  s['glance_requests'])]
    for n, r in enumerate(result['reconcile'], 1):
        lines.append('| reconciliation run %d: %d images (%d members) | '
                     '%s s, %d Glance requests, %d changed |' % (
                         n, r['images'], r['members'], r['seconds'],
                         r['glance_requests'], r['changed']))
    lines += ['', 'A reconciliation run reads `reconcile_batch_size` mirrored '
              'images after its cursor plus every image Glance updated '
              'since the mirror\'s newest update less 5 minutes (here the '
              '%d images of the delay measurement, made just before).'
              % d['events']]
    with open(os.path.join(HERE, 'results', 'glance-mirror.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')


def main():
    if sys.argv[1:] == ['--markdown-only']:
        with open(os.path.join(HERE, 'results', 'glance-mirror.json')) as f:
            write_markdown(json.load(f))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument('--images', type=int, default=10000)
    parser.add_argument('--members', type=int, default=10)
    parser.add_argument('--events', type=int, default=100)
    parser.add_argument('--machine', default='')
    args = parser.parse_args()
    load_before = os.getloadavg()
    work = tempfile.mkdtemp(prefix='gm-bench-mirror-')
    server, ids, info = control.up(os.path.join(work, 'keystone'),
                                   processes.free_port())
    keystone = keystone_support.KeystoneStack(server, ids, info)
    node = rabbitmq.Node().start()
    glance = glance33.GlanceServer(os.path.join(work, 'glance'), keystone,
                                   transport_url=node.url).start()
    result = {}
    try:
        delay_db = 'sqlite:///%s' % os.path.join(work, 'delay.sqlite')
        config = site.write_config(os.path.join(work, 'delay.conf'),
                                   keystone, node, glance, delay_db,
                                   'gm-bench')
        db.create_schema(db.connect(delay_db))
        result['event_to_inbox'] = measure_delay(keystone, glance, config,
                                                 delay_db, args.events)
        print('event to inbox:', result['event_to_inbox'], flush=True)
        started = time.monotonic()
        seed_glance(str(glance.db_path), args.images, args.members,
                    ids['credentials']['producer']['project_id'])
        result['seed_seconds'] = round(time.monotonic() - started, 1)
        sync_db = 'sqlite:///%s' % os.path.join(work, 'sync.sqlite')
        config = site.write_config(os.path.join(work, 'sync.conf'),
                                   keystone, node, glance, sync_db,
                                   'gm-bench-sync')
        result['sync'], result['reconcile'] = measure_sync(config, sync_db)
        print('sync:', result['sync'], flush=True)
        print('reconcile:', result['reconcile'], flush=True)
    finally:
        glance.stop()
        node.stop()
        node.cleanup()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    result['machine'] = {
        'note': args.machine, 'cpus': os.cpu_count(),
        'python': platform.python_version(),
        'loadavg_before': [round(x, 2) for x in load_before],
        'loadavg_after': [round(x, 2) for x in os.getloadavg()],
        'commit': subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
                                 capture_output=True, text=True,
                                 cwd=HERE).stdout.strip(),
        'glance': 'Glance 33.0.0, SQLite, gunicorn 1 worker x 4 threads',
        'mirror': 'SQLite, sync_workers 4, reconcile_batch_size 200'}
    result['parameters'] = {'images': args.images,
                            'members_per_image': args.members,
                            'events': args.events}
    os.makedirs(os.path.join(HERE, 'results'), exist_ok=True)
    with open(os.path.join(HERE, 'results', 'glance-mirror.json'),
              'w') as f:
        json.dump(result, f, indent=2, sort_keys=True)
    write_markdown(result)
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == '__main__':
    main()
