"""The /v2 member-API mix (wrk/mix.lua) of two or more versions of the code,
served side by side and measured in alternating rounds: how to tell a few
per cent on a machine whose speed drifts between runs by more than that
(sharing.py's mix measured 1,045 and 1,906 req/s for the same code).

    python benchmarks/v2_ab.py --rev 6245b90 --rev HEAD [--rev DIR]
        [--rounds 8] [--seconds 10] [--name NAME]

Each --rev is a commit (its glance_members/ taken with `git archive`) or a
directory holding a glance_members/ package, served by its own
`glance-members serve` (2 workers x 2 threads, the embedded SQLite default,
static tokens: the code measured, not Keystone) on its own data directory,
seeded the same way through its API: the mix image with 50 members (8 of
them consumers who log in and accept) and --bulk images each shared with
and accepted by one more consumer (a database that is not empty). Round i
runs every version once, in an order that alternates (ABAB.., BABA..); the
result for a version is its median over the rounds and, against the first
version, the median of the per-round ratios. Writes results/v2-ab.{json,md}
(with --name NAME: results/v2-ab-NAME.{json,md}).
"""

import argparse
import concurrent.futures
import datetime
import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid

import yaml

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from benchmarks import sharing  # noqa: E402
from benchmarks.support import load  # noqa: E402
from benchmarks.support import report  # noqa: E402
from benchmarks.support import servers  # noqa: E402
from testbed import processes  # noqa: E402
from testbed import servers as test_servers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OPS = ('list_members', 'show_member', 'update_status', 'add_member',
       'delete_member', 'list_images')
ROLES = ['member', 'reader']


def identities():
    """{name: {'project', 'token'}} as sharing.py names them: the mix
    producer and its consumers, plus the bulk producer and consumer."""
    return {name: {'project': uuid.uuid5(uuid.NAMESPACE_DNS,
                                         name + '.bench').hex,
                   'token': 'tok-' + name}
            for name in [sharing.MIX_PRODUCER, 'bulk-producer',
                         'bulk-consumer'] + sharing.MIX_CONSUMERS}


def source(rev, scratch):
    """(label, directory whose glance_members/ is that version)."""
    if os.path.isdir(rev):
        return os.path.basename(os.path.abspath(rev)), os.path.abspath(rev)
    commit = subprocess.check_output(
        ['git', 'rev-parse', '--short', rev], cwd=report.REPO,
        text=True).strip()
    root = os.path.join(scratch, 'src-' + commit)
    archive = subprocess.run(
        ['git', 'archive', '--format=tar', commit, 'glance_members'],
        cwd=report.REPO, check=True, stdout=subprocess.PIPE).stdout
    os.makedirs(root)
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root)
    return commit, root


class Version:
    def __init__(self, label, root, scratch, tokens):
        self.label, self.root = label, root
        data_dir = os.path.join(scratch, 'data-' + label)
        os.makedirs(data_dir)
        with open(os.path.join(data_dir, 'tokens.yaml'), 'w') as f:
            yaml.safe_dump({t['token']: {'user_id': 'u-' + name,
                                         'project_id': t['project'],
                                         'roles': ROLES}
                            for name, t in tokens.items()}, f)
        port = processes.free_port()
        self.server = servers.Server(
            label, [sys.executable, '-m', 'glance_members.cmd.serve', 'serve',
                    '--data-dir', data_dir, '--host', '127.0.0.1', '--port',
                    str(port), '--workers', '2', '--threads', '2'],
            data_dir, os.path.join(scratch, 'server-%s.log' % label), port,
            # Glance's rule, any member id (the mix adds made-up ones).
            env=test_servers.child_env(root, HOME=data_dir,
                                       OS_SHARING__VERIFY_MEMBERS='false'))
        self.rounds = []


def seed(version, tokens, bulk):
    """sharing.py's mix image (its 8 consumers accept; 42 more members),
    and `bulk` images shared with and accepted by the bulk consumer."""
    port = version.server.port
    client = load.Client(port)
    producer = tokens[sharing.MIX_PRODUCER]['token']
    image = load.create_image(client, producer, 'mix-50-members')
    members = []
    for name in sharing.MIX_CONSUMERS:
        load.share(client, producer, image, tokens[name])
        members.append(tokens[name]['project'])
    while len(members) < sharing.MIX_MEMBERS:
        member = uuid.uuid4().hex
        client.call('POST', '/v2/images/%s/members' % image,
                    {'member': member}, token=producer, expect=200)
        members.append(member)
    client.close()
    bulk_producer = tokens['bulk-producer']['token']

    def one(i):
        c = load.thread_client(port)
        image_id = load.create_image(c, bulk_producer, 'bulk-%05d' % i)
        load.share(c, bulk_producer, image_id, tokens['bulk-consumer'])
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(one, range(bulk)))
    return {'mix': {'image': image, 'members': members}}


def run_mix(version, scratch, tokens, seeded, seconds):
    run_id = uuid.uuid4().hex[:8]
    config = sharing._mix_config(os.path.join(scratch, 'mix-%s.lua' % run_id),
                                 tokens, seeded, run_id)
    result = load._wrk_once(version.server, '/', seconds, script='mix.lua',
                            script_args=[config])
    sharing.cleanup_mix(version.server, tokens, seeded['mix']['image'],
                        run_id)
    samples = load.read_samples(config[:-len('.lua')] + '.samples')
    duration = result['summary']['duration_s']
    requests = sum(len(rows) for rows in samples.values())
    errors = sum(1 for op in OPS for status, _ in samples.get(op, ())
                 if status >= 400)
    return {
        'rps': round(result['summary']['rps'], 1),
        'p50_ms': result['summary']['latency_ms']['p50'],
        'p99_ms': result['summary']['latency_ms']['p99'],
        'errors': errors,
        'worker_cpu_ms_per_request': round(
            1000 * sum(result['worker_cpu_s']) / max(requests, 1), 3),
        'other_cpu_s': result['other_cpu_s'],
        'ops_p50_ms': {op: load.latency_stats(samples.get(op, []),
                                              duration)['p50']
                       for op in OPS}}


def run_list(version, tokens, seeded, seconds):
    """The member list of the 50-member mix image alone, 8 connections:
    throughput and its tail (issue 22: p99 within 5x p50)."""
    result = load._wrk_once(
        version.server, '/v2/images/%s/members' % seeded['mix']['image'],
        seconds, script='get.lua',
        headers=['X-Auth-Token: ' + tokens[sharing.MIX_PRODUCER]['token']])
    latency = result['summary']['latency_ms']
    return {'rps': round(result['summary']['rps'], 1),
            'p50_ms': latency['p50'], 'p99_ms': latency['p99']}


def summarize(versions):
    base = versions[0]
    out = []
    for v in versions:
        rps = [r['rps'] for r in v.rounds]
        row = {'label': v.label, 'rps_median': statistics.median(rps),
               'rps_min': min(rps), 'rps_max': max(rps),
               'cpu_ms_per_request_median': statistics.median(
                   r['worker_cpu_ms_per_request'] for r in v.rounds),
               'ops_p50_ms_median': {op: statistics.median(
                   r['ops_p50_ms'][op] for r in v.rounds) for op in OPS},
               'errors': sum(r['errors'] for r in v.rounds),
               'list': {key: statistics.median(r['list'][key]
                                               for r in v.rounds)
                        for key in ('rps', 'p50_ms', 'p99_ms')}}
        ratios = [r['rps'] / b['rps'] for r, b in zip(v.rounds, base.rounds)]
        row['ratio_to_first'] = {'median': round(statistics.median(ratios),
                                                 3),
                                 'min': round(min(ratios), 3),
                                 'max': round(max(ratios), 3)}
        out.append(row)
    return out


def markdown(result):
    lines = ['# /v2 member-API mix, versions side by side', '',
             'Generated by `python benchmarks/v2_ab.py %s` on %s; %d rounds '
             'of %d s per version, order alternating; total wall time %d s.'
             % (' '.join(result['argv']), result['generated'],
                result['rounds'], result['seconds'], result['wall_s']), '',
             '- machine: %(nproc)s CPUs, %(memory_mib)s MiB, %(cpu_model)s; '
             'Python %(python)s' % result['machine'],
             '- each version: `glance-members serve`, 2 workers x 2 threads, '
             'embedded SQLite, static tokens; seeded through its API: the mix '
             'image with 50 members, %d images shared with one consumer'
             % result['bulk'],
             '- load: wrk 8 connections, `benchmarks/wrk/mix.lua` (40% list '
             'members, 30% show, 15% update status, 10% add + delete, 5% '
             'list images)', '',
             '| version | req/s median (min-max) | vs first: median ratio '
             '(min-max) | worker CPU ms/request | errors |',
             '|---|---|---|---|---|']
    for row in result['summary']:
        r = row['ratio_to_first']
        lines.append('| %s | %.0f (%.0f-%.0f) | %.3f (%.3f-%.3f) | %.3f | '
                     '%d |' % (row['label'], row['rps_median'],
                               row['rps_min'], row['rps_max'], r['median'],
                               r['min'], r['max'],
                               row['cpu_ms_per_request_median'],
                               row['errors']))
    lines += ['', 'p50 ms per operation (median over the rounds):', '',
              '| version | ' + ' | '.join(OPS) + ' |',
              '|---|' + '---|' * len(OPS)]
    for row in result['summary']:
        lines.append('| %s | %s |' % (row['label'], ' | '.join(
            '%.2f' % row['ops_p50_ms_median'][op] for op in OPS)))
    lines += ['', 'The member list of the 50-member image alone (wrk 8 '
              'connections, `get.lua`), medians over the rounds:', '',
              '| version | req/s | p50 ms | p99 ms | p99 / p50 |',
              '|---|---|---|---|---|']
    for row in result['summary']:
        listed = row['list']
        lines.append('| %s | %.0f | %.2f | %.2f | %.1f |' % (
            row['label'], listed['rps'], listed['p50_ms'], listed['p99_ms'],
            listed['p99_ms'] / max(listed['p50_ms'], 0.001)))
    lines += ['', 'Rounds (req/s, in the order run):', '']
    for i, order in enumerate(result['orders']):
        lines.append('- %d: %s' % (i + 1, ', '.join(
            '%s %.0f' % (label, rps) for label, rps in order)))
    return '\n'.join(lines) + '\n'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--rev', action='append', required=True,
                        help='a commit or a directory with glance_members/ '
                             '(twice or more; the first is the reference)')
    parser.add_argument('--rounds', type=int, default=8)
    parser.add_argument('--seconds', type=int, default=10)
    parser.add_argument('--bulk', type=int, default=1000)
    parser.add_argument('--name', default=None,
                        help='results/v2-ab-NAME.{json,md} '
                        '(default: results/v2-ab.{json,md})')
    args = parser.parse_args()
    if len(args.rev) < 2:
        parser.error('give --rev at least twice')
    started = time.monotonic()
    scratch = tempfile.mkdtemp(prefix='gm-v2-ab-')
    tokens = identities()
    versions = []
    try:
        for rev in args.rev:
            label, root = source(rev, scratch)
            versions.append(Version(label, root, scratch, tokens))
        seeded = {}
        for v in versions:
            v.server.start()
            seeded[v.label] = seed(v, tokens, args.bulk)
            run_mix(v, scratch, tokens, seeded[v.label], 3)  # warm
            report.log('%s (%s): up and seeded' % (v.label, v.root))
        orders = []
        for i in range(args.rounds):
            order = versions if i % 2 == 0 else versions[::-1]
            done = []
            for v in order:
                r = run_mix(v, scratch, tokens, seeded[v.label],
                            args.seconds)
                r['list'] = run_list(v, tokens, seeded[v.label],
                                     max(3, args.seconds // 2))
                v.rounds.append(r)
                done.append((v.label, r['rps']))
            orders.append(done)
            report.log('round %d: %s' % (i + 1, ', '.join(
                '%s %.0f/s' % d for d in done)))
    finally:
        for v in versions:
            if v.server.process is not None:
                v.server.stop()
    result = {'benchmark': 'v2_ab', 'argv': sys.argv[1:],
              'generated': datetime.datetime.now(datetime.timezone.utc)
              .strftime('%Y-%m-%dT%H:%M:%SZ'),
              'machine': report.machine(), 'rounds': args.rounds,
              'seconds': args.seconds, 'bulk': args.bulk,
              'versions': [{'label': v.label, 'rounds': v.rounds}
                           for v in versions],
              'summary': summarize(versions),
              'orders': orders,
              'wall_s': round(time.monotonic() - started)}
    # The current result is results/v2-ab.*; a named run (an experiment)
    # goes beside it as v2-ab-NAME.*.
    out = os.path.join(HERE, 'results',
                       'v2-ab-' + args.name if args.name else 'v2-ab')
    with open(out + '.json', 'w') as f:
        json.dump(result, f, indent=1)
    with open(out + '.md', 'w') as f:
        f.write(markdown(result))
    print(markdown(result))


if __name__ == '__main__':
    main()
