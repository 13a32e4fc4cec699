"""HAProxy (Debian's package) in front of two `glance-members serve` hosts,
with the shipped etc/haproxy/glance-members.cfg as an operator runs it
(only its environment variables set): TLS with a certificate this test
makes, X-Forwarded-* honoured by the service
([oslo_middleware] enable_proxy_headers_parsing), health checks on
/healthcheck.

* the stock `glance` CLI's sharing story over HTTPS through the proxy;
* a slow-client flood through the proxy (1,000 partial heads, 1,000 idle
  keep-alives, 32 trickling uploads): a normal client sees no error and a
  p99 under 100 ms;
* a host drained with its healthcheck_disable file loses no request;
* a host killed with kill -9 loses no acknowledged write.

The two hosts share one SQLite database and one image directory (as two
workers of one host do), so either can answer for any image.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from testbed import personas
from testbed import floods
from tests.support import concurrency as conc
from testbed import processes
from testbed import servers as helpers

HAPROXY = shutil.which('haproxy')
CONFIG = os.path.join(os.path.dirname(__file__), '..', '..', 'etc',
                      'haproxy', 'glance-members.cfg')
GLANCE = shutil.which('glance')
pytestmark = pytest.mark.skipif(
    HAPROXY is None, reason='HAProxy is not installed (apt-get install '
    'haproxy; .ci/run does)')


def make_certificate(directory):
    """A self-signed certificate for 127.0.0.1: (HAProxy's PEM with the
    key, the certificate alone for the clients to trust)."""
    key, cert = os.path.join(directory, 'key.pem'), os.path.join(
        directory, 'cert.pem')
    subprocess.run(
        ['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
         '-keyout', key, '-out', cert, '-days', '1', '-subj',
         '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
        check=True, capture_output=True, timeout=60)
    bundle = os.path.join(directory, 'haproxy.pem')
    with open(bundle, 'wb') as out:
        for path in (cert, key):
            with open(path, 'rb') as f:
                out.write(f.read())
    return bundle, cert


class Proxy:
    """`haproxy -db -f etc/haproxy/glance-members.cfg`, its addresses from
    the environment variables the file documents."""

    def __init__(self, directory, bundle, backends):
        self.port = processes.free_port()
        self.url = 'https://127.0.0.1:%d' % self.port
        self.socket_path = os.path.join(directory, 'haproxy.sock')
        self.log_path = os.path.join(directory, 'haproxy.log')
        self.env = dict(os.environ, GM_PUBLIC_BIND='127.0.0.1:%d' % self.port,
                        GM_TLS_CERT=bundle, GM_STATS_SOCKET=self.socket_path,
                        GM_BACKEND_1='127.0.0.1:%d' % backends[0].port,
                        GM_BACKEND_2='127.0.0.1:%d' % backends[1].port)
        self.process = None

    def start(self):
        floods.raise_fd_limit()
        with open(self.log_path, 'ab') as log:
            self.process = subprocess.Popen(
                [HAPROXY, '-db', '-f', CONFIG], stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, env=self.env,
                start_new_session=True)
        self.wait_states({'gm1': 'UP', 'gm2': 'UP'})
        return self

    def command(self, line):
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(self.socket_path)
            sock.sendall(line.encode() + b'\n')
            chunks = []
            while True:
                data = sock.recv(65536)
                if not data:
                    return b''.join(chunks).decode()
                chunks.append(data)

    def states(self):
        """{'gm1': 'UP' | 'DOWN' | ...} from HAProxy's own view."""
        answer = {}
        for line in self.command('show stat').splitlines():
            fields = line.split(',')
            if len(fields) > 17 and fields[0] == 'glance_members' and \
                    fields[1] in ('gm1', 'gm2'):
                answer[fields[1]] = fields[17].split()[0]
        return answer

    def wait_states(self, wanted, timeout=30):
        deadline = time.monotonic() + timeout
        states = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('haproxy exited: %s' % self.log())
            try:
                states = self.states()
            except OSError:
                states = None
            if states == wanted:
                return
            time.sleep(0.2)
        raise AssertionError('haproxy states %s, wanted %s\n%s' % (
            states, wanted, self.log()))

    def log(self):
        with open(self.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')[-3000:]

    def stop(self):
        process, self.process = self.process, None
        processes.stop_group(process)


@pytest.fixture(scope='module')
def proxied(tmp_path_factory):
    """Two hosts behind the shipped HAProxy config, over TLS."""
    base = tmp_path_factory.mktemp('haproxy')
    bundle, cert = make_certificate(str(base))
    database = base / 'shared.sqlite'
    images = base / 'images'
    images.mkdir()
    sections = ('[glance_store]\nfilesystem_store_datadir = %s\n\n'
                '[oslo_middleware]\nenable_proxy_headers_parsing = true\n'
                % images)
    backends = [conc.ConfServer(base / name, db_url='sqlite:///%s' % database,
                                workers=1, sections=sections)
                for name in ('gm1', 'gm2')]
    proxy = Proxy(str(base), bundle, backends)
    try:
        for backend in backends:
            backend.start()
        proxy.start()
        yield proxy, backends, cert
    finally:
        if proxy.process is not None:
            proxy.stop()
        for backend in backends:
            backend.close()


def api(proxy, cert, who='producer'):
    session = requests.Session()
    # Not REQUESTS_CA_BUNDLE from the environment: it would win over verify.
    session.trust_env = False
    session.verify = cert
    session.headers['X-Auth-Token'] = personas.token(who)
    return session


def create_image(session, proxy, name='via-proxy'):
    r = session.post(proxy.url + '/v2/images', json={
        'name': name, 'disk_format': 'raw', 'container_format': 'bare'},
        timeout=30)
    assert r.status_code == 201, r.text
    return r


def test_links_follow_the_proxy(proxied):
    proxy, _, cert = proxied
    session = api(proxy, cert)
    r = create_image(session, proxy)
    assert r.headers['Location'].startswith(proxy.url + '/v2/images/'), \
        r.headers
    versions = session.get(proxy.url + '/versions', timeout=10).json()
    hrefs = [link['href'] for v in versions['versions']
             for link in v['links']]
    assert hrefs and all(h.startswith(proxy.url + '/') for h in hrefs), hrefs
    # The console's cookies are Secure: the request came over HTTPS.
    page = session.get(proxy.url + '/console/sign-in', timeout=10)
    assert page.status_code == 200
    cookies = page.raw.headers.getlist('Set-Cookie')
    assert cookies and all('; Secure' in c for c in cookies), cookies
    # A client's own X-Forwarded-Proto is not believed by the proxy.
    r = session.get(proxy.url + '/versions', timeout=10,
                    headers={'X-Forwarded-Proto': 'gopher'})
    assert 'gopher' not in r.text


def _glance(proxy, cert, home, who, *args):
    # --os-cacert, as a user passes it (requests would prefer a CA bundle
    # named in the environment).
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')
           and k not in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE')}
    env['HOME'] = home
    result = subprocess.run(
        [GLANCE, '--os-auth-token', personas.token(who), '--os-image-url',
         proxy.url, '--os-cacert', cert] + list(args),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
        timeout=300)
    assert result.returncode == 0, (result.args, result.stdout,
                                    result.stderr)
    return result.stdout


@pytest.mark.skipif(GLANCE is None, reason='python-glanceclient missing')
def test_stock_glance_cli_story_over_https(proxied, tmp_path):
    proxy, _, cert = proxied
    home = str(tmp_path)
    payload = tmp_path / 'disk.raw'
    payload.write_bytes(os.urandom(3 * 1024 * 1024 + 7))
    out = _glance(proxy, cert, home, 'producer', 'image-create', '--name',
                  'shared-over-tls', '--disk-format', 'raw',
                  '--container-format', 'bare', '--file', str(payload))
    image_id = [line.split('|')[2].strip() for line in out.splitlines()
                if line.startswith('| id ')][0]
    consumer = personas.CONSUMER_PROJECT
    _glance(proxy, cert, home, 'producer', 'member-create', image_id,
            consumer)
    assert image_id not in _glance(proxy, cert, home, 'consumer',
                                   'image-list')
    _glance(proxy, cert, home, 'consumer', 'member-update', image_id,
            consumer, 'accepted')
    assert image_id in _glance(proxy, cert, home, 'consumer', 'image-list')
    downloaded = tmp_path / 'downloaded'
    _glance(proxy, cert, home, 'consumer', 'image-download', '--file',
            str(downloaded), image_id)
    assert downloaded.read_bytes() == payload.read_bytes()
    _glance(proxy, cert, home, 'producer', 'member-delete', image_id,
            consumer)
    assert image_id not in _glance(proxy, cert, home, 'consumer',
                                   'image-list')


# TLS handshakes for 2,000 connections take a few seconds of the flood's
# own CPU on a busy 2-core machine: room to open them, then 10 s measured.
FLOOD_S = 24.0
OPEN_S = 10.0


def test_slow_clients_through_the_proxy(proxied):
    proxy, _, cert = proxied
    session = api(proxy, cert)
    image_id = create_image(session, proxy).json()['id']
    r = session.post(proxy.url + '/v2/images/%s/members' % image_id,
                     json={'member': personas.CONSUMER_PROJECT}, timeout=30)
    assert r.status_code == 200, r.text
    path = '/v2/images/%s/members' % image_id
    uploads = [create_image(session, proxy, 'upload-%d' % i).json()['id']
               for i in range(32)]
    flood = subprocess.Popen(
        [sys.executable, '-m', 'testbed.floods', '--port',
         str(proxy.port), '--duration', str(FLOOD_S), '--partial', '1000',
         '--idle', '1000', '--uploads', ','.join(uploads), '--token',
         personas.token('producer'), '--cafile', cert, '--ready-after',
         str(OPEN_S)],
        stdout=subprocess.PIPE, text=True, env=helpers.child_env())
    try:
        assert flood.stdout.readline().strip() == 'ready'
        results = floods.timed_requests(proxy.port, path, 10.0,
                                        personas.token('producer'),
                                        cafile=cert)
        stats = json.loads(flood.stdout.readline())
    finally:
        flood.kill()
        flood.wait(timeout=30)
    assert stats['partial_open'] == 1000 and stats['idle_open'] == 1000, \
        stats
    assert stats['uploads_open'] == 32 and not stats['upload_errors'], stats
    failed = [r for r in results if r[0] != 200]
    assert not failed, failed[:10]
    latencies = sorted(t for _, t in results)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    assert len(results) > 100 and p99 < 0.100, (len(results), p99)


def _client_loop(proxy, cert, stop, outcome):
    """Writes (image creates) and reads through the proxy until `stop`:
    the ids acknowledged with 201, and every failure."""
    session = api(proxy, cert)
    i = 0
    while not stop.is_set():
        i += 1
        try:
            r = session.post(proxy.url + '/v2/images', json={
                'name': 'loop-%d' % i, 'disk_format': 'raw',
                'container_format': 'bare'}, timeout=30)
            if r.status_code == 201:
                outcome['acknowledged'].append(r.json()['id'])
            else:
                outcome['failures'].append(('POST', r.status_code))
            r = session.get(proxy.url + '/v2/images?limit=5', timeout=30)
            if r.status_code != 200:
                outcome['failures'].append(('GET', r.status_code))
        except requests.RequestException as e:
            outcome['failures'].append(('error', repr(e)))


def _run_client(proxy, cert, action):
    stop = threading.Event()
    outcome = {'acknowledged': [], 'failures': []}
    thread = threading.Thread(target=_client_loop,
                              args=(proxy, cert, stop, outcome))
    thread.start()
    try:
        time.sleep(1.0)
        action()
        time.sleep(1.0)
    finally:
        stop.set()
        thread.join(60)
    return outcome


def test_a_drained_host_loses_no_request(proxied):
    proxy, backends, cert = proxied
    flag = os.path.join(backends[0].data_dir, 'healthcheck_disable')

    def drain():
        with open(flag, 'w'):
            pass
        proxy.wait_states({'gm1': 'DOWN', 'gm2': 'UP'})
        time.sleep(1.0)   # requests now go to gm2 only

    try:
        outcome = _run_client(proxy, cert, drain)
    finally:
        os.unlink(flag)
    assert not outcome['failures'], outcome['failures'][:5]
    assert len(outcome['acknowledged']) > 10
    proxy.wait_states({'gm1': 'UP', 'gm2': 'UP'})


def test_a_killed_host_loses_no_acknowledged_write(proxied):
    proxy, backends, cert = proxied
    victim = backends[0]

    def kill():
        os.killpg(victim.process.pid, signal.SIGKILL)
        victim.process.wait(timeout=30)
        proxy.wait_states({'gm1': 'DOWN', 'gm2': 'UP'})
        time.sleep(0.5)

    try:
        outcome = _run_client(proxy, cert, kill)
    finally:
        victim.process = None
        victim.start()
    acknowledged = outcome['acknowledged']
    assert len(acknowledged) > 10, outcome
    # Requests in flight on the killed host may fail (they were never
    # acknowledged); every 201 is there.
    session = api(proxy, cert)
    missing = [image_id for image_id in acknowledged
               if session.get(proxy.url + '/v2/images/' + image_id,
                              timeout=30).status_code != 200]
    assert not missing, (missing, outcome['failures'])
    # At most the requests in flight when it died failed.
    assert len(outcome['failures']) <= 4, outcome['failures']
    proxy.wait_states({'gm1': 'UP', 'gm2': 'UP'})
