"""Sharing benchmark: the member API, image lists and setup rate of
glance-members on its production configuration, against the framework's
ceiling, on SQLite and PostgreSQL.

One bounded run (about 12-15 minutes on 2 cores with the defaults):

1. a real Keystone 30 (testbed/stack) with benchmark projects
   and users; real tokens (keystonemiddleware validates each once per
   worker, then serves it from its in-process cache);
2. for each database (SQLite WAL in a data dir; PostgreSQL: a private
   cluster from testbed/postgresql.py), `glance-members serve
   --config FILE` with the keystone backend, seeded through the API (the
   10,000-share consumer directly through glance_members.db's Repository);
3. wrk (8 connections, one per wrk thread) with the Lua scripts in
   benchmarks/wrk/: the member-API mix, the list-scaling endpoints, the
   setup rate; Python loops walk every page;
4. the ceiling: benchmarks/ceiling_app.py under the same gunicorn settings;
5. worker RSS sampled every 200 ms for every server; optional py-spy
   profiles of one worker per endpoint (--profile).

    python benchmarks/sharing.py [--profile] [--quick]
        [--configs 2x1,2x2,2x3,2x4,3x1,3x2]
        [--databases sqlite,postgresql,mariadb]

Writes benchmarks/results/sharing.{json,md} (--out). Everything runs on
127.0.0.1 in a scratch directory that is removed at the end (--keep).
"""

import argparse
import collections
import concurrent.futures
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import psutil

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from benchmarks.support import load  # noqa: E402
from benchmarks.support import profiling  # noqa: E402
from benchmarks.support import report  # noqa: E402
from benchmarks.support import servers  # noqa: E402
from testbed.stack import control as ks_control  # noqa: E402
from testbed.stack import identities as ks_ids  # noqa: E402
from testbed import processes  # noqa: E402

PASSWORD = 'secret'
# Which server runs the app (--server): ours, or gunicorn gthread.
WSGI_SERVER = {'name': 'glance-members'}
MIX_PRODUCER = 'bench-mix-producer'
MIX_CONSUMERS = ['bench-mix-%d' % i for i in range(8)]
SCALES = (10, 100, 1000, 10000)
SCALE_PROJECT = 'bench-s%d'
SETUP_PROJECT = 'bench-setup'
MIX_MEMBERS = 50
API_SCALE = 1000          # shares seeded through the API (s10..s1000)
SEED_THREADS = 8

TARGETS = {
    'mix_rps': 1000, 'mix_p99_ms': 50, 'mix_fraction': 0.5,
    'list_1000_p50_ms': 10, 'list_10k_over_100': 1.5,
    'walk_1000_s': 1.6 / 10, 'setup_images_per_s': 200, 'rss_mib': 150,
}
GLANCE = {'mix_rps': 48.6, 'list_p50_ms': {10: 18, 100: 36, 1000: 102},
          'walk_1000_s': 1.6, 'setup_images_per_s': 11.5}


# --- Keystone ----------------------------------------------------------------

class Identities:
    """Benchmark projects and users in the test Keystone, and tokens."""

    def __init__(self, stack_ids):
        self.auth_url = stack_ids['auth_url']
        self.stack = stack_ids

    def ensure(self):
        ks = ks_ids.KeystoneAdmin(ks_ids.admin_token(self.auth_url),
                                  self.auth_url)
        try:
            role_ids, _, _ = ks_ids.ensure_roles(ks)
            self.projects = {}
            names = [MIX_PRODUCER] + MIX_CONSUMERS + [
                SCALE_PROJECT % n for n in SCALES] + [SETUP_PROJECT]
            for name in names:
                project_id = ks_ids.ensure_project(ks, name, 'benchmark')
                user_id = ks_ids.ensure_user(ks, name, PASSWORD, project_id)
                ks_ids.ensure_grants(ks, user_id, project_id, ['member'],
                                     role_ids)
                self.projects[name] = project_id
        finally:
            ks.close()
        return self

    def tokens(self):
        cred = self.stack['credentials']['producer']
        producer = ks_ids.issue_token(self.auth_url, 'producer',
                                      cred['password'], cred['project'])
        out = {'producer': {'project': producer.project_id,
                            'token': str(producer),
                            'user_id': producer.user_id}}
        for name, project_id in self.projects.items():
            token = ks_ids.issue_token(self.auth_url, name, PASSWORD, name)
            assert token.project_id == project_id
            out[name] = {'project': project_id, 'token': str(token)}
        return out


def keystone_validations(stack_server):
    """GET /v3/auth/tokens lines in Keystone's access log so far."""
    try:
        with open(stack_server.access_log, 'rb') as f:
            return sum(1 for line in f if b'GET /v3/auth/tokens' in line)
    except OSError:
        return None


# --- glance-members ---------------------------------------------------------

# The keystone backend as in testbed/keystone_service.py (the
# section an operator copies from glance-api.conf), plus the database and an
# in-process token cache of an hour, so that each token is validated once per
# worker for the whole run (the default is 300 s). Threads: `serve --threads`.
TOKEN_CACHE = 'token_cache_time = 3600\n'


class Deployment:
    """One database and the glance-members servers run on it."""

    def __init__(self, kind, base, keystone_stack_ids, pg_cluster=None):
        self.kind = kind
        self.base = base
        self.data_dir = os.path.join(base, 'data')
        os.makedirs(self.data_dir, exist_ok=True)
        self.ks = keystone_stack_ids
        self.db_url = None
        self.description = None
        self.pg_cluster = pg_cluster
        if kind == 'mariadb':
            self.db_url = pg_cluster.create_database('gm_bench')
            self.description = (
                'MariaDB %s (private server from testbed/mariadb.py: '
                'innodb_flush_log_at_trx_commit=2, 32 MiB buffer pool), TCP '
                '127.0.0.1, PyMySQL %s, glance_members.db.engines.MySQLPool '
                '(8 connections per worker)' % (
                    pg_cluster.admin_execute('SELECT VERSION()')[0][0],
                    report.version('PyMySQL')))
        elif kind == 'postgresql':
            self.db_url = pg_cluster.create_database('gm_bench')
            self.description = (
                'PostgreSQL %s (private cluster from '
                'testbed/postgresql.py: fsync=off, '
                'synchronous_commit=off, full_page_writes=off), TCP '
                '127.0.0.1, psycopg %s, peewee PooledPostgresqlDatabase '
                '(8 connections per worker)' % (
                    pg_cluster_version(pg_cluster),
                    report.version('psycopg')))
        else:
            self.description = ('SQLite %s, WAL, synchronous=NORMAL, '
                                'one connection per worker thread, writes '
                                'BEGIN IMMEDIATE' % report.sqlite_version())
        self.config_count = 0

    def database_section(self):
        if self.db_url is None:
            return ''
        return '\n[database]\nconnection = %s\n' % self.db_url

    def write_config(self, port, workers):
        self.config_count += 1
        service = self.ks['service_user']
        path = os.path.join(self.base, 'glance-members-%d.conf'
                            % self.config_count)
        # Imported here: it imports glance_members, which must come from
        # the run's snapshot (snapshot_package).
        from testbed import keystone_service
        with open(path, 'w') as f:
            f.write(keystone_service.config_text(
                self.data_dir, port, self.ks['auth_url'].rsplit('/v3', 1)[0],
                service, self.ks['credentials'][service]['password'],
                workers, TOKEN_CACHE + self.database_section()))
        return path

    def sync(self):
        """The deploy step: db sync (SQLite's embedded default does it in
        serve; PostgreSQL needs glance-members-manage)."""
        if self.db_url is None:
            return
        config = self.write_config(processes.free_port(), 1)
        subprocess.run([sys.executable, '-m', 'glance_members.cmd.manage',
                        '--config-file', config, 'db', 'sync'],
                       check=True, env=servers.child_env(), cwd=self.base,
                       stdout=subprocess.DEVNULL)

    def server(self, workers, threads):
        port = processes.free_port()
        config = self.write_config(port, workers)
        home = os.path.join(self.base, 'home')
        os.makedirs(home, exist_ok=True)
        if WSGI_SERVER['name'] == 'gthread':
            # The same app under gunicorn gthread, as served before issue
            # 17 (slow_clients.py's launcher: 2 workers x 2 threads).
            assert (workers, threads) == (2, 2), 'gthread runs 2x2 only'
            # serve creates the embedded schema; this launcher does not.
            subprocess.run([sys.executable, '-m', 'glance_members.cmd.manage',
                            '--config-file', config, 'db', 'sync'],
                           check=True, env=servers.child_env(), cwd=self.base,
                           stdout=subprocess.DEVNULL)
            argv = [sys.executable, os.path.join(HERE, 'slow_clients.py'),
                    '--serve-gthread', config, '--port', str(port)]
        else:
            argv = [sys.executable, '-m', 'glance_members.cmd.serve',
                    'serve', '--config', config, '--workers', str(workers),
                    '--threads', str(threads)]
        return servers.Server(
            'glance-members %s %dx%d' % (self.kind, workers, threads), argv,
            self.data_dir, os.path.join(self.base, 'server.log'), port,
            env=servers.child_env(HOME=home),
            database_pids=self.database_pids)

    def database_pids(self):
        """The PostgreSQL cluster's processes (postmaster + children), or
        the MariaDB server's one."""
        if self.pg_cluster is None:
            return []
        if self.kind == 'mariadb':
            return [self.pg_cluster.process.pid]
        try:
            with open(os.path.join(self.pg_cluster.datadir,
                                   'postmaster.pid')) as f:
                postmaster = psutil.Process(int(f.readline()))
            return [postmaster.pid] + [
                c.pid for c in postmaster.children(recursive=True)]
        except (OSError, ValueError, psutil.NoSuchProcess):
            return []

    def repository(self):
        from glance_members import db
        # The embedded default's file (glance_members.conf.database_url).
        url = self.db_url or 'sqlite:///' + os.path.join(
            os.path.abspath(self.data_dir), 'glance-members.sqlite')
        return db.make_repository(db.connect(url))


def ceiling_server(base, workers, threads):
    port = processes.free_port()
    return servers.Server(
        'ceiling %dx%d' % (workers, threads),
        [sys.executable, os.path.join(HERE, 'ceiling_app.py'),
         '--port', str(port), '--workers', str(workers),
         '--threads', str(threads)],
        base, os.path.join(base, 'ceiling.log'), port)


def pg_cluster_version(cluster):
    try:
        return cluster.admin_execute('SHOW server_version')[0][0]
    except Exception:  # noqa: BLE001
        return '?'


# --- seeding -----------------------------------------------------------------

def seed(dep, server, tokens):
    """The mix image (50 members), the scale consumers' shares (API up to
    1,000, Repository for the 10,000-share consumer). Returns what the
    measurements need and how long it took."""
    out = {}
    producer = tokens['producer']
    client = load.Client(server.port, producer['token'])

    # The mix image, owned by a project of its own (its image list is a
    # tenant's, not that of the owner of the 11,000 images below): 8 real
    # consumer projects (their tokens update their own status) + 42 project
    # ids nobody logs in as.
    t0 = time.monotonic()
    mix_producer = tokens[MIX_PRODUCER]
    client.token = mix_producer['token']
    image = load.create_image(client, mix_producer['token'], 'mix-50-members')
    members = []
    for name in MIX_CONSUMERS:
        load.share(client, mix_producer['token'], image, tokens[name])
        members.append(tokens[name]['project'])
    for i in range(MIX_MEMBERS - len(MIX_CONSUMERS)):
        project = uuid.uuid4().hex
        client.call('POST', '/v2/images/%s/members' % image,
                    {'member': project}, expect=200)
        members.append(project)
    out['mix'] = {'image': image, 'members': members}
    out['mix_seed_s'] = round(time.monotonic() - t0, 2)
    client.token = producer['token']

    # API: 1,000 images, each shared with (and accepted by) bench-s1000;
    # the first 100 also with bench-s100, the first 10 with bench-s10.
    consumers = {n: tokens[SCALE_PROJECT % n] for n in (10, 100, 1000)}

    def one(i):
        c = load.thread_client(server.port)
        image_id = load.create_image(c, producer['token'], 'scale-%04d' % i)
        for n in (10, 100, 1000):
            if i < n:
                load.share(c, producer['token'], image_id, consumers[n])
        return i, image_id

    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(SEED_THREADS) as pool:
        ids = dict(pool.map(one, range(API_SCALE)))
    api_s = time.monotonic() - t0
    api_images = [ids[i] for i in range(API_SCALE)]
    requests_made = API_SCALE + 2 * (10 + 100 + 1000)
    out['api_seed'] = {
        'images': API_SCALE, 'shares': 1110, 'requests': requests_made,
        'seconds': round(api_s, 2),
        'requests_per_s': round(requests_made / api_s, 1),
        'client': 'Python http.client, %d threads, keep-alive'
                  % SEED_THREADS}
    report.log('%s: seeded 1,000 images / 1,110 shares through the API in '
               '%.1f s' % (dep.kind, api_s))

    # Repository: bench-s10000 accepts the 1,000 API images and 9,000
    # newer ones created directly (the API would take minutes per database).
    from glance_members import records
    repo = dep.repository()
    s10k = tokens[SCALE_PROJECT % 10000]['project']
    t0 = time.monotonic()
    for i in range(10000 - API_SCALE):
        img = records.Image(id=str(uuid.uuid4()), owner=producer['project'],
                            name='bulk-%05d' % i, disk_format='raw',
                            container_format='bare', visibility='shared')
        repo.create_image(img)
        api_images.append(img.id)
    for image_id in api_images:
        repo.add_member(image_id, s10k, -1)
        repo.update_member_status(image_id, s10k, 'accepted')
    repo.database.close()
    direct_s = time.monotonic() - t0
    out['direct_seed'] = {
        'images_created': 10000 - API_SCALE, 'shares': 10000,
        'seconds': round(direct_s, 2),
        'how': 'glance_members.db Repository in the benchmark process: '
               'create_image, add_member, update_member_status (one '
               'transaction each), while the server idles'}
    report.log('%s: seeded 9,000 images / 10,000 shares through the '
               'Repository in %.1f s' % (dep.kind, direct_s))
    # The image whose member list / member each scale consumer reads: the
    # newest one shared with it.
    out['scale_image'] = {10: api_images[9], 100: api_images[99],
                          1000: api_images[999], 10000: api_images[-1]}
    client.close()
    return out


def cleanup_mix(server, tokens, image, run_id):
    """Remove the add+delete member a thread may have left added."""
    client = load.Client(server.port, tokens[MIX_PRODUCER]['token'])
    for tid in range(1, 9):
        client.call('DELETE', '/v2/images/%s/members/mix-%s-%d'
                    % (image, run_id, tid), expect=(204, 404))
    _, body = client.call('GET', '/v2/images/%s/members' % image, expect=200)
    client.close()
    return len(body['members'])


# --- measurements ------------------------------------------------------------

MIX_EXPECT = collections.OrderedDict([
    ('list_members', 200), ('show_member', 200), ('update_status', 200),
    ('add_member', 200), ('delete_member', 204), ('list_images', 200)])


def _mix_config(path, tokens, seeded, run_id):
    return load.write_lua_config(path, {
        'image': seeded['mix']['image'],
        'members': seeded['mix']['members'],
        'producer_token': tokens[MIX_PRODUCER]['token'],
        'run_id': run_id,
        'samples': path[:-len('.lua')] + '.samples',
        'consumers': [{'project': tokens[n]['project'],
                       'token': tokens[n]['token']}
                      for n in MIX_CONSUMERS]})


def run_mix(server, scratch, tokens, seeded, duration, warm=3):
    """The member-API mix; per operation req/s, latency, errors."""
    image = seeded['mix']['image']
    if warm:  # each worker validates each token once; not measured
        run_id = uuid.uuid4().hex[:8]
        config = _mix_config(os.path.join(scratch, 'mix-%s.lua' % run_id),
                             tokens, seeded, run_id)
        load.wrk(server, '/', warm, script='mix.lua', script_args=[config],
                 guard=False)
        cleanup_mix(server, tokens, image, run_id)

    def per_attempt():
        run_id = uuid.uuid4().hex[:8]
        config = _mix_config(os.path.join(scratch, 'mix-%s.lua' % run_id),
                             tokens, seeded, run_id)

        def finish(result):
            result['members_after'] = cleanup_mix(server, tokens, image,
                                                  run_id)
            result['samples_prefix'] = config[:-len('.lua')] + '.samples'
        return [config], finish
    result = load.wrk(server, '/', duration, script='mix.lua',
                      per_attempt=per_attempt)
    samples = load.read_samples(result['samples_prefix'])
    duration_s = result['summary']['duration_s']
    ops = collections.OrderedDict()
    for op, expect in MIX_EXPECT.items():
        rows = samples.get(op, [])
        stats = load.latency_stats(rows, duration_s)
        stats['status'] = {str(k): v for k, v in sorted(
            collections.Counter(st for st, _ in rows).items())}
        stats['errors'] = sum(1 for st, _ in rows if st != expect)
        ops[op] = stats
    result['ops'] = ops
    every = [row for rows in samples.values() for row in rows]
    result['all_ops'] = load.latency_stats(every, duration_s)
    socket_errors = sum(v for k, v in result['summary']['errors'].items()
                        if k != 'status')
    result['errors'] = sum(o['errors'] for o in ops.values()) + \
        socket_errors
    result['rps'] = result['summary']['rps']
    result['p99_ms'] = result['summary']['latency_ms']['p99']
    return result


def run_setup(server, scratch, tokens, duration, guard=True):
    """Shared images per second: create + add member + accept, 8 clients."""
    def per_attempt():
        run_id = uuid.uuid4().hex[:8]
        path = os.path.join(scratch, 'setup-%s.lua' % run_id)
        load.write_lua_config(path, {
            'producer_token': tokens['producer']['token'],
            'consumer': {'project': tokens[SETUP_PROJECT]['project'],
                         'token': tokens[SETUP_PROJECT]['token']},
            'run_id': run_id, 'samples': path[:-len('.lua')] + '.samples'})

        def finish(result):
            result['samples_prefix'] = path[:-len('.lua')] + '.samples'
        return [path], finish
    result = load.wrk(server, '/', duration, script='setup.lua',
                      per_attempt=per_attempt, guard=guard)
    samples = load.read_samples(result['samples_prefix'])
    duration_s = result['summary']['duration_s']
    expect = {'create_image': 201, 'add_member': 200, 'accept': 200}
    for step, code in expect.items():
        result[step] = load.latency_stats(samples.get(step, []), duration_s)
    result['chain'] = load.latency_stats(samples.get('chain', []), duration_s)
    result['images'] = len(samples.get('chain', []))
    result['images_per_s'] = result['images'] / duration_s
    failures = collections.Counter(
        '%s:%d' % (step, st) for step, code in expect.items()
        for st, _ in samples.get(step, []) if st != code)
    failures['no_image_id'] = len(samples.get('no_image_id', []))
    result['failure_codes'] = {k: v for k, v in failures.items() if v}
    result['failures'] = sum(failures.values())
    return result


def run_ceiling(base, workers, threads, duration, c1_duration=0):
    server = ceiling_server(base, workers, threads).start()
    try:
        load.wrk(server, '/list', 2, guard=False)
        result = load.wrk(server, '/list', duration)
        if c1_duration:
            result['c1'] = load.wrk(
                server, '/list', c1_duration, connections=1)
    finally:
        result_memory = server.stop()
    result['memory'] = result_memory
    result['rps'] = result['summary']['rps']
    return result


def walk(port, token, limit, expect_count):
    """Every page of the caller's default list; (seconds, pages)."""
    client = load.Client(port, token)
    client.call('GET', '/v2/images?limit=1', expect=200)  # connect, warm
    t0 = time.perf_counter()
    path, pages, seen = '/v2/images?limit=%d' % limit, 0, 0
    while path:
        _, body = client.call('GET', path, expect=200)
        pages += 1
        seen += len(body['images'])
        path = body.get('next')
    took = time.perf_counter() - t0
    client.close()
    if seen != expect_count:
        raise RuntimeError('walk saw %d images, expected %d' % (seen,
                                                                expect_count))
    return took, pages


def run_scaling(server, tokens, seeded, c8_s, c1_s, walk_reps):
    out = {}
    for n in SCALES:
        consumer = tokens[SCALE_PROJECT % n]
        header = ['X-Auth-Token: %s' % consumer['token']]
        image = seeded['scale_image'][n]
        paths = collections.OrderedDict([
            ('default', '/v2/images'),
            ('all', '/v2/images?member_status=all'),
            ('members', '/v2/images/%s/members' % image),
            ('member', '/v2/images/%s/members/%s' % (image,
                                                     consumer['project'])),
        ])
        load.wrk(server, '/v2/images', 1, headers=header, guard=False)  # warm
        row = {}
        for name, path in paths.items():
            row[name] = {
                'path': path,
                'c8': load.wrk(server, path, c8_s, headers=header),
                'c1': load.wrk(server, path, c1_s, connections=1,
                               headers=header)}
        for limit in (25, 200):
            load.wait_quiet()
            reps = walk_reps if n < 10000 else max(2, walk_reps // 2)
            times = []
            pages = None
            for _ in range(reps):
                took, pages = walk(server.port, consumer['token'], limit, n)
                times.append(took)
            times.sort()
            row['walk_%d' % limit] = {
                'pages': pages, 'reps': reps,
                'seconds': [round(t, 4) for t in times],
                'p50_s': round(statistics.median(times), 4),
                'p95_s': round(times[min(len(times) - 1,
                                         int(0.95 * len(times)))], 4),
                'ms_per_page': round(statistics.median(times) / pages * 1e3,
                                     2)}
        out[n] = row
        report.log('  %5d shares: default c1 p50 %.2f ms, c8 %.0f/s; '
                   'walk25 %.3f s' % (
                       n, row['default']['c1']['summary']['latency_ms']['p50'],
                       row['default']['c8']['summary']['rps'],
                       row['walk_25']['p50_s']))
    return out


def parse_config(text):
    w, t = text.lower().split('x')
    return int(w), int(t)


def run_profiles(server, scratch, kind, tokens, seeded, seconds):
    """py-spy under load: the 50-member list, the default list of the
    1,000-share consumer, the setup chain and the whole mix."""
    s1000 = tokens[SCALE_PROJECT % 1000]
    members_path = '/v2/images/%s/members' % seeded['mix']['image']
    out = []
    out.append(profiling.profile(
        server, scratch, kind + '-member-list',
        'GET %s (50 members, owner), wrk -c8' % members_path,
        lambda d: load.wrk(server, members_path, d, headers=[
            'X-Auth-Token: %s' % tokens[MIX_PRODUCER]['token']],
            guard=False), seconds))
    out.append(profiling.profile(
        server, scratch, kind + '-image-list-1000',
        'GET /v2/images (consumer with 1,000 shares), wrk -c8',
        lambda d: load.wrk(server, '/v2/images', d, headers=[
            'X-Auth-Token: %s' % s1000['token']], guard=False), seconds))
    out.append(profiling.profile(
        server, scratch, kind + '-member-list-gil',
        'GET %s (50 members, owner), wrk -c8' % members_path,
        lambda d: load.wrk(server, members_path, d, headers=[
            'X-Auth-Token: %s' % tokens[MIX_PRODUCER]['token']],
            guard=False), seconds, gil=True))
    out.append(profiling.profile(
        server, scratch, kind + '-image-list-1000-gil',
        'GET /v2/images (consumer with 1,000 shares), wrk -c8',
        lambda d: load.wrk(server, '/v2/images', d, headers=[
            'X-Auth-Token: %s' % s1000['token']], guard=False), seconds,
        gil=True))
    out.append(profiling.profile(
        server, scratch, kind + '-setup',
        'create image + add member + accept (setup.lua), wrk -c8',
        lambda d: run_setup(server, scratch, tokens, d, guard=False),
        seconds))
    run_id = uuid.uuid4().hex[:8]
    config = _mix_config(os.path.join(scratch, 'mix-%s.lua' % run_id),
                         tokens, seeded, run_id)
    out.append(profiling.profile(
        server, scratch, kind + '-mix', 'the member-API mix (mix.lua), '
        'wrk -c8', lambda d: load.wrk(server, '/', d, script='mix.lua',
                                      script_args=[config], guard=False),
        seconds))
    cleanup_mix(server, tokens, seeded['mix']['image'], run_id)
    for p in out:
        report.log('profile %s: %d samples (%d busy), load %.0f req/s' % (
            p['label'], p['samples'], p['busy_samples'],
            p['load_rps'] or 0))
    return out


# --- the run -----------------------------------------------------------------
def run(args):
    started = time.monotonic()
    scratch = tempfile.mkdtemp(prefix='gm-sharing-', dir=args.workdir)
    report.log('scratch directory %s' % scratch)
    q = args.quick
    durations = {'mix': 8 if q else args.duration,
                 'ceiling': 8 if q else args.duration,
                 'sweep': 5 if q else args.sweep_duration,
                 'list_c8': 3 if q else args.list_duration,
                 'list_c1': 2 if q else 3,
                 'setup': 5 if q else 10,
                 'walk_reps': 2 if q else 5,
                 'profile': 6 if q else 8}
    result = {'benchmark': 'sharing', 'argv': sys.argv[1:],
              'durations_s': durations,
              'machine': report.machine(), 'targets': TARGETS,
              'glance_33': GLANCE}
    commit, dirty = report.git_info()
    result.update(commit=commit, glance_members_dirty=dirty)
    servers.snapshot_package(scratch)
    import glance_members
    assert glance_members.__file__.startswith(servers.SOURCE['root']), \
        glance_members.__file__
    result['package'] = ('glance_members/ copied at the start of the run '
                         '(commit %s%s): every server and the seeding use '
                         'that copy' % (commit[:12] if commit else '?',
                                        ' + uncommitted changes'
                                        if dirty else ''))
    busy = load.machine_quiet()
    deadline = time.monotonic() + args.wait_quiet
    while busy > 0.15 and time.monotonic() < deadline:
        report.log('machine %.0f%% busy before the run: waiting' %
                   (100 * busy))
        time.sleep(10)
        busy = load.machine_quiet()
    result['machine_busy_before'] = round(busy, 3)
    if busy > 0.15:
        report.log('WARNING: the machine is %.0f%% busy with other work; the '
                   'figures will be low (see other_cpu_s)' % (100 * busy))
    configs = [parse_config(c) for c in args.configs.split(',') if c]
    databases = [d for d in args.databases.split(',') if d]
    ks_server = None
    pg = None
    try:
        # Keystone
        t0 = time.monotonic()
        ks_workdir = os.path.join(scratch, 'keystone')
        ks_server, stack_ids, info = ks_control.up(
            ks_workdir, processes.free_port())
        idents = Identities(stack_ids).ensure()
        tokens = idents.tokens()
        result['keystone'] = {
            'version': '30.0.0 (testbed/stack)',
            'url': stack_ids['auth_url'], 'up_s': round(
                time.monotonic() - t0, 1),
            'served_by': 'gunicorn, 1 worker x 8 threads, SQLite, '
                         'oslo_cache.dict'}
        report.log('keystone up (%.1f s), %d benchmark identities' % (
            time.monotonic() - t0, len(tokens)))

        result['databases'] = {}
        best = None
        for kind in databases:
            section = result['databases'][kind] = {}
            base = os.path.join(scratch, kind)
            os.makedirs(base)
            if kind in ('postgresql', 'mariadb'):
                if pg is not None:
                    getattr(pg, 'remove', pg.stop)()
                t0 = time.monotonic()
                if kind == 'postgresql':
                    from testbed import postgresql as pg_helpers
                    pg = pg_helpers.Cluster().start()
                else:
                    from testbed import mariadb as mariadb_helpers
                    pg = mariadb_helpers.start_server()
                section['cluster_up_s'] = round(time.monotonic() - t0, 1)
            dep = Deployment(kind, base, stack_ids, pg)
            dep.sync()
            section['database'] = dep.description
            # Seed on a default configuration.
            seed_cfg = best or configs[-1]
            server = dep.server(*seed_cfg).start()
            try:
                seeded = seed(dep, server, tokens)
            finally:
                section['seed_server_memory'] = server.stop()
            section['seed'] = {k: v for k, v in seeded.items()
                               if k not in ('mix', 'scale_image')}
            # The sweep (first database only): ceiling and mix per config.
            if best is None:
                sweep = []
                for w, t in configs:
                    ceil = run_ceiling(base, w, t, durations['sweep'])
                    server = dep.server(w, t).start()
                    try:
                        load.warm_tokens(server, tokens,
                                         [MIX_PRODUCER] + MIX_CONSUMERS)
                        mix = run_mix(server, scratch, tokens, seeded,
                                      durations['sweep'])
                    finally:
                        memory = server.stop()
                    sweep.append({'workers': w, 'threads': t,
                                  'ceiling': ceil, 'mix': mix,
                                  'memory': memory,
                                  'fraction': mix['rps'] / ceil['rps']})
                    report.log(
                        'sweep %dx%d: ceiling %.0f/s, mix %.0f/s (%d errors, '
                        'p99 %.1f ms), worker cpu %s' % (
                            w, t, ceil['rps'], mix['rps'], mix['errors'],
                            mix['p99_ms'], mix['worker_cpu_s']))
                result['sweep'] = {'database': kind, 'runs': sweep}
                if args.config:
                    best = parse_config(args.config)
                    result['sweep']['chosen_by'] = '--config'
                else:
                    ok = [s for s in sweep if s['mix']['errors'] == 0 and
                          s['mix']['p99_ms'] < TARGETS['mix_p99_ms']] or \
                        [s for s in sweep if s['mix']['errors'] == 0] or \
                        sweep
                    pick = max(ok, key=lambda s: s['mix']['rps'])
                    best = (pick['workers'], pick['threads'])
                    result['sweep']['chosen_by'] = (
                        'highest mix requests/s with 0 errors and p99 < '
                        '50 ms')
                result['best'] = {'workers': best[0], 'threads': best[1]}
                report.log('best configuration: %dx%d' % best)
                result['ceiling'] = run_ceiling(
                    base, best[0], best[1], durations['ceiling'],
                    durations['list_c1'])
                report.log('ceiling %dx%d: %.0f/s' % (
                    best[0], best[1], result['ceiling']['rps']))
            # The measurements at the best configuration.
            server = dep.server(*best).start()
            try:
                load.warm_tokens(server, tokens, sorted(tokens))
                section['server'] = {
                    'command': 'glance-members serve --config FILE '
                               '--workers %d --threads %d' % best,
                    'workers': best[0], 'threads': best[1],
                    'worker_class': 'gthread (serve.py: timeout 120, '
                                    'keep-alive 2 s, no access log from '
                                    'gunicorn; the app logs one INFO access '
                                    'line per request to stderr)'}
                section['setup_rate'] = run_setup(server, scratch, tokens,
                                                  durations['setup'])
                report.log('%s setup: %.1f images/s (%d failures)' % (
                    kind, section['setup_rate']['images_per_s'],
                    section['setup_rate']['failures']))
                kv0 = keystone_validations(ks_server)
                section['mix'] = run_mix(server, scratch, tokens, seeded,
                                         durations['mix'])
                section['mix']['keystone_validations_during'] = \
                    keystone_validations(ks_server) - kv0
                report.log('%s mix: %.0f/s, %d errors, p99 %.1f ms' % (
                    kind, section['mix']['rps'], section['mix']['errors'],
                    section['mix']['p99_ms']))
                section['scaling'] = run_scaling(
                    server, tokens, seeded, durations['list_c8'],
                    durations['list_c1'], durations['walk_reps'])
                if args.profile and profiling.py_spy_available():
                    section['profiles'] = run_profiles(
                        server, scratch, kind, tokens, seeded,
                        durations['profile'])
            finally:
                section['memory'] = server.stop()
            report.log('%s done at %.0f s' %
                       (kind, time.monotonic() - started))
        if len(databases) > 1:
            result['ceiling_end'] = run_ceiling(
                scratch, best[0], best[1], durations['ceiling'])
            report.log('ceiling again: %.0f/s' % result['ceiling_end']['rps'])
    finally:
        if pg is not None:
            getattr(pg, 'remove', pg.stop)()  # MariaDB: its data too
        if ks_server is not None:
            ks_server.stop()
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    result['wall_s'] = round(time.monotonic() - started, 1)
    result['quiet_waits_s'] = load.QUIET['waited_s']
    end_commit, end_dirty = report.git_info()
    if (end_commit, end_dirty) != (commit, dirty):
        result['commit_at_end'] = end_commit
        report.log('the checkout changed during the run (%s -> %s); the run '
                   'used the copy taken at its start' % (commit, end_commit))
    result['date'] = datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%SZ')
    result['versions'] = {n: report.version(n) for n in (
        'flask', 'flask-smorest', 'marshmallow', 'peewee', 'gunicorn',
        'werkzeug', 'keystonemiddleware', 'oslo.policy', 'psycopg',
        'psutil', 'py-spy')}
    result['wrk'] = subprocess.run(['wrk', '-v'], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT,
                                   text=True).stdout.splitlines()[0]
    evaluate(result)
    return result


# --- targets -----------------------------------------------------------------

def ceiling_rps(result):
    values = [result['ceiling']['rps']]
    if 'ceiling_end' in result:
        values.append(result['ceiling_end']['rps'])
    return statistics.mean(values)


def evaluate(result):
    ceiling = ceiling_rps(result)
    verdicts = []

    def verdict(db, name, value, target, ok, unit=''):
        verdicts.append({'database': db, 'target': name,
                         'measured': value, 'wanted': target,
                         'unit': unit, 'pass': bool(ok)})

    for db, s in result['databases'].items():
        mix = s['mix']
        verdict(db, 'mix requests/s', round(mix['rps']), '>= 1000',
                mix['rps'] >= TARGETS['mix_rps'], 'req/s')
        verdict(db, 'mix errors', mix['errors'], '0', mix['errors'] == 0)
        verdict(db, 'mix p99', round(mix['p99_ms'], 1), '< 50',
                mix['p99_ms'] < TARGETS['mix_p99_ms'], 'ms')
        frac = mix['rps'] / ceiling
        verdict(db, 'mix / ceiling', round(frac, 3), '>= 0.5',
                frac >= TARGETS['mix_fraction'])
        sc = s['scaling']
        p50_1000 = sc[1000]['default']['c1']['summary']['latency_ms']['p50']
        verdict(db, 'default list p50 at 1,000 shares (1 client)',
                round(p50_1000, 2), '<= 10', p50_1000 <=
                TARGETS['list_1000_p50_ms'], 'ms')
        p50_1000_c8 = sc[1000]['default']['c8']['summary']['latency_ms'][
            'p50']
        verdict(db, 'default list p50 at 1,000 shares (8 clients)',
                round(p50_1000_c8, 2), '<= 10', p50_1000_c8 <=
                TARGETS['list_1000_p50_ms'], 'ms')
        for conc in ('c1', 'c8'):
            a = sc[10000]['default'][conc]['summary']['latency_ms']['p50']
            b = sc[100]['default'][conc]['summary']['latency_ms']['p50']
            verdict(db, 'default list p50 10,000 / 100 shares (%s)'
                    % ('1 client' if conc == 'c1' else '8 clients'),
                    round(a / b, 2), '<= 1.5',
                    a / b <= TARGETS['list_10k_over_100'])
        for limit in (25, 200):
            w = sc[1000]['walk_%d' % limit]['p50_s']
            verdict(db, 'walk 1,000 shared images, limit %d' % limit,
                    round(w, 3), '<= 0.16 (10x faster than 1.6 s)',
                    w <= TARGETS['walk_1000_s'], 's')
        rate = s['setup_rate']['images_per_s']
        verdict(db, 'setup rate', round(rate, 1), '>= 200',
                rate >= TARGETS['setup_images_per_s'] and
                s['setup_rate']['failures'] == 0, 'images/s')
        rss = max(s['memory']['max_rss_mib'],
                  s['seed_server_memory']['max_rss_mib'])
        verdict(db, 'worker max RSS', rss, '< 150', rss <
                TARGETS['rss_mib'], 'MiB')
    if 'sweep' in result:
        rss = max(r['memory']['max_rss_mib'] for r in result['sweep']['runs'])
        verdict(result['sweep']['database'], 'worker max RSS (sweep)', rss,
                '< 150', rss < TARGETS['rss_mib'], 'MiB')
    result['ceiling_rps_mean'] = round(ceiling, 1)
    result['verdicts'] = verdicts


# --- Markdown ----------------------------------------------------------------

def _ms(v):
    return '-' if v is None else ('%.1f' % v if v >= 10 else '%.2f' % v)


def _attempts(r):
    """'1103' or '587 (CPU split 7.7/0.0), 1050': every attempt of a run."""
    out = []
    for a in r.get('attempts', []):
        why = []
        if a['imbalanced']:
            why.append('CPU split %s' % '/'.join('%.1f' % c for c in
                                                 a['worker_cpu_s']))
        if a['other_share'] > load.CONTAMINATED:
            why.append('other work %.0f%%' % (100 * a['other_share']))
        out.append('%.0f%s' % (a['rps'], ' (%s)' % ', '.join(why)
                               if why else ''))
    return ', '.join(out)


def write_markdown(result, path):
    ceiling = result['ceiling_rps_mean']
    best = result['best']
    m = result['machine']
    L = []
    add = L.append
    add('# Sharing benchmark: member API, image lists, setup rate')
    add('')
    add('Generated by `python benchmarks/sharing.py%s` on %s, commit `%s`%s;'
        ' total wall time %.0f s.' % (
            ''.join(' ' + a for a in result.get('argv', [])),
            result['date'], result['commit'],
            ' (glance_members/ had uncommitted changes)'
            if result['glance_members_dirty'] else '', result['wall_s']))
    add('')
    add('- machine: %d CPUs (`nproc`), %d MiB RAM, %s; %s; Python %s' % (
        m['nproc'], m['memory_mib'], m['cpu_model'], m['platform'],
        m['python']))
    add('- server: `glance-members serve --config FILE`, gunicorn gthread, '
        '**%d workers x %d threads** (best of the sweep below), keystone '
        'backend (keystonemiddleware, in-process token cache, '
        '`token_cache_time = 3600`)' % (best['workers'], best['threads']))
    add('- Keystone: %s, %s' % (result['keystone']['version'],
                                result['keystone']['served_by']))
    for db, s in result['databases'].items():
        add('- database `%s`: %s' % (db, s['database']))
    add('- client: %s, one connection per wrk thread, keep-alive; 8 '
        'connections unless "1 client"; Lua scripts in `benchmarks/wrk/`. '
        'Page walks: a Python http.client loop (one keep-alive connection).'
        % result['wrk'])
    d = result['durations_s']
    add('- durations: mix %d s, ceiling %d s, sweep %d s per run, list '
        'endpoints %d s (8 clients) + %d s (1 client), setup %d s, walks '
        'median of %d (10,000 shares: %d)' % (
            d['mix'], d['ceiling'], d['sweep'], d['list_c8'], d['list_c1'],
            d['setup'], d['walk_reps'], max(2, d['walk_reps'] // 2)))
    add('- ceiling: `benchmarks/ceiling_app.py` (Flask view, fixed 50-item '
        'JSON list) under the same gunicorn settings: %.0f req/s at 8 '
        'connections (mean of %s), 1 client p50 %s ms; worker CPU s %s, '
        'other CPU s %s; attempts %s. "%% ceil" = req/s / %.0f.' % (
            ceiling, ' and '.join('%.0f' % r for r in (
                [result['ceiling']['rps']] + (
                    [result['ceiling_end']['rps']]
                    if 'ceiling_end' in result else []))),
            _ms(result['ceiling']['c1']['summary']['latency_ms']['p50']),
            ' / '.join('%.1f' % c for c in result['ceiling']['worker_cpu_s']),
            result['ceiling']['other_cpu_s'], _attempts(result['ceiling']),
            ceiling))
    moved = ('; the checkout moved on to %s during the run'
             % result['commit_at_end'] if result.get('commit_at_end') else '')
    add('- code: %s%s' % (result['package'], moved))
    add('- machine busy with other work before the run: %.0f%%; time spent '
        'waiting for other work to stop: %.0f s' % (
            100 * result['machine_busy_before'], result['quiet_waits_s']))
    add('')

    add('## Targets')
    add('')
    add('| database | target | measured | wanted | |')
    add('|---|---|---|---|---|')
    for v in result['verdicts']:
        add('| %s | %s | %s %s | %s | %s |' % (
            v['database'], v['target'], v['measured'], v['unit'],
            v['wanted'], 'PASS' if v['pass'] else '**MISS**'))
    add('')

    add('## Workers and threads (sweep on %s, %d s runs)' % (
        result['sweep']['database'], d['sweep']))
    add('')
    add('| workers x threads | ceiling req/s | mix req/s | mix / ceiling | '
        'mix p50 / p99 ms | errors | worker CPU s (split) | other CPU s | '
        'max RSS MiB | attempts: ceiling; mix |')
    add('|---|---|---|---|---|---|---|---|---|---|')
    for r in result['sweep']['runs']:
        mix = r['mix']
        add('| %dx%d | %.0f | %.0f | %.0f%% | %s / %s | %d | %s | %.1f | '
            '%.1f | %s; %s |' % (
                r['workers'], r['threads'], r['ceiling']['rps'], mix['rps'],
                100 * r['fraction'],
                _ms(mix['summary']['latency_ms']['p50']),
                _ms(mix['p99_ms']), mix['errors'],
                ' / '.join('%.1f' % c for c in mix['worker_cpu_s']),
                mix['other_cpu_s'], r['memory']['max_rss_mib'],
                _attempts(r['ceiling']), _attempts(mix)))
    add('')
    add('Chosen: %dx%d (%s). A run is redone (up to 3 attempts, all listed) '
        'when a worker got less than %d%% of its fair share of the CPU '
        '(gthread keeps a keep-alive connection on the worker that accepted '
        'it, and one worker can win the accept race for all 8) or when '
        'other work used more than %d%% of the machine.' % (
            best['workers'], best['threads'], result['sweep']['chosen_by'],
            100 * load.IMBALANCED, 100 * load.CONTAMINATED))
    add('')

    for db, s in result['databases'].items():
        add('## %s' % db)
        add('')
        mix = s['mix']
        add('### Member-API mix (%d s, 8 clients, image with 50 members)'
            % d['mix'])
        add('')
        add('Total **%.0f req/s** (%.0f%% of ceiling; Glance 33: 48.6), '
            'p50 %s / p95 %s / p99 %s ms, %d errors; worker CPU s: %s; '
            'database server CPU s: %.1f; wrk used %.1f CPU s, everything '
            'else on the machine %.1f CPU s; Keystone validations during '
            'the run: %s; members after: %d; attempts (req/s): %s.' % (
                mix['rps'], 100 * mix['rps'] / ceiling,
                _ms(mix['summary']['latency_ms']['p50']),
                _ms(mix['summary']['latency_ms']['p95']),
                _ms(mix['p99_ms']), mix['errors'],
                ' / '.join('%.1f' % c for c in mix['worker_cpu_s']),
                mix['database_cpu_s'], mix['wrk_cpu_s'], mix['other_cpu_s'],
                mix.get('keystone_validations_during'),
                mix['members_after'], _attempts(mix)))
        add('')
        add('| operation | req/s | % ceil | p50 ms | p95 ms | p99 ms | max '
            'ms | errors | statuses |')
        add('|---|---|---|---|---|---|---|---|---|')
        for op in ('list_members', 'show_member', 'update_status',
                   'add_member', 'delete_member', 'list_images'):
            o = mix['ops'][op]
            add('| %s | %.0f | %.1f%% | %s | %s | %s | %s | %d | %s |' % (
                op.replace('_', ' '), o['rps'], 100 * o['rps'] / ceiling,
                _ms(o['p50']), _ms(o['p95']), _ms(o['p99']), _ms(o['max']),
                o['errors'], ', '.join('%s: %s' % kv for kv in sorted(
                    (o['status'] or {}).items()))))
        add('')
        add('### List scaling (consumer with N accepted shares)')
        add('')
        add('8 clients: req/s (% of ceiling) and p50 / p95 ms; 1 client: '
            'p50 / p95 ms. Walks: the whole walk in seconds (median; p95 = '
            'slowest of the repetitions), pages, ms per page.')
        add('')
        add('| shares | request | 8 clients req/s | % ceil | p50 / p95 ms '
            '(8) | p50 / p95 ms (1) | errors |')
        add('|---|---|---|---|---|---|---|')
        for n in SCALES:
            row = s['scaling'][n]
            for name in ('default', 'all', 'members', 'member'):
                c8, c1 = row[name]['c8']['summary'], \
                    row[name]['c1']['summary']
                errors = sum(c8['errors'].values()) + \
                    sum(c1['errors'].values())
                add('| %d | %s | %.0f | %.1f%% | %s / %s | %s / %s | %d |'
                    % (n, {'default': 'GET /v2/images',
                           'all': '?member_status=all',
                           'members': 'member list',
                           'member': 'one member'}[name],
                       c8['rps'], 100 * c8['rps'] / ceiling,
                       _ms(c8['latency_ms']['p50']),
                       _ms(c8['latency_ms']['p95']),
                       _ms(c1['latency_ms']['p50']),
                       _ms(c1['latency_ms']['p95']), errors))
        add('')
        redone = [(n, name, c) for n in SCALES
                  for name in ('default', 'all', 'members', 'member')
                  for c in ('c8', 'c1')
                  if len(s['scaling'][n][name][c]['attempts']) > 1]
        add('Redone runs: %s.' % ('; '.join(
            '%d %s %s: %s' % (n, name, c, _attempts(
                s['scaling'][n][name][c])) for n, name, c in redone)
            or 'none'))
        add('')
        add('| shares | walk limit 25: p50 / p95 s | pages | ms/page | walk '
            'limit 200: p50 / p95 s | pages | ms/page |')
        add('|---|---|---|---|---|---|---|')
        for n in SCALES:
            a, b = s['scaling'][n]['walk_25'], s['scaling'][n]['walk_200']
            add('| %d | %.3f / %.3f | %d | %.2f | %.3f / %.3f | %d | %.2f |'
                % (n, a['p50_s'], a['p95_s'], a['pages'], a['ms_per_page'],
                   b['p50_s'], b['p95_s'], b['pages'], b['ms_per_page']))
        add('')
        st = s['setup_rate']
        add('### Setup rate (wrk, 8 connections, %d s)' % d['setup'])
        add('')
        add('**%.1f shared images/s** (create + add member + accept; Glance '
            '33: 11.5), %d failures %s; chain p50 / p99 %s / %s ms; create '
            'p50 %s ms, add p50 %s ms, accept p50 %s ms; %.0f req/s (%.0f%% '
            'of ceiling); attempts (req/s): %s.' % (
                st['images_per_s'], st['failures'],
                st['failure_codes'] or '', _ms(st['chain']['p50']),
                _ms(st['chain']['p99']), _ms(st['create_image']['p50']),
                _ms(st['add_member']['p50']), _ms(st['accept']['p50']),
                st['summary']['rps'], 100 * st['summary']['rps'] / ceiling,
                _attempts(st)))
        add('')
        seed_ = s['seed']
        add('Seeding: 1,000 images and 1,110 shares through the API (%s) in '
            '%.1f s (%.0f req/s); the 10,000-share consumer through the '
            'Repository (%d new images, 10,000 shares) in %.1f s.' % (
                seed_['api_seed']['client'], seed_['api_seed']['seconds'],
                seed_['api_seed']['requests_per_s'],
                seed_['direct_seed']['images_created'],
                seed_['direct_seed']['seconds']))
        add('')
        mem = s['memory']
        add('Worker RSS: max %.1f MiB over the measurement server (%s), %.1f '
            'MiB over the seeding server.' % (
                mem['max_rss_mib'], ', '.join(
                    '%s MiB' % v for v in mem['worker_max_rss_mib'].values()),
                s['seed_server_memory']['max_rss_mib']))
        add('')
        for prof in s.get('profiles', []):
            add('### Profile: %s' % prof['label'])
            add('')
            add('%s; py-spy record 100 Hz on every worker for %d s, %s: '
                '%d samples, %d busy (idle pool threads and epoll waits '
                'removed; shares below are of the busy samples), %.1f%% '
                'waiting for the logging handler lock; load %.0f req/s '
                'while sampled. Folded stacks: `%s`.' % (
                    prof['what'], d['profile'], prof['mode'],
                    prof['samples'],
                    prof['busy_samples'], prof['lock_wait_pct'],
                    prof['load_rps'] or 0, prof['folded']))
            add('')
            add('| self (leaf frame) | % | | inclusive, glance_members '
                'frames | % |')
            add('|---|---|---|---|---|')
            left, right = prof['self_top'][:15], \
                prof['inclusive_glance_members'][:15]
            for i in range(max(len(left), len(right))):
                a = left[i] if i < len(left) else ['', '']
                b = right[i] if i < len(right) else ['', '']
                add('| %s | %s | | %s | %s |' % (
                    '`%s`' % a[0] if a[0] else '', a[1],
                    '`%s`' % b[0] if b[0] else '', b[1]))
            add('')
            add('By package, inclusive: %s.' % ', '.join(
                '%s %s%%' % (k, v) for k, v in prof['category_inclusive']
                [:16]))
            add('')
            add('By package, self (the innermost non-stdlib frame: who asked '
                'for the work): %s.' % ', '.join(
                    '%s %s%%' % (k, v) for k, v in prof['layer_self'][:16]))
            add('')
    add('Raw numbers: `sharing.json`.')
    add('')
    with open(path, 'w') as f:
        f.write('\n'.join(L))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--configs', default='2x1,2x2,2x3,2x4,3x1,3x2',
                        help='workers x threads to sweep (mix + ceiling) on '
                             'the first database')
    parser.add_argument('--config', help='use this WxT for the main '
                                         'measurements instead of the '
                                         'sweep\'s best')
    parser.add_argument('--databases', default='sqlite,postgresql,mariadb',
                        help='any of sqlite, postgresql, mariadb')
    parser.add_argument('--duration', type=int, default=20,
                        help='mix and ceiling seconds')
    parser.add_argument('--sweep-duration', type=int, default=8)
    parser.add_argument('--list-duration', type=int, default=4,
                        help='seconds per list endpoint at 8 clients')
    parser.add_argument('--profile', action='store_true',
                        help='py-spy the member list and the default list')
    parser.add_argument('--quick', action='store_true',
                        help='short runs (a smoke test of the tooling)')
    parser.add_argument('--workdir', help='scratch parent directory')
    parser.add_argument('--wait-quiet', type=int, default=0,
                        help='wait up to this many seconds for the machine '
                             'to be idle (< 15%% busy) before starting')
    parser.add_argument('--quiet-budget', type=int, default=300,
                        help='seconds the run may spend in all waiting for '
                             'other work on the machine to stop before '
                             'redoing a disturbed measurement')
    parser.add_argument('--server', default='glance-members',
                        choices=['glance-members', 'gthread'],
                        help='serve the app with our server (default) or '
                             'gunicorn gthread (before issue 17; 2x2 only)')
    parser.add_argument('--keep', action='store_true')
    parser.add_argument('--out', default=os.path.join(HERE, 'results',
                                                      'sharing'))
    args = parser.parse_args(argv)
    load.QUIET['budget_s'] = args.quiet_budget
    WSGI_SERVER['name'] = args.server

    def interrupted(signum, frame):
        raise KeyboardInterrupt('signal %d' % signum)
    # Stop cleanly (servers, Keystone, PostgreSQL) on SIGTERM, and on SIGINT
    # even when started in the background (where SIGINT is ignored).
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    if shutil.which('wrk') is None:
        sys.exit('wrk is missing: apt-get install -y wrk')
    result = run(args)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out + '.json', 'w') as f:
        json.dump(result, f, indent=1, default=str)
        f.write('\n')
    write_markdown(result, args.out + '.md')
    report.log('wrote %s.json and %s.md' % (args.out, args.out))
    for v in result['verdicts']:
        report.log('%-10s %-48s %s %s (%s) %s' % (
            v['database'], v['target'], v['measured'], v['unit'],
            v['wanted'], 'PASS' if v['pass'] else 'MISS'))


if __name__ == '__main__':
    main()
