"""The sharing extension's figures, in-process (no HTTP server: the
service's own request path through the Flask test client), on the embedded
SQLite default:

* GET /sharing/v1/inbox p50 at 10, 1,000 and 10,000 pending shares, with
  the default page (25 items: 10 at 10 shares) and with one page size for
  all (limit=10), which shows what the number of shares alone costs;
* POST /sharing/v1/shares with 100 images x 100 projects.

    python benchmarks/sharing_v1.py [--rounds N] [--machine TEXT]

writes results/sharing-v1.{json,md}.

Seeding goes through the repository (add_member), the measured calls
through the app. Say in --machine what else ran on the machine.
"""

import argparse
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

from glance_members import records  # noqa: E402
from testbed import apps  # noqa: E402
from testbed import personas  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def _app(tmp):
    app = apps.make_app(tmp, image_member_quota=-1)
    return app, app.extensions['glance_members'].repo


def _images(repo, n, owner=personas.PRODUCER_PROJECT):
    ids = []
    for _ in range(n):
        image = repo.create_image(records.Image(id=str(uuid.uuid4()),
                                                owner=owner, name='b'))
        ids.append(image.id)
    return ids


def inbox_p50(shares, rounds, query=''):
    with tempfile.TemporaryDirectory() as tmp:
        app, repo = _app(tmp)
        for image_id in _images(repo, shares):
            repo.add_member(image_id, personas.CONSUMER_PROJECT, -1)
        client = app.test_client()
        headers = {'X-Auth-Token': personas.token('consumer')}
        url = '/sharing/v1/inbox' + query
        for _ in range(20):
            client.get(url, headers=headers)
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            r = client.get(url, headers=headers)
            times.append(time.perf_counter() - start)
            assert r.status_code == 200 and \
                r.json['counts']['pending'] == shares
        return statistics.median(times) * 1000


def batch_100x100():
    with tempfile.TemporaryDirectory() as tmp:
        app, repo = _app(tmp)
        images = _images(repo, 100)
        members = ['project-%03d' % n for n in range(100)]
        client = app.test_client()
        headers = {'X-Auth-Token': personas.token('producer')}
        start = time.perf_counter()
        r = client.post('/sharing/v1/shares', headers=headers,
                        json={'images': images, 'members': members})
        elapsed = time.perf_counter() - start
        assert r.status_code == 200, r.data
        assert len(r.json['results']) == 10000
        start = time.perf_counter()
        r = client.post('/sharing/v1/shares', headers=headers,
                        json={'images': images, 'members': members})
        again = time.perf_counter() - start
        return elapsed * 1000, again * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--rounds', type=int, default=200)
    parser.add_argument('--machine', default='nothing else running')
    args = parser.parse_args()
    result = {'commit': subprocess.run(
        ['git', 'rev-parse', '--short', 'HEAD'], capture_output=True,
        text=True, cwd=HERE).stdout.strip(),
        'python': platform.python_version(), 'cpus': os.cpu_count(),
        'database': 'sqlite (embedded default)', 'rounds': args.rounds,
        'machine': args.machine, 'inbox_p50_ms': {},
        'inbox_limit10_p50_ms': {}}
    for n in (10, 1000, 10000):
        result['inbox_p50_ms'][str(n)] = round(inbox_p50(n, args.rounds), 3)
        result['inbox_limit10_p50_ms'][str(n)] = round(
            inbox_p50(n, args.rounds, '?limit=10'), 3)
    created, repeated = batch_100x100()
    result['batch_100x100_ms'] = round(created, 1)
    result['batch_100x100_repeat_ms'] = round(repeated, 1)
    os.makedirs(os.path.join(HERE, 'results'), exist_ok=True)
    with open(os.path.join(HERE, 'results', 'sharing-v1.json'), 'w') as f:
        json.dump(result, f, indent=1)
    inbox, same_page = (result['inbox_p50_ms'],
                        result['inbox_limit10_p50_ms'])
    rows = ''.join(
        '| inbox p50, %s pending | %.2f ms | %.2f ms |\n' % (
            '{:,}'.format(int(n)), inbox[n], same_page[n]) for n in inbox)
    with open(os.path.join(HERE, 'results', 'sharing-v1.md'), 'w') as f:
        f.write(
            '# /sharing/v1 figures (commit %s)\n\n'
            'In-process (Flask test client, no HTTP), SQLite, Python %s, %d '
            'CPUs; %s. Written by `python benchmarks/sharing_v1.py`.\n\n'
            '| measure | default page (25) | limit=10 |\n|---|---|---|\n'
            '%s'
            '| 10,000 vs 10 pending | %.2fx | %.2fx |\n\n'
            '| measure | value |\n|---|---|\n'
            '| batch share 100 x 100 (10,000 created) | %.0f ms |\n'
            '| the same batch repeated (10,000 existing) | %.0f ms |\n' % (
                result['commit'], result['python'], result['cpus'],
                result['machine'], rows,
                inbox['10000'] / inbox['10'],
                same_page['10000'] / same_page['10'],
                result['batch_100x100_ms'],
                result['batch_100x100_repeat_ms']))
    print(json.dumps(result, indent=1))


if __name__ == '__main__':
    main()
