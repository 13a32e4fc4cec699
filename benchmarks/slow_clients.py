"""Slow clients under candidate servers (issue 17).

For each candidate server, the real glance-members app (embedded default:
SQLite, static tokens) on 127.0.0.1, 2 workers x 2 threads:

1. baseline: one keep-alive client on the member list of a 50-member image
   (req/s, p50, p99);
2. slow clients: the floods of testbed/floods.py (partial request
   heads, idle keep-alives, uploads trickling 32 KiB/s) in a process of
   their own while the same client runs: answered, errors, p50, p99;
3. a chunked upload (`Transfer-Encoding: chunked`, as `glance
   image-upload`) of --upload-mib MiB through PUT /v2/images/ID/file, the
   RSS of every server process sampled every 50 ms: peak over idle, MB/s,
   and whether the image came out active with every byte.

Candidates: `gthread` (gunicorn gthread, the settings `serve` had before
issue 17), `glance-members` (`glance-members serve` as it is now),
`granian` (granian --interface wsgi), `uvicorn-a2wsgi` (uvicorn, h11, the
app wrapped by a2wsgi). The last two need `pip install granian uvicorn
a2wsgi` (benchmark-only; not dependencies of the project).

    python benchmarks/slow_clients.py [--candidates a,b] [--partial 1000]
        [--idle 1000] [--uploads 32] [--flood-s 12] [--upload-mib 512]

Writes benchmarks/results/slow-clients.{json,md} (--out).
"""

import argparse
import datetime
import http.client
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import psutil

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from testbed import personas  # noqa: E402
from testbed import floods  # noqa: E402
from testbed import processes  # noqa: E402
from testbed import servers as helpers  # noqa: E402

CANDIDATES = ('gthread', 'glance-members', 'granian', 'uvicorn-a2wsgi')
WORKERS, THREADS = 2, 2
MiB = 1024 * 1024
CONFIG_ENV = 'GM_BENCH_CONFIG'


def log(msg):
    print('[slow-clients %s] %s' % (time.strftime('%H:%M:%S'), msg),
          file=sys.stderr, flush=True)


# --- the app for servers that import it (granian, uvicorn) ----------------

def _conf():
    from glance_members import conf as gm_conf
    from glance_members import logs
    conf = gm_conf.new_conf(config_file=os.environ[CONFIG_ENV])
    logs.setup(conf)
    return conf


def wsgi_app():
    """Factory: the glance-members WSGI app of $GM_BENCH_CONFIG."""
    from glance_members import app
    return app.create_app(_conf())


def asgi_app():
    """Factory: the same app behind a2wsgi (for uvicorn)."""
    import a2wsgi
    return a2wsgi.WSGIMiddleware(wsgi_app(), workers=THREADS)


def serve_gthread(config, port):
    """`serve` as it was before issue 17: gunicorn gthread."""
    from gunicorn.app import base

    class Server(base.BaseApplication):
        def load_config(self):
            for key, value in (('bind', '127.0.0.1:%d' % port),
                               ('workers', WORKERS),
                               ('worker_class', 'gthread'),
                               ('threads', THREADS), ('accesslog', None),
                               ('timeout', 120), ('limit_request_line', 0),
                               ('control_socket_disable', True)):
                if key in self.cfg.settings:
                    self.cfg.set(key, value)

        def load(self):
            return wsgi_app()

    os.environ[CONFIG_ENV] = config
    Server().run()


def command(candidate, config, port):
    py = sys.executable
    bindir = os.path.dirname(py)
    if candidate == 'glance-members':
        return [py, '-m', 'glance_members.cmd.serve', 'serve', '--config',
                config, '--workers', str(WORKERS), '--threads', str(THREADS)]
    if candidate == 'gthread':
        return [py, os.path.abspath(__file__), '--serve-gthread', config,
                '--port', str(port)]
    if candidate == 'granian':
        return [os.path.join(bindir, 'granian'), '--interface', 'wsgi',
                '--factory', '--host', '127.0.0.1', '--port', str(port),
                '--workers', str(WORKERS), '--blocking-threads',
                str(THREADS), 'benchmarks.slow_clients:wsgi_app']
    if candidate == 'uvicorn-a2wsgi':
        return [os.path.join(bindir, 'uvicorn'), '--factory', '--host',
                '127.0.0.1', '--port', str(port), '--workers', str(WORKERS),
                '--http', 'h11', '--log-level', 'warning',
                'benchmarks.slow_clients:asgi_app']
    raise ValueError(candidate)


# --- one candidate ---------------------------------------------------------

class Candidate:
    def __init__(self, name, scratch, command_name=None):
        self.name = name
        self.command_name = command_name or name
        self.dir = os.path.join(scratch, name)
        self.data_dir = os.path.join(self.dir, 'data')
        self.port = processes.free_port()
        self.config = os.path.join(self.dir, 'glance-members.conf')
        self.process = None
        os.makedirs(self.data_dir)
        helpers.write_token_file(self.data_dir)
        with open(self.config, 'w') as f:
            f.write('[DEFAULT]\ndata_dir = %s\nbind_host = 127.0.0.1\n'
                    'bind_port = %d\n' % (self.data_dir, self.port))

    def start(self):
        from glance_members.cmd import serve
        from glance_members import conf as gm_conf
        serve.prepare(gm_conf.new_conf(config_file=self.config))
        self._log = open(os.path.join(self.dir, 'server.log'), 'wb')
        self.process = subprocess.Popen(
            command(self.command_name, self.config, self.port), cwd=REPO,
            stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True,
            env=helpers.child_env(**{CONFIG_ENV: self.config}))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('%s exited; see %s' % (
                    self.name, self._log.name))
            try:
                self.request('GET', '/versions', who=None)
                break
            except OSError:
                time.sleep(0.2)
        time.sleep(1)   # every worker up
        return self

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        self._log.close()

    def url(self):
        return 'http://127.0.0.1:%d' % self.port

    def processes(self):
        try:
            root = psutil.Process(self.process.pid)
            return [root] + root.children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def request(self, method, path, body=None, who='producer', timeout=30):
        conn = http.client.HTTPConnection('127.0.0.1', self.port,
                                          timeout=timeout)
        headers = {'Content-Type': 'application/json'}
        if who:
            headers['X-Auth-Token'] = personas.token(who)
        conn.request(method, path, body=json.dumps(body) if body else None,
                     headers=headers)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, json.loads(data) if data.startswith(
            b'{') else data


def seed(c):
    status, image = c.request('POST', '/v2/images', {
        'name': 'members', 'visibility': 'shared'})
    assert status == 201, (status, image)
    for i in range(50):
        status, _ = c.request('POST', '/v2/images/%s/members' % image['id'],
                              {'member': '%032x' % (0xbe7c4 + i)})
        assert status == 200
    uploads = []
    for _ in range(32):
        status, up = c.request('POST', '/v2/images', {
            'name': 'trickle', 'disk_format': 'raw',
            'container_format': 'bare'})
        uploads.append(up['id'])
    return '/v2/images/%s/members' % image['id'], uploads


def client(port, path, seconds, timeout=10):
    """One keep-alive client: per request, (status or error name, s)."""
    return summary(floods.timed_requests(port, path, seconds,
                                         personas.token('producer'),
                                         timeout), seconds)


def summary(results, seconds):
    ok = sorted(t for s, t in results if s == 200)
    errors = {}
    for s, _ in results:
        if s != 200:
            errors[str(s)] = errors.get(str(s), 0) + 1
    every = sorted(t for _, t in results)

    def pct(values, p):
        return round(1000 * values[min(len(values) - 1,
                                       int(len(values) * p))], 1) \
            if values else None
    return {'requests': len(results), 'ok': len(ok), 'errors': errors,
            'rps': round(len(ok) / seconds, 1),
            'p50_ms': pct(every, 0.5), 'p99_ms': pct(every, 0.99),
            'max_ms': round(1000 * every[-1], 1) if every else None}


def slow_clients(c, path, uploads, args):
    flood = subprocess.Popen(
        [sys.executable, '-m', 'testbed.floods', '--port',
         str(c.port), '--duration', str(args.flood_s), '--partial',
         str(args.partial), '--idle', str(args.idle), '--uploads',
         ','.join(uploads[:args.uploads]), '--token',
         personas.token('producer')],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
        env=helpers.child_env())
    try:
        ready = flood.stdout.readline().strip()
        t0 = time.monotonic()
        measured = client(c.port, path, max(2.0, args.flood_s - 4))
        measured['flood_ready'] = ready == 'ready'
        measured['flood'] = json.loads(flood.stdout.readline() or '{}')
        measured['flood_s'] = round(time.monotonic() - t0, 1)
    finally:
        flood.kill()
        flood.wait(timeout=30)
    time.sleep(2)
    measured['after'] = client(c.port, path, 2)
    return measured


def upload(c, mib):
    status, image = c.request('POST', '/v2/images', {
        'name': 'big', 'disk_format': 'raw', 'container_format': 'bare'})
    block = os.urandom(MiB)
    idle = {p.pid: p.memory_info().rss for p in c.processes()}
    peak = dict(idle)
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            for p in c.processes():
                try:
                    rss = p.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
                peak[p.pid] = max(peak.get(p.pid, 0), rss)
            stop.wait(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    conn = http.client.HTTPConnection('127.0.0.1', c.port, timeout=600)
    t0 = time.monotonic()
    try:
        conn.request('PUT', '/v2/images/%s/file' % image['id'],
                     body=(block for _ in range(mib)), encode_chunked=True,
                     headers={'X-Auth-Token': personas.token('producer'),
                              'Content-Type': 'application/octet-stream'})
        response = conn.getresponse()
        response.read()
        put_status = response.status
    except (OSError, http.client.HTTPException) as e:
        put_status = type(e).__name__
    elapsed = time.monotonic() - t0
    stop.set()
    sampler.join()
    conn.close()
    status, after = c.request('GET', '/v2/images/%s' % image['id'])
    over = max(peak[p] - idle.get(p, 0) for p in peak)
    return {'mib': mib, 'put_status': put_status,
            'image_status': after.get('status'), 'size': after.get('size'),
            'complete': after.get('size') == mib * MiB,
            'seconds': round(elapsed, 1),
            'mb_per_s': round(mib * MiB / 1e6 / elapsed, 1),
            'peak_rss_over_idle_mib': round(over / MiB, 1),
            'max_rss_mib': round(max(peak.values()) / MiB, 1)}


def seed_shares(c, count):
    """`count` images of producer shared with and accepted by consumer:
    the consumer's default image list (GET /v2/images)."""
    for _ in range(count):
        status, image = c.request('POST', '/v2/images', {
            'name': 'shared', 'visibility': 'shared'})
        status, _ = c.request('POST', '/v2/images/%s/members' % image['id'],
                              {'member': personas.CONSUMER_PROJECT})
        status, _ = c.request('PUT', '/v2/images/%s/members/%s' % (
            image['id'], personas.CONSUMER_PROJECT),
            {'status': 'accepted'}, who='consumer')
        assert status == 200, status


def wrk(c, path, who, seconds):
    out = subprocess.run(
        ['wrk', '-t8', '-c8', '-d%ds' % seconds, '--latency', '-H',
         'X-Auth-Token: %s' % personas.token(who), c.url() + path],
        capture_output=True, text=True, timeout=seconds + 60).stdout
    rps = float(out.split('Requests/sec:')[1].split()[0])
    p99 = out.split(' 99%')[1].split()[0]
    non2xx = int(out.split('Non-2xx or 3xx responses:')[1].split()[0]) \
        if 'Non-2xx' in out else 0
    return {'rps': rps, 'p99': p99, 'non_2xx': non2xx}


def throughput(names, scratch, args):
    """All candidates up at once, wrk (8 connections) alternating between
    them round by round, so that each round compares them under the same
    load from the rest of the machine."""
    started = []
    try:
        for name in names:
            c = Candidate(name + '-wrk', scratch, command_name=name)
            started.append(c.start())
        paths = {}
        for c in started:
            paths[c.name] = seed(c)[0]
            seed_shares(c, 100)
        rounds = []
        for i in range(args.rounds):
            row = {}
            for c in started:
                row[c.name[:-4]] = {
                    'member_list_50': wrk(c, paths[c.name], 'producer',
                                          args.wrk_s),
                    'image_list_100_shares': wrk(c, '/v2/images',
                                                 'consumer', args.wrk_s)}
            log('round %d: %s' % (i + 1, row))
            rounds.append(row)
        return rounds
    finally:
        for c in started:
            c.stop()


def run_candidate(name, scratch, args):
    c = Candidate(name, scratch)
    log('%s: starting on port %d' % (name, c.port))
    c.start()
    try:
        path, uploads = seed(c)
        result = {'baseline': client(c.port, path, args.baseline_s)}
        log('%s: baseline %s' % (name, result['baseline']))
        result['slow_clients'] = slow_clients(c, path, uploads, args)
        log('%s: slow clients %s' % (name, {
            k: v for k, v in result['slow_clients'].items()
            if k != 'flood'}))
        if args.upload_mib:
            result['upload'] = upload(c, args.upload_mib)
            log('%s: upload %s' % (name, result['upload']))
    finally:
        c.stop()
    return result


def machine():
    return {'cpus': os.cpu_count(), 'python': platform.python_version(),
            'platform': platform.platform(),
            'memory_gib': round(psutil.virtual_memory().total / 2 ** 30)}


def commit():
    try:
        return subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=REPO,
                              capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def write_markdown(result, path):
    lines = ['# Slow clients under candidate servers', '',
             '%s, commit %s, %s; %d workers x %d threads; flood: %d partial '
             'heads + %d idle keep-alives + %d uploads at 32 KiB/s for %ss; '
             'upload %d MiB chunked.' % (
                 result['date'], (result['commit'] or '?')[:12],
                 result['machine'], WORKERS, THREADS,
                 result['args']['partial'],
                 result['args']['idle'], result['args']['uploads'],
                 result['args']['flood_s'], result['args']['upload_mib']),
             '', '| server | member list alone: req/s, p50/p99 ms | during '
             'the flood: ok / errors, p50/p99/max ms | after | upload: '
             'status, complete, MB/s, peak RSS over idle MiB |',
             '|---|---|---|---|---|']
    for name, r in result['candidates'].items():
        if 'error' in r:
            lines.append('| %s | %s | | | |' % (name, r['error']))
            continue
        b, s, u = r['baseline'], r['slow_clients'], r.get('upload', {})
        lines.append('| %s | %s, %s/%s | %d / %s, %s/%s/%s | %s ok, p99 %s '
                     '| %s, %s, %s, %s |' % (
                         name, b['rps'], b['p50_ms'], b['p99_ms'], s['ok'],
                         s['errors'] or 0, s['p50_ms'], s['p99_ms'],
                         s['max_ms'], s['after']['ok'],
                         s['after']['p99_ms'], u.get('put_status'),
                         u.get('complete'), u.get('mb_per_s'),
                         u.get('peak_rss_over_idle_mib')))
    if result.get('throughput'):
        lines += ['', 'wrk -t8 -c8, rounds alternating between the servers '
                  '(req/s, p99):', '',
                  '| round | server | member list (50) | consumer image list '
                  '(100 shares) |', '|---|---|---|---|']
        for i, row in enumerate(result['throughput']):
            for name, r in row.items():
                m, li = r['member_list_50'], r['image_list_100_shares']
                lines.append('| %d | %s | %s, %s | %s, %s |' % (
                    i + 1, name, m['rps'], m['p99'], li['rps'], li['p99']))
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--candidates', default=','.join(CANDIDATES))
    parser.add_argument('--partial', type=int, default=1000)
    parser.add_argument('--idle', type=int, default=1000)
    parser.add_argument('--uploads', type=int, default=32)
    parser.add_argument('--flood-s', type=float, default=12.0)
    parser.add_argument('--baseline-s', type=float, default=5.0)
    parser.add_argument('--upload-mib', type=int, default=512)
    parser.add_argument('--throughput', default='gthread,glance-members',
                        help='candidates compared with wrk, alternately')
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--wrk-s', type=int, default=5)
    parser.add_argument('--out', default=os.path.join(HERE, 'results',
                                                      'slow-clients'))
    parser.add_argument('--serve-gthread', help=argparse.SUPPRESS)
    parser.add_argument('--port', type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_gthread:
        return serve_gthread(args.serve_gthread, args.port)
    scratch = tempfile.mkdtemp(prefix='gm-slow-')
    result = {'benchmark': 'slow_clients', 'commit': commit(),
              'date': datetime.date.today().isoformat(),
              'machine': '%(cpus)d CPUs, %(memory_gib)d GiB, Python '
                         '%(python)s' % machine(),
              'args': vars(args), 'candidates': {}}
    try:
        if args.throughput:
            result['throughput'] = throughput(args.throughput.split(','),
                                              scratch, args)
        for name in [n for n in args.candidates.split(',') if n]:
            try:
                result['candidates'][name] = run_candidate(name, scratch,
                                                           args)
            except Exception as e:   # record it, measure the others
                log('%s: %r' % (name, e))
                result['candidates'][name] = {'error': repr(e)}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    with open(args.out + '.json', 'w') as f:
        json.dump(result, f, indent=1)
        f.write('\n')
    write_markdown(result, args.out + '.md')
    log('wrote %s.{json,md}' % args.out)


if __name__ == '__main__':
    main()
