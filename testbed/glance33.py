"""A real Glance 33.0.0 API on 127.0.0.1, for the import test.

`ensure_venv()` builds a cached virtualenv (testbed/venvs.py:
PyPI through the machine's pip, pins from
testbed/stack/constraints-glance.txt). `GlanceServer` writes a
glance-api.conf (SQLite database, one filesystem store, keystonemiddleware
against the test Keystone with the service user of testbed/stack/
identities.py), creates the schema with `glance-manage db sync`, and serves
`glance.wsgi.api:application` with gunicorn (one worker with threads) in a
process group of its own, stopped by its own PID. With `transport_url`
(a RabbitMQ node of tests/support/rabbitmq.py) it sends its notifications
as a cloud would (`[oslo_messaging_notifications] driver = messagingv2`,
topic `notifications`).
"""

import subprocess
import time
from pathlib import Path

import requests

from testbed import venvs
from testbed import processes

GLANCE_VERSION = '33.0.0'
VENV_NAME = 'venv-glance-33'
CONSTRAINTS = Path(__file__).resolve().parent / 'stack' / \
    'constraints-glance.txt'
START_TIMEOUT = 120

CONFIG = """\
[DEFAULT]
debug = false
log_file = {workdir}/glance-api.log
use_stderr = false
enabled_backends = local:file
worker_self_reference_url = {url}
image_member_quota = {member_quota}
{transport}

[glance_store]
default_backend = local

[local]
filesystem_store_datadir = {workdir}/images

[os_glance_staging_store]
filesystem_store_datadir = {workdir}/staging

[os_glance_tasks_store]
filesystem_store_datadir = {workdir}/tasks

[database]
connection = sqlite:///{workdir}/glance.db

[paste_deploy]
flavor = keystone
config_file = {workdir}/glance-api-paste.ini

[keystone_authtoken]
www_authenticate_uri = {keystone}
auth_url = {keystone}
auth_type = password
user_domain_name = Default
project_domain_name = Default
project_name = service
username = {service_user}
password = {service_password}
region_name = RegionOne

[oslo_concurrency]
lock_path = {workdir}/locks
{notifications}"""

NOTIFICATIONS = """
[oslo_messaging_notifications]
driver = messagingv2
topics = notifications
"""


def ensure_venv(cache_root=None):
    return venvs.ensure_venv(
        VENV_NAME, ('glance==%s' % GLANCE_VERSION, 'gunicorn'), CONSTRAINTS,
        ('gunicorn', 'glance-manage'), cache_root)


class GlanceServer:
    """Glance's API in `workdir` (config, SQLite database, images, logs)."""

    def __init__(self, workdir, keystone_stack, venv=None,
                 transport_url=None, member_quota=128):
        self.transport_url = transport_url
        # Glance's image_member_quota (a low one makes it refuse a pair).
        self.member_quota = member_quota
        self.workdir = Path(workdir).resolve()
        self.keystone = keystone_stack
        self.venv = Path(venv) if venv else ensure_venv()
        self.port = processes.free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.process = None
        self._log = None

    @property
    def db_path(self):
        return self.workdir / 'glance.db'

    @property
    def image_dir(self):
        return self.workdir / 'images'

    def env(self):
        return venvs.clean_env(OS_GLANCE_CONFIG_DIR=str(self.workdir))

    def configure(self):
        for sub in ('images', 'staging', 'tasks', 'locks'):
            (self.workdir / sub).mkdir(parents=True, exist_ok=True)
        paste = self.venv / 'etc' / 'glance' / 'glance-api-paste.ini'
        (self.workdir / 'glance-api-paste.ini').write_text(
            paste.read_text().replace(
                '/etc/glance/healthcheck_disable',
                str(self.workdir / 'healthcheck_disable')))
        service_user = self.keystone.identities['service_user']
        (self.workdir / 'glance-api.conf').write_text(CONFIG.format(
            workdir=self.workdir, url=self.url,
            keystone=self.keystone.base_url, service_user=service_user,
            member_quota=self.member_quota,
            service_password=self.keystone.password(service_user),
            transport='transport_url = %s' % self.transport_url
            if self.transport_url else '',
            notifications=NOTIFICATIONS if self.transport_url else ''))

    def db_sync(self):
        proc = subprocess.run(
            [str(self.venv / 'bin' / 'glance-manage'), '--config-file',
             str(self.workdir / 'glance-api.conf'), 'db', 'sync'],
            env=self.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, timeout=300)
        if proc.returncode != 0:
            raise RuntimeError('glance-manage db sync failed:\n%s'
                               % proc.stdout[-3000:])

    def start(self, db_sync=True):
        """Configure and serve; `db_sync=False` keeps the database of an
        earlier start (a restart)."""
        self.configure()
        if db_sync:
            self.db_sync()
        self._log = open(self.workdir / 'gunicorn.log', 'ab')
        self.process = subprocess.Popen(
            [str(self.venv / 'bin' / 'gunicorn'), '-k', 'gthread',
             '--threads', '4', '-w', '1', '-b', '127.0.0.1:%d' % self.port,
             '--timeout', '120', '--no-control-socket',
             'glance.wsgi.api:application'],
            cwd=str(self.workdir), env=self.env(), stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(self.url + '/healthcheck',
                                timeout=5).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError('Glance did not start:\n%s' % self.log())

    def log(self):
        text = ''
        for name in ('gunicorn.log', 'glance-api.log'):
            try:
                text += (self.workdir / name).read_text(
                    errors='replace')[-3000:]
            except OSError:
                pass
        return text

    def stop(self):
        process, self.process = self.process, None
        processes.stop_group(process)
        if self._log is not None:
            self._log.close()
            self._log = None
