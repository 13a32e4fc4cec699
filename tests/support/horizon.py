"""A real Horizon 27 on 127.0.0.1 with the plugin in horizon_plugin/.

`ensure_venv()` builds a cached virtualenv (testbed/venvs.py;
pins in testbed/stack/constraints-horizon.txt), then does once
per venv what an operator does once per install: `collectstatic` and
`compress` (Horizon's offline-compressed CSS and JS). The plugin is not
installed into the venv: Horizon finds it through PYTHONPATH, so the tests
always run the working copy, and the venv stays a stock Horizon.

The operator's two other steps are done on every start, since they are
plain files: a local_settings.py (which reads the test Keystone's URL and
region from the environment) and the plugin's `enabled/` files, both in
the venv's openstack_dashboard/local/.

`horizon_servers` (session): a real Glance 33 and Horizon; `horizon_stack`
(module) lists that Glance in Keystone's catalog as the image endpoint of a
region of its own (REGION: the other suites' RegionOne endpoint is
untouched) while the module's tests run. Horizon signs in
through `localhost` rather than the catalog's 127.0.0.1: it takes the
services region of the identity endpoint it signed in through, when the
catalog lists that URL, else DEFAULT_SERVICE_REGIONS (here REGION).
Django's `runserver --insecure` serves it (threads, and the static files a
production install would leave to Apache).
"""

import fcntl
import hashlib
import os
import subprocess
import time
from pathlib import Path

import pytest
import requests

from testbed import venvs
from testbed.stack import identities
from testbed import glance33
from testbed import processes

HORIZON_VERSION = '27.0.0'
VENV_NAME = 'venv-horizon-27'
REPO = Path(__file__).resolve().parent.parent.parent
PLUGIN = REPO / 'horizon_plugin'
ENABLED = PLUGIN / 'gm_dashboard' / 'enabled'
CONSTRAINTS = REPO / 'testbed' / 'stack' / 'constraints-horizon.txt'
REGION = 'HorizonGlance'
START_TIMEOUT = 120
STATIC_MARKER = '.gm-static'

LOCAL_SETTINGS = """\
# Written by glance-members' tests/support/horizon.py: a test Horizon.
import os

DEBUG = False
ALLOWED_HOSTS = ['127.0.0.1', 'localhost', 'testserver']
SECRET_KEY = os.environ.get('GM_HORIZON_SECRET_KEY', 'gm-tests-only')
OPENSTACK_KEYSTONE_URL = os.environ.get('GM_HORIZON_KEYSTONE_URL',
                                        'http://127.0.0.1:5000/v3')
# The region whose image endpoint Horizon uses.
if os.environ.get('GM_HORIZON_REGION'):
    DEFAULT_SERVICE_REGIONS = {'*': os.environ['GM_HORIZON_REGION']}
COMPRESS_OFFLINE = True
CACHES = {'default': {
    'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}}
LOGGING = {
    'version': 1, 'disable_existing_loggers': False,
    'handlers': {'console': {'class': 'logging.StreamHandler'}},
    'root': {'handlers': ['console'], 'level': 'WARNING'},
}
"""


def dashboard_dir(venv):
    found = list(Path(venv).glob(
        'lib/python3*/site-packages/openstack_dashboard'))
    if not found:
        raise RuntimeError('%s has no openstack_dashboard' % venv)
    return found[0]


def env(venv, keystone_url='', region='', **extra):
    """The environment of every Horizon process: Horizon's settings, the
    working copy's plugin on the path."""
    return venvs.clean_env(
        DJANGO_SETTINGS_MODULE='openstack_dashboard.settings',
        PYTHONPATH=str(PLUGIN), GM_HORIZON_KEYSTONE_URL=keystone_url,
        GM_HORIZON_REGION=region, PATH=str(Path(venv) / 'bin') + os.pathsep +
        os.environ.get('PATH', ''), **extra)


def _write_if_changed(path, text):
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def configure(venv):
    """local_settings.py and the plugin's enabled files, as an operator
    installs them; a digest of both (the static files depend on them)."""
    local = dashboard_dir(venv) / 'local'
    _write_if_changed(local / 'local_settings.py', LOCAL_SETTINGS)
    digest = hashlib.sha256(LOCAL_SETTINGS.encode())
    for source in sorted(ENABLED.glob('_*.py')):
        _write_if_changed(local / 'enabled' / source.name,
                          source.read_text())
        digest.update(source.read_bytes())
    return digest.hexdigest()[:16]


def ensure_venv(cache_root=None):
    """The Horizon venv, configured, with its static files compressed."""
    venv = venvs.ensure_venv(
        VENV_NAME, ('horizon==%s' % HORIZON_VERSION,), CONSTRAINTS,
        ('django-admin',), cache_root)
    with open(Path(str(venv) + '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        wanted = configure(venv)
        marker = venv / STATIC_MARKER
        if not marker.exists() or marker.read_text() != wanted:
            t0 = time.monotonic()
            for command in (['collectstatic', '--noinput', '-v0'],
                            ['compress', '--force', '-v0']):
                proc = subprocess.run(
                    [str(venv / 'bin' / 'django-admin')] + command,
                    env=env(venv), stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                    text=True, timeout=600)
                if proc.returncode:
                    raise RuntimeError('django-admin %s failed:\n%s'
                                       % (command[0], proc.stdout[-3000:]))
            marker.write_text(wanted)
            venvs.log('Horizon static files ready in %.0f s'
                      % (time.monotonic() - t0))
    return venv


class HorizonServer:
    """Horizon on a free port of 127.0.0.1, logging into `workdir`."""

    def __init__(self, workdir, keystone_url, region, venv=None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.venv = Path(venv) if venv else ensure_venv()
        # Not the catalog's URL: see the module's docstring.
        self.keystone_url = keystone_url.replace('//127.0.0.1:',
                                                 '//localhost:')
        self.region = region
        self.port = processes.free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        self.process = None
        self._log = None

    def env(self):
        return env(self.venv, self.keystone_url, self.region)

    def start(self):
        self._log = open(self.workdir / 'horizon.log', 'ab')
        self.process = subprocess.Popen(
            [str(self.venv / 'bin' / 'django-admin'), 'runserver',
             '--insecure', '--noreload', '127.0.0.1:%d' % self.port],
            cwd=str(self.workdir), env=self.env(), stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(self.url + '/auth/login/',
                                timeout=10).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError('Horizon did not start:\n%s' % self.log())

    def log(self):
        try:
            return (self.workdir / 'horizon.log').read_text(
                errors='replace')[-5000:]
        except OSError:
            return ''

    def stop(self):
        process, self.process = self.process, None
        processes.stop_group(process)
        if self._log is not None:
            self._log.close()
            self._log = None


class HorizonStack:
    """What `horizon_stack` yields: .horizon (HorizonServer), .glance
    (glance33.GlanceServer), .keystone (the session's KeystoneStack)."""

    def __init__(self, horizon, glance, keystone):
        self.horizon = horizon
        self.glance = glance
        self.keystone = keystone
        self.url = horizon.url

    def glance_session(self, user):
        """A requests.Session on Glance's API as `user` (set-up calls)."""
        session = requests.Session()
        session.headers['X-Auth-Token'] = str(self.keystone.token(user))
        return session

    def project_id(self, user):
        return self.keystone.token(user).project_id


@pytest.fixture(scope='session')
def horizon_servers(keystone, tmp_path_factory):
    """A real Glance 33 and a real Horizon 27 with the plugin, one of each
    per test session (HorizonStack; the catalog does not list the Glance
    yet: see horizon_stack)."""
    base = tmp_path_factory.mktemp('horizon')
    venv = ensure_venv()
    glance = glance33.GlanceServer(base / 'glance', keystone,
                                   glance33.ensure_venv())
    glance.start()
    horizon = None
    try:
        horizon = HorizonServer(base / 'horizon', keystone.url, REGION,
                                venv).start()
        yield HorizonStack(horizon, glance, keystone)
    finally:
        if horizon is not None:
            horizon.stop()
        glance.stop()


@pytest.fixture(scope='module')
def horizon_stack(horizon_servers):
    """The session's Horizon and Glance, the Glance listed in the catalog
    as the image endpoint of REGION for the module's tests only: the
    console's suites count every region of the catalog, and must not find
    this one (nor the shares these tests leave in it)."""
    keystone = horizon_servers.keystone
    registered = keystone.register_image_endpoint(
        horizon_servers.glance.url, REGION)
    try:
        yield horizon_servers
    finally:
        admin = identities.KeystoneAdmin(keystone.admin_token())
        try:
            for endpoint_id in registered['endpoints'].values():
                admin.call('DELETE', '/endpoints/' + endpoint_id,
                           expect=(204, 404))
        finally:
            admin.close()
