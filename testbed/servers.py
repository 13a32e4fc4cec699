"""A real `glance-members serve` (gunicorn) in a process group of its own,
on a temp data dir whose token file holds the test personas; the
`gm_server` fixture; the environment of the processes we start.

The server runs the very glance_members package this process imports (its
directory goes first on the child's PYTHONPATH; the benchmarks pass their
snapshot of the checkout instead), with the interpreter of this run.
"""

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

import yaml

from testbed import personas
from testbed import processes

START_TIMEOUT = 60.0


def package_root():
    """The directory glance_members is imported from (imported here, late:
    the benchmarks choose theirs before anything imports it)."""
    import glance_members
    return os.path.dirname(
        os.path.dirname(os.path.abspath(glance_members.__file__)))


def child_env(root=None, **extra):
    """This environment, `root` (default: package_root()) first on
    PYTHONPATH, unbuffered output, and `extra`."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        [root or package_root()] + [p for p in env.get(
            'PYTHONPATH', '').split(os.pathsep) if p])
    env['PYTHONUNBUFFERED'] = '1'
    env.update(extra)
    return env


def venv_executable(name):
    """A console script installed next to this interpreter, or None."""
    path = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(path):
        return path
    return shutil.which(name)


def write_token_file(data_dir, document=None):
    """`tokens.yaml` (mode 0600) in data_dir: `document`, by default the
    test personas' tokens."""
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(data_dir, 'tokens.yaml')
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        yaml.safe_dump(document or personas.token_file_document(), f)
    return path


class Server:
    """A running `glance-members serve` (or `argv`, any HTTP server on
    `port`) in its own process group; stop() always reaps it."""

    name = 'glance-members serve'

    def __init__(self, data_dir, port, log_path, home=None, argv=None,
                 env=None, extra_args=(), any_member_id=False):
        self.data_dir = data_dir
        # gunicorn puts a control socket in $HOME/.gunicorn: one per server.
        self.home = home or data_dir
        self.port = port
        self.url = 'http://127.0.0.1:%d' % port
        self.log_path = log_path
        self._argv = argv
        self._env = env
        self.extra_args = list(extra_args)
        self.any_member_id = any_member_id
        self.process = None
        self._log = None

    def argv(self):
        if self._argv is not None:
            return self._argv
        return [sys.executable, '-m', 'glance_members.cmd.serve', 'serve',
                '--data-dir', self.data_dir, '--host', '127.0.0.1',
                '--port', str(self.port)] + self.extra_args

    def env(self):
        if self._env:
            return self._env
        extra = {}
        if self.any_member_id:
            # Glance's rule, any member id (tests that share with ids no
            # token names), where the static token file would turn the
            # recipient check on. oslo.config reads OS_<GROUP>__<OPTION>,
            # over any config file.
            extra['OS_SHARING__VERIFY_MEMBERS'] = 'false'
        return child_env(HOME=self.home, **extra)

    def start(self, timeout=START_TIMEOUT):
        self._log = open(self.log_path, 'ab')
        self.process = subprocess.Popen(
            self.argv(), stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, cwd=self.data_dir, env=self.env(),
            start_new_session=True)
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('%s exited with %s:\n%s' % (
                    self.name, self.process.returncode, self.log()))
            try:
                with urllib.request.urlopen(self.url + '/', timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answered (GET / is a 300)
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError('%s did not answer GET / within %ss:\n%s'
                           % (self.name, timeout, self.log()))

    def log(self):
        try:
            with open(self.log_path, 'rb') as f:
                return f.read().decode('utf-8', 'replace')[-5000:]
        except OSError:
            return ''

    def stop(self, timeout=15):
        """SIGTERM the server's process group (gunicorn's arbiter and its
        workers, all started by us), SIGKILL if it lingers."""
        process, self.process = self.process, None
        processes.stop_group(process, timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
