"""Image data benchmark: memory and throughput of a large upload/download.

Starts `glance-members serve` (gunicorn, 1 sync worker) on a temporary data
directory, uploads a generated file (2 GiB by default) with
`Transfer-Encoding: chunked` straight from disk, downloads it again (hashed
and discarded, not written), and samples the RSS of the worker process and
its children every 20 ms. Writes a JSON and a Markdown result file.

    python benchmarks/image_data.py [--size-mib 2048] [--workdir DIR]
        [--out benchmarks/results/image-data]

Everything it creates (data file, data dir, stored image) is removed at the
end unless --keep is given.
"""

import argparse
import datetime
import hashlib
import http.client
import json
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from benchmarks.support import report  # noqa: E402
from testbed import personas  # noqa: E402
from testbed import processes  # noqa: E402
from testbed import servers  # noqa: E402

MiB = report.MiB
TOKEN = 'bench-producer-token'
IO_CHUNK = MiB

try:
    import psutil
except ImportError:  # pragma: no cover
    psutil = None


# --- the server -------------------------------------------------------------

def start_server(data_dir, port, log_path):
    """`glance-members serve --workers 1` with one token of its own."""
    servers.write_token_file(data_dir, {TOKEN: {
        'user_id': 'bench', 'project_id': personas.PRODUCER_PROJECT,
        'roles': ['member', 'reader']}})
    return servers.Server(data_dir, port, log_path,
                          extra_args=['--workers', '1']).start()


def children(pid):
    """Direct children of pid (gunicorn's workers)."""
    if psutil is not None:
        return [c.pid for c in psutil.Process(pid).children()]
    out = []
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            try:
                with open('/proc/%s/stat' % entry) as f:
                    fields = f.read().rsplit(')', 1)[1].split()
                if int(fields[1]) == pid:
                    out.append(int(entry))
            except OSError:
                pass
    return out


def proc_status_kib(pid, field):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    return 0


def tree_rss(pid):
    """RSS in bytes of pid plus all its descendants."""
    if psutil is not None:
        p = psutil.Process(pid)
        total = p.memory_info().rss
        for c in p.children(recursive=True):
            try:
                total += c.memory_info().rss
            except psutil.NoSuchProcess:
                pass
        return total
    return sum(proc_status_kib(p, 'VmRSS') * 1024
               for p in [pid] + children(pid))


class Sampler(threading.Thread):
    """Peak RSS of the worker (and its children) while running."""

    def __init__(self, pid, interval=0.02):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = 0
        self.samples = 0
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.is_set():
            try:
                self.peak = max(self.peak, tree_rss(self.pid))
                self.samples += 1
            except Exception:
                pass
            self.stop_event.wait(self.interval)

    def stop(self):
        self.stop_event.set()
        self.join()
        return self.peak


class StatusWatcher(threading.Thread):
    """The image's status straight from the SQLite file (the single worker
    is busy with the transfer, so the API cannot be asked)."""

    def __init__(self, db_path, image_id):
        super().__init__(daemon=True)
        self.db_path, self.image_id = db_path, image_id
        self.seen = []
        self.stop_event = threading.Event()

    def run(self):
        while not self.stop_event.is_set():
            try:
                con = sqlite3.connect('file:%s?mode=ro' % self.db_path,
                                      uri=True, timeout=1)
                row = con.execute('SELECT status FROM images WHERE id = ?',
                                  (self.image_id,)).fetchone()
                con.close()
                if row and (not self.seen or self.seen[-1] != row[0]):
                    self.seen.append(row[0])
            except sqlite3.Error:
                pass
            self.stop_event.wait(0.05)

    def stop(self):
        self.stop_event.set()
        self.join()
        return self.seen


# --- the client -------------------------------------------------------------

def api(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=600)
    hdrs = {'X-Auth-Token': TOKEN, 'Accept': 'application/json'}
    if body is not None:
        body = json.dumps(body).encode()
        hdrs['Content-Type'] = 'application/json'
    hdrs.update(headers or {})
    conn.request(method, path, body=body, headers=hdrs)
    r = conn.getresponse()
    data = r.read()
    conn.close()
    return r.status, data


def make_file(path, size):
    """`size` bytes of pseudo-random data: a 64 MiB urandom block, each copy
    with its index stamped in, so no two MiB are alike."""
    block = bytearray(os.urandom(64 * MiB))
    md5, written = hashlib.md5(), 0
    with open(path, 'wb') as f:
        i = 0
        while written < size:
            block[:8] = i.to_bytes(8, 'big')
            piece = bytes(block[:min(len(block), size - written)])
            f.write(piece)
            md5.update(piece)
            written += len(piece)
            i += 1
    return md5.hexdigest()


def upload(port, image_id, path):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=600)
    conn.putrequest('PUT', '/v2/images/%s/file' % image_id)
    conn.putheader('X-Auth-Token', TOKEN)
    conn.putheader('Content-Type', 'application/octet-stream')
    conn.putheader('Transfer-Encoding', 'chunked')
    conn.endheaders()
    with open(path, 'rb') as f:
        while True:
            chunk = f.read(IO_CHUNK)
            if not chunk:
                break
            conn.send(b'%x\r\n' % len(chunk) + chunk + b'\r\n')
    conn.send(b'0\r\n\r\n')
    r = conn.getresponse()
    r.read()
    conn.close()
    return r.status


def download(port, image_id):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=600)
    conn.request('GET', '/v2/images/%s/file' % image_id,
                 headers={'X-Auth-Token': TOKEN})
    r = conn.getresponse()
    md5, n = hashlib.md5(), 0
    while True:
        chunk = r.read(IO_CHUNK)
        if not chunk:
            break
        md5.update(chunk)
        n += len(chunk)
    headers = dict(r.getheaders())
    conn.close()
    return r.status, n, md5.hexdigest(), headers


# --- main -------------------------------------------------------------------

def run(args):
    size = args.size_mib * MiB
    work = tempfile.mkdtemp(prefix='gm-bench-', dir=args.workdir)
    data_dir = os.path.join(work, 'data')
    src = os.path.join(work, 'image.bin')
    port = processes.free_port()
    result = {'benchmark': 'image-data', 'size_bytes': size,
              'size_mib': args.size_mib}
    server = None
    try:
        t0 = time.monotonic()
        local_md5 = make_file(src, size)
        result['generate_seconds'] = round(time.monotonic() - t0, 2)
        server = start_server(data_dir, port, os.path.join(work,
                                                           'server.log'))
        workers = children(server.process.pid)
        assert len(workers) == 1, workers
        worker = workers[0]
        status, body = api(port, 'POST', '/v2/images', body={
            'name': 'bench', 'disk_format': 'raw',
            'container_format': 'bare'})
        assert status == 201, body
        image_id = json.loads(body)['id']
        api(port, 'GET', '/v2/images/%s' % image_id)  # warm up the worker
        idle_rss = tree_rss(worker)
        result['worker_rss_idle_mib'] = round(idle_rss / MiB, 1)

        states = ['queued']
        watcher = StatusWatcher(os.path.join(data_dir,
                                             'glance-members.sqlite'),
                                image_id)
        watcher.start()
        sampler = Sampler(worker)
        sampler.start()
        t0 = time.monotonic()
        status = upload(port, image_id, src)
        up_seconds = time.monotonic() - t0
        up_peak = sampler.stop()
        time.sleep(0.2)
        states += [s for s in watcher.stop() if s != 'queued']
        assert status == 204, status
        status, body = api(port, 'GET', '/v2/images/%s' % image_id)
        image = json.loads(body)
        if states[-1] != image['status']:
            states.append(image['status'])
        assert image['status'] == 'active', image
        assert image['size'] == size, image
        assert image['checksum'] == local_md5, image
        result['upload'] = {
            'http_status': 204, 'seconds': round(up_seconds, 2),
            'mib_per_s': round(size / MiB / up_seconds, 1),
            'worker_peak_rss_mib': round(up_peak / MiB, 1),
            'worker_peak_rss_over_idle_mib': round(
                (up_peak - idle_rss) / MiB, 1),
            'samples': sampler.samples,
            'framing': 'Transfer-Encoding: chunked, 1 MiB chunks from disk'}
        result['state_machine'] = states
        result['image_after_upload'] = {
            k: image[k] for k in ('status', 'size', 'checksum',
                                  'os_hash_algo', 'os_hash_value')}

        sampler = Sampler(worker)
        sampler.start()
        t0 = time.monotonic()
        status, n, md5, headers = download(port, image_id)
        down_seconds = time.monotonic() - t0
        down_peak = sampler.stop()
        assert status == 200 and n == size and md5 == local_md5, (status, n)
        assert headers.get('Content-MD5') == local_md5, headers
        result['download'] = {
            'http_status': 200, 'seconds': round(down_seconds, 2),
            'mib_per_s': round(size / MiB / down_seconds, 1),
            'worker_peak_rss_mib': round(down_peak / MiB, 1),
            'worker_peak_rss_over_idle_mib': round(
                (down_peak - idle_rss) / MiB, 1),
            'samples': sampler.samples,
            'bytes_verified': 'md5 of the received stream == local md5 == '
                              'Content-MD5'}
        result['worker_vmhwm_mib'] = round(
            proc_status_kib(worker, 'VmHWM') / 1024, 1)
        result['worker_pid_unchanged'] = (
            children(server.process.pid) == [worker])
        status, _ = api(port, 'DELETE', '/v2/images/%s' % image_id)
        result['image_delete_status'] = status
        result['images_dir_after_delete'] = sorted(os.listdir(
            os.path.join(data_dir, 'images')))
    finally:
        if server is not None:
            server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    commit, dirty = report.git_info()
    result.update({
        'date': datetime.datetime.now(datetime.timezone.utc).strftime(
            '%Y-%m-%dT%H:%M:%SZ'),
        'commit': commit,
        'glance_members_dirty': dirty,
        'rss_sampler': (
            ('psutil %s' % psutil.__version__ if psutil else
             '/proc/PID/status VmRSS')
            + ', every 20 ms, worker process + its children'),
        'server': {'command': 'glance-members serve --workers 1',
                   'wsgi': 'gunicorn sync worker, 1 worker, timeout 120 s',
                   'store': 'glance_store filesystem backend, '
                            '<data_dir>/images',
                   'hashing_algorithm': 'sha512 (+ md5 checksum)',
                   'image_size_cap': '1 TiB (default)'},
        'database': 'SQLite (WAL) <data_dir>/glance-members.sqlite, '
                    'embedded default',
        'client': 'http.client on loopback, same machine',
        'machine': {'python': platform.python_version(),
                    'platform': platform.platform(),
                    'cpus': os.cpu_count()},
        'versions': _versions(),
    })
    return result


def _versions():
    return {name: report.version(name)
            for name in ('gunicorn', 'glance_store', 'flask', 'werkzeug')}


def write_markdown(result, path):
    up, down = result['upload'], result['download']
    lines = [
        '# Image data benchmark: %d MiB upload and download' %
        result['size_mib'],
        '',
        'Generated by `python benchmarks/image_data.py` on %s, commit `%s`%s.'
        % (result['date'], result['commit'],
           ' (glance_members/ had uncommitted changes)'
           if result['glance_members_dirty'] else ''),
        '',
        '| | upload (PUT /file, chunked) | download (GET /file) |',
        '|---|---|---|',
        '| time | %.2f s | %.2f s |' % (up['seconds'], down['seconds']),
        '| throughput | %.1f MiB/s | %.1f MiB/s |' % (
            up['mib_per_s'], down['mib_per_s']),
        '| worker peak RSS | %.1f MiB | %.1f MiB |' % (
            up['worker_peak_rss_mib'], down['worker_peak_rss_mib']),
        '| peak RSS over idle | %+.1f MiB | %+.1f MiB |' % (
            up['worker_peak_rss_over_idle_mib'],
            down['worker_peak_rss_over_idle_mib']),
        '| RSS samples | %d | %d |' % (up['samples'], down['samples']),
        '',
        '- worker RSS when idle (after one request): %.1f MiB; VmHWM at the '
        'end: %.1f MiB' % (result['worker_rss_idle_mib'],
                           result['worker_vmhwm_mib']),
        '- state machine (from the database, polled every 50 ms): %s'
        % ' -> '.join(result['state_machine']),
        '- image after upload: size %d, checksum %s, os_hash_algo %s' % (
            result['image_after_upload']['size'],
            result['image_after_upload']['checksum'],
            result['image_after_upload']['os_hash_algo']),
        '- download verified: %s' % down['bytes_verified'],
        '- image delete: %s, images/ afterwards: %s' % (
            result['image_delete_status'],
            result['images_dir_after_delete'] or 'empty'),
        '- server: %s; %s; store: %s; hashing: %s' % (
            result['server']['command'], result['server']['wsgi'],
            result['server']['store'], result['server']['hashing_algorithm']),
        '- database: %s' % result['database'],
        '- client: %s; RSS: %s' % (result['client'], result['rss_sampler']),
        '- machine: %s, %s CPUs, Python %s; %s' % (
            result['machine']['platform'], result['machine']['cpus'],
            result['machine']['python'],
            ', '.join('%s %s' % kv for kv in result['versions'].items())),
        '',
        'Raw numbers: `image-data.json`.',
        '',
    ]
    with open(path, 'w') as f:
        f.write('\n'.join(lines))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--size-mib', type=int, default=2048)
    parser.add_argument('--workdir', default=None,
                        help='where to put the data file and data dir '
                             '(default: the system temp dir)')
    parser.add_argument('--out', default=os.path.join(
        REPO, 'benchmarks', 'results', 'image-data'),
        help='result file path without extension (.json and .md)')
    parser.add_argument('--keep', action='store_true')
    args = parser.parse_args(argv)
    result = run(args)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out + '.json', 'w') as f:
        json.dump(result, f, indent=2)
        f.write('\n')
    write_markdown(result, args.out + '.md')
    print(json.dumps(result, indent=2))


if __name__ == '__main__':
    main()
