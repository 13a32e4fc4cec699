"""The HTTP probes of issue 22 against candidate servers of the same app.

Every candidate serves the real glance-members app (embedded default:
SQLite, static tokens; 2 workers x 2 threads; [server] body_idle_timeout =
2 and max_streaming_requests = 16, which only our serve reads; proxy
headers parsing on) on 127.0.0.1:

* `serve`: `glance-members serve` (gunicorn arbiter, uvicorn worker,
  a2wsgi, glance_members/server/);
* `gthread`: plain `gunicorn -k gthread` on the create_app factory;
* `granian`: `granian --interface wsgi` on the same factory;
* `waitress`: `waitress-serve` (one process, 2 threads).

For each: wrk on the member list of a 50-member image (8 connections),
the probes of testbed/http_probes.py (the same bytes as
tests/integration/test_http_probes.py), a 1 GiB chunked upload with the
workers' RSS before, at peak and after, and last SIGHUP then SIGTERM
under a looping client. Each cell is what was measured; a probe a
candidate cannot run says so.

    python benchmarks/http_servers.py [--candidates serve,gthread,...]
        [--upload-mib 1024] [--wrk-s 10]

Writes benchmarks/results/http-servers.{json,md} (--out).
"""

import argparse
import datetime
import http.client
import json
import os
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

from testbed import http_probes as probes  # noqa: E402
from benchmarks.support import report  # noqa: E402
from testbed import processes  # noqa: E402

CANDIDATES = ('serve', 'gthread', 'granian', 'waitress')
WORKERS, THREADS = 2, 2
BODY_TIMEOUT, STREAMING = 2, 16
CONFIG_ENV = 'GM_BENCH_CONFIG'
TOKEN = 'tok-producer'
MiB = probes.MiB


def wsgi_app():
    """Factory: the glance-members WSGI app of $GM_BENCH_CONFIG, logging
    as serve does (for the servers that import the app themselves)."""
    from glance_members import app
    from glance_members import conf as gm_conf
    from glance_members import logs
    conf = gm_conf.new_conf(config_file=os.environ[CONFIG_ENV])
    logs.setup(conf)
    return app.create_app(conf)


def command(name, config, port):
    py = sys.executable
    bindir = os.path.dirname(py)
    if name == 'serve':
        return [py, '-m', 'glance_members.cmd.serve', 'serve', '--config',
                config, '--workers', str(WORKERS), '--threads', str(THREADS)]
    if name == 'gthread':
        return [os.path.join(bindir, 'gunicorn'), '-k', 'gthread', '-w',
                str(WORKERS), '--threads', str(THREADS), '-b',
                '127.0.0.1:%d' % port, 'benchmarks.http_servers:wsgi_app()']
    if name == 'granian':
        return [os.path.join(bindir, 'granian'), '--interface', 'wsgi',
                '--factory', '--host', '127.0.0.1', '--port', str(port),
                '--workers', str(WORKERS), '--blocking-threads',
                str(THREADS), 'benchmarks.http_servers:wsgi_app']
    if name == 'waitress':
        return [os.path.join(bindir, 'waitress-serve'), '--host',
                '127.0.0.1', '--port', str(port), '--threads', str(THREADS),
                '--call', 'benchmarks.http_servers:wsgi_app']
    raise ValueError(name)


def installed(name):
    if name == 'serve':
        return True
    exe = {'gthread': 'gunicorn', 'granian': 'granian',
           'waitress': 'waitress-serve'}[name]
    return os.path.exists(os.path.join(os.path.dirname(sys.executable), exe))


def descendants(pid):
    """Live (non-zombie) pids under `pid`, recursively."""
    alive = []
    for child in psutil.Process(pid).children(recursive=True):
        try:
            if child.status() != psutil.STATUS_ZOMBIE:
                alive.append(child.pid)
        except psutil.NoSuchProcess:
            pass
    return sorted(alive)


class Candidate:
    def __init__(self, name, scratch):
        self.name = name
        self.dir = os.path.join(scratch, name)
        self.data_dir = os.path.join(self.dir, 'data')
        self.port = processes.free_port()
        self.config = os.path.join(self.dir, 'glance-members.conf')
        self.log_path = os.path.join(self.dir, 'server.log')
        self.process = None
        os.makedirs(self.data_dir)
        # The test personas' tokens (producer: tok-producer).
        from testbed import servers as test_servers
        test_servers.write_token_file(self.data_dir)
        with open(self.config, 'w') as f:
            f.write('[DEFAULT]\ndata_dir = %s\nbind_host = 127.0.0.1\n'
                    'bind_port = %d\n\n[server]\nbody_idle_timeout = %d\n'
                    'max_streaming_requests = %d\n\n[oslo_middleware]\n'
                    'enable_proxy_headers_parsing = true\n' % (
                        self.data_dir, self.port, BODY_TIMEOUT, STREAMING))

    def start(self):
        from glance_members import conf as gm_conf
        from glance_members.cmd import serve
        serve.prepare(gm_conf.new_conf(config_file=self.config))
        env = dict(os.environ, PYTHONPATH=REPO, PYTHONUNBUFFERED='1',
                   HOME=self.dir, **{CONFIG_ENV: self.config})
        self._log = open(self.log_path, 'wb')
        self.process = subprocess.Popen(
            command(self.name, self.config, self.port), cwd=REPO,
            stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('%s exited: %s' % (self.name,
                                                      self.log_text()[-2000:]))
            if self.answers():
                break
            time.sleep(0.2)
        time.sleep(1)   # every worker up
        return self

    def answers(self, timeout=2):
        try:
            conn = http.client.HTTPConnection('127.0.0.1', self.port,
                                              timeout=timeout)
            conn.request('GET', '/versions')
            conn.getresponse().read()
            conn.close()
            return True
        except (OSError, http.client.HTTPException):
            return False

    def worker_pids(self):
        """The processes that run the app: the workers, or waitress."""
        if self.process is None or self.process.poll() is not None:
            return []
        if self.name == 'waitress':
            return [self.process.pid]
        return descendants(self.process.pid)

    def log_text(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')

    def target(self):
        return probes.Target(self.port, TOKEN, self.worker_pids,
                             self.log_text, master_pid=self.process.pid)

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)
        elif self.process is not None:
            # The master is gone (signals probe); its group may not be.
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._log.close()


# --- measurements beside the probes ----------------------------------------

def loadavg():
    with open('/proc/loadavg') as f:
        return float(f.read().split()[0])


def wrk(c, path, seconds):
    out = subprocess.run(
        ['wrk', '-t2', '-c8', '-d%ds' % seconds, '--latency', '-H',
         'X-Auth-Token: %s' % TOKEN,
         'http://127.0.0.1:%d%s' % (c.port, path)],
        capture_output=True, text=True, timeout=seconds + 60).stdout
    non2xx = int(out.split('Non-2xx or 3xx responses:')[1].split()[0]) \
        if 'Non-2xx' in out else 0
    errors = out.split('Socket errors:')[1].splitlines()[0].strip() \
        if 'Socket errors:' in out else ''
    return {'rps': float(out.split('Requests/sec:')[1].split()[0]),
            'p50': out.split(' 50%')[1].split()[0],
            'p99': out.split(' 99%')[1].split()[0],
            'non_2xx': non2xx, 'socket_errors': errors}


def big_upload(c, mib):
    """PUT /file of `mib` MiB, chunked as `glance image-upload` sends it;
    the workers' RSS before, at peak (50 ms samples) and after."""
    target = c.target()
    image_id = target.create_image(disk_format='raw',
                                   container_format='bare')['id']
    before = probes.worker_rss_mib(target)
    peak = dict(before)
    stop = threading.Event()

    def sample():
        while not stop.wait(0.05):
            for pid, rss in probes.worker_rss_mib(target).items():
                peak[pid] = max(peak.get(pid, 0), rss)
    sampler = threading.Thread(target=sample)
    sampler.start()
    block = os.urandom(MiB)
    conn = http.client.HTTPConnection('127.0.0.1', c.port, timeout=300)
    t0 = time.monotonic()
    try:
        conn.request('PUT', '/v2/images/%s/file' % image_id,
                     body=(block for _ in range(mib)), encode_chunked=True,
                     headers={'X-Auth-Token': TOKEN,
                              'Content-Type': 'application/octet-stream'})
        response = conn.getresponse()
        response.read()
        status = response.status
    except (OSError, http.client.HTTPException) as e:
        status = type(e).__name__
    finally:
        elapsed = time.monotonic() - t0
        stop.set()
        sampler.join()
        conn.close()
    time.sleep(1)
    after = probes.worker_rss_mib(target)
    image = target.image(image_id)[1] or {}
    fmt = '/'.join

    return {'status': status, 'image': image.get('status'),
            'complete': image.get('size') == mib * MiB,
            'seconds': round(elapsed, 1),
            'mb_per_s': round(mib * MiB / 1e6 / elapsed, 1),
            'rss_before_mib': fmt('%.0f' % before[p] for p in sorted(before)),
            'rss_peak_mib': fmt('%.0f' % peak[p] for p in sorted(peak)),
            'rss_after_mib': fmt('%.0f' % after[p] for p in sorted(after))}


def signals_probe(c):
    """SIGHUP (wait for new workers, 20 s at most), then SIGTERM (wait for
    the exit), a client looping on GET /v2/images throughout."""
    target = c.target()
    old = set(c.worker_pids())

    def hup():
        try:
            os.kill(c.process.pid, signal.SIGHUP)
        except ProcessLookupError:
            return 'gone'
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if c.process.poll() is not None:
                return 'exited %s' % c.process.returncode
            pids = set(c.worker_pids())
            if pids and not pids & old:
                return 'replaced'
            time.sleep(0.1)
        return 'not replaced'

    def term():
        try:
            os.kill(c.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return 'gone'
        try:
            return c.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            return 'still running'
    result = probes.signals(target, '/v2/images', [hup, term])
    result.summary += ' (HUP: %s, TERM: %s)' % tuple(result.detail['actions'])
    return result


# --- one candidate -----------------------------------------------------------

def guarded(name, func):
    t0 = time.monotonic()
    try:
        result = func()
    except Exception as e:  # a probe a candidate cannot run: say so
        result = probes.Result(False, 'could not run: %s: %s' % (
            type(e).__name__, str(e)[:150]))
    result.detail['probe_seconds'] = round(time.monotonic() - t0, 1)
    report.log('  %s: %s %s' % (name, 'ok' if result.ok else 'FAIL',
                                result.summary[:160]))
    return result


def run_candidate(name, scratch, args):
    c = Candidate(name, scratch)
    out = {'load_before': loadavg()}
    try:
        c.start()
        target = c.target()
        path = target.member_list_path(50)
        out['wrk'] = wrk(c, path, args.wrk_s)
        report.log('%s wrk %s' % (name, out['wrk']))
        runs = [
            ('cl_te', lambda: probes.cl_te_smuggling(target)),
            ('split_body', lambda: probes.split_body(target)),
            ('short_chunk', lambda: probes.short_chunk(target, wait=12)),
            ('broken_bodies', lambda: probes.broken_bodies(
                target, BODY_TIMEOUT, wait=12)),
            ('one_write_upload', lambda: probes.upload_in_one_write(target)),
            ('pipelined', lambda: probes.pipelined_flood(
                target, path, seconds=8)),
            ('slow_downloads', lambda: probes.slow_downloads(
                target, clients=300, seconds=6,
                thread_limit=STREAMING + 4)),
            ('slow_sign_ins', lambda: probes.slow_sign_ins_vs_uploads(
                target, clients=150, uploads=5, timeout=10)),
            ('control_chars', lambda: probes.control_characters(target)),
            ('forwarded_proto', lambda: probes.forwarded_proto(
                target, expect_https=True)),
        ]
        results = {}
        for probe, func in runs:
            # A candidate a probe wedged gets time to recover, not blame
            # in the next probe's cell.
            deadline = time.monotonic() + 20
            while not c.answers() and time.monotonic() < deadline:
                time.sleep(0.5)
            results[probe] = guarded(probe, func)
        if args.upload_mib:
            results['upload'] = guarded('upload', lambda: probes.Result(
                True, '', **big_upload(c, args.upload_mib)))
            u = results['upload'].detail
            if 'status' in u:
                results['upload'].ok = u['status'] == 204 and u['complete']
                results['upload'].summary = (
                    '%s, %s, %.0f MB/s; RSS MiB before %s, peak %s, after %s'
                    % (u['status'], u['image'], u['mb_per_s'],
                       u['rss_before_mib'], u['rss_peak_mib'],
                       u['rss_after_mib']))
        results['signals'] = guarded('signals', lambda: signals_probe(c))
        out['probes'] = {k: v.as_dict() for k, v in results.items()}
    except Exception as e:
        out['error'] = '%s: %s' % (type(e).__name__, e)
        report.log('%s: %s' % (name, out['error']))
    finally:
        c.stop()
        out['load_after'] = loadavg()
        out['log_tail'] = c.log_text()[-3000:] if os.path.exists(
            c.log_path) else ''
        shutil.rmtree(c.data_dir, ignore_errors=True)   # the 1 GiB image
    return out


# --- the report --------------------------------------------------------------

ROWS = [
    ('cl_te', 'CL + TE (5 spellings + TE first), hidden DELETE'),
    ('split_body', 'JSON body in 2 segments 5 ms apart; http.client 40 KB '
     'x20'),
    ('short_chunk', 'chunk declared 1,000 B, `{"name": ...}` sent, bad '
     'terminator'),
    ('broken_bodies', 'malformed chunk size / client gone / body time-out '
     '(incl. unauthenticated sign-in)'),
    ('pipelined', '20,000 pipelined GETs never read: worker RSS'),
    ('slow_downloads', '300 slow downloads: threads per worker (idle), '
     'other client'),
    ('slow_sign_ins', '150 slow unauthenticated sign-in bodies vs 5 '
     'uploads of 1 MiB'),
    ('control_chars', '%0A %0D %00 %1B in a path: the log'),
    ('forwarded_proto', 'X-Forwarded-Proto: https, option on'),
    ('signals', 'SIGHUP then SIGTERM under a looping client'),
    ('one_write_upload', '(extra) PUT 1 MiB, head and body in one write'),
    ('upload', 'chunked upload (--upload-mib): status, MB/s, worker '
     'RSS'),
]


def cell(text):
    return text.replace('|', '\\|').replace('\n', ' ')


def write_markdown(result, path):
    names = [n for n in result['candidates']]
    lines = ['# HTTP servers under the probes of issue 22', '',
             'Generated by `benchmarks/http_servers.py` on %s (commit %s%s; '
             '%d CPUs, %s). Each candidate serves the same app (embedded '
             'SQLite, static tokens, %d workers x %d threads; waitress: one '
             'process, %d threads). Versions: %s.' % (
                 result['date'], (result['commit'] or '?')[:10],
                 ' + local changes' if result['dirty'] else '',
                 result['machine']['nproc'], result['machine']['cpu_model'],
                 WORKERS, THREADS, THREADS, ', '.join(
                     '%s %s' % kv for kv in result['versions'].items())),
             '', 'OK / FAIL is the guarantee the test asserts for our '
             'serve; the text is what was measured.', '',
             '| probe | ' + ' | '.join(names) + ' |',
             '|---|' + '---|' * len(names)]
    wrk_cells = []
    for n in names:
        r = result['candidates'][n]
        w = r.get('wrk')
        wrk_cells.append('%.0f req/s, p50 %s, p99 %s%s' % (
            w['rps'], w['p50'], w['p99'],
            ', %d non-2xx' % w['non_2xx'] if w['non_2xx'] else '')
            if w else r.get('error', 'not run'))
    lines.append('| wrk, member list of 50, 8 connections | %s |'
                 % ' | '.join(cell(x) for x in wrk_cells))
    for key, label in ROWS:
        cells = []
        for n in names:
            p = result['candidates'][n].get('probes', {}).get(key)
            if p is None:
                cells.append(result['candidates'][n].get('error',
                                                         'not run'))
            else:
                cells.append('**%s** %s' % ('OK' if p['ok'] else 'FAIL',
                                            p['summary']))
        lines.append('| %s | %s |' % (label, ' | '.join(
            cell(x) for x in cells)))
    lines += ['', 'Upload: %d MiB, chunked (as `glance image-upload`).'
              % result['args']['upload_mib'], '',
              'Load average (1 min) before/after each candidate: %s.' %
              ', '.join('%s %.1f/%.1f' % (
                  n, result['candidates'][n]['load_before'],
                  result['candidates'][n]['load_after']) for n in names),
              '', 'Full measurements: the .json next to this file.', '']
    with open(path, 'w') as f:
        f.write('\n'.join(lines))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--candidates', default=','.join(CANDIDATES))
    parser.add_argument('--upload-mib', type=int, default=1024)
    parser.add_argument('--wrk-s', type=int, default=10)
    parser.add_argument('--out', default=os.path.join(HERE, 'results',
                                                      'http-servers'))
    args = parser.parse_args()
    names = args.candidates.split(',')
    commit, dirty = report.git_info()
    result = {'date': datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%d %H:%M UTC'), 'commit': commit, 'dirty': dirty,
        'machine': report.machine(), 'args': vars(args),
        'versions': {v: report.version(v) for v in (
            'gunicorn', 'uvicorn', 'uvicorn-worker', 'httptools', 'a2wsgi',
            'granian', 'waitress')},
        'candidates': {}}
    scratch = tempfile.mkdtemp(prefix='gm-http-servers-')
    t0 = time.monotonic()
    try:
        for name in names:
            if not installed(name):
                result['candidates'][name] = {
                    'error': 'not installed', 'load_before': loadavg(),
                    'load_after': loadavg()}
                continue
            report.log('candidate %s' % name)
            result['candidates'][name] = run_candidate(name, scratch, args)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    result['seconds'] = round(time.monotonic() - t0)
    with open(args.out + '.json', 'w') as f:
        json.dump(result, f, indent=1, default=str)
    write_markdown(result, args.out + '.md')
    report.log('wrote %s.{json,md} in %ss' % (args.out, result['seconds']))


if __name__ == '__main__':
    main()
