"""The consumer's inbox beside Glance: p50 of one inbox read (a page and
the counts per status) at 10, 1,000 and 10,000 pending shares, through the
beside-Glance adapter (glance.shares.BesideGlance, which reads the local
mirror) and through the standalone Repository on the same database, for
comparison. The mirror is filled as the initial sync fills it
(db.mirror.MirrorStore.apply_images, Glance's truth as records): reads
ask Glance nothing, so no Glance runs here; the HTTP and Keystone part of
a request is the standalone service's (benchmarks/sharing_v1.py).

    python benchmarks/beside_inbox.py [--rounds N] [--machine TEXT]

writes results/beside-inbox.{json,md}.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from glance_members import db  # noqa: E402
from glance_members import records  # noqa: E402
from glance_members.db import mirror as db_mirror  # noqa: E402
from glance_members.glance import shares  # noqa: E402
from glance_members.sharing import mirroring  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PRODUCER, CONSUMER = 'producer-project', 'consumer-project'
SIZES = (10, 1000, 10000)
BATCH = 500


def _fill(repo, pending):
    """`pending` images of PRODUCER shared with CONSUMER, pending, as
    Glance would list them."""
    store = db_mirror.MirrorStore(repo)
    start = datetime.datetime(2026, 1, 1)
    snapshots = []
    for n in range(pending):
        image_id = str(uuid.uuid4())
        when = start + datetime.timedelta(seconds=n)
        image = records.Image(id=image_id, owner=PRODUCER, name='img-%d' % n,
                              visibility='shared', status='active',
                              disk_format='raw', container_format='bare',
                              size=1024, created_at=when, updated_at=when)
        member = records.Member(image_id, CONSUMER, 'pending', when, when)
        snapshots.append(mirroring.Snapshot(image_id, records.utcnow(),
                                            image, [member]))
        if len(snapshots) == BATCH:
            store.apply_images(snapshots, history=False)
            snapshots = []
    if snapshots:
        store.apply_images(snapshots, history=False)


def _p50_ms(read, rounds):
    for _ in range(20):
        read()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        read()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def measure(rounds):
    figures = {}
    for pending in SIZES:
        tmp = tempfile.mkdtemp(prefix='gm-beside-inbox-')
        database = db.connect('sqlite:///%s/mirror.sqlite' % tmp)
        db.create_schema(database)
        repo = db.make_repository(database)
        _fill(repo, pending)
        beside = shares.BesideGlance(repo, glance=None)
        for name, adapter in (('beside', beside), ('standalone', repo)):
            def read(adapter=adapter):
                page = adapter.list_inbox(CONSUMER, None, 25)
                counts = adapter.count_inbox(CONSUMER)
                assert counts['pending'] == pending and page
            figures['%s_%d' % (name, pending)] = round(
                _p50_ms(read, rounds), 3)
        database.close()
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--rounds', type=int, default=500)
    parser.add_argument('--machine', default='',
                        help='what else ran on the machine')
    args = parser.parse_args()
    figures = measure(args.rounds)
    commit = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
                            capture_output=True, text=True,
                            cwd=HERE).stdout.strip()
    result = dict(figures, commit=commit, rounds=args.rounds,
                  machine=args.machine, cpus=os.cpu_count(),
                  python=platform.python_version())
    os.makedirs(os.path.join(HERE, 'results'), exist_ok=True)
    with open(os.path.join(HERE, 'results', 'beside-inbox.json'), 'w') as f:
        json.dump(result, f, indent=1)
    lines = ['# The inbox beside Glance (benchmarks/beside_inbox.py)', '',
             'Commit %s, SQLite mirror, %d reads per figure, %d CPUs. %s'
             % (commit, args.rounds, os.cpu_count(), args.machine), '',
             '| pending shares | beside Glance (p50) | standalone (p50) |',
             '|---|---|---|']
    for pending in SIZES:
        lines.append('| %s | %.2f ms | %.2f ms |' % (
            '{:,}'.format(pending), figures['beside_%d' % pending],
            figures['standalone_%d' % pending]))
    lines += ['', 'One read: a page of 25 (`list_inbox`) and the counts per '
              'status (`count_inbox`), in-process; target at 10,000 '
              'pending: <= 5 ms, as standalone.', '']
    with open(os.path.join(HERE, 'results', 'beside-inbox.md'), 'w') as f:
        f.write('\n'.join(lines))
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
