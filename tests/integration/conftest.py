"""Shared helpers for the integration tests: a free port, and a real
`glance-members serve` process (gunicorn) on a temp data dir whose token
file holds the test personas.

The server runs the very glance_members package this test process imports
(its directory goes first on the child's PYTHONPATH), with the interpreter
of this test run.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest
import yaml

import glance_members
from tests import personas

START_TIMEOUT = 60.0


def free_port():
    """A TCP port nothing listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def venv_executable(name):
    """A console script installed next to this interpreter, or None."""
    path = os.path.join(os.path.dirname(sys.executable), name)
    if os.path.exists(path):
        return path
    return shutil.which(name)


def write_token_file(data_dir):
    os.makedirs(data_dir, exist_ok=True)
    path = os.path.join(data_dir, 'tokens.yaml')
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        yaml.safe_dump(personas.token_file_document(), f)
    return path


def child_env(**extra):
    env = dict(os.environ)
    package_root = os.path.dirname(
        os.path.dirname(os.path.abspath(glance_members.__file__)))
    env['PYTHONPATH'] = os.pathsep.join(
        [package_root] + [p for p in env.get('PYTHONPATH', '').split(
            os.pathsep) if p])
    env['PYTHONUNBUFFERED'] = '1'
    env.update(extra)
    return env


class Server:
    """A running `glance-members serve`; stop() always reaps it."""

    def __init__(self, data_dir, port, log_path, home=None):
        self.data_dir = data_dir
        # gunicorn puts a control socket in $HOME/.gunicorn: one per server.
        self.home = home or data_dir
        self.port = port
        self.url = 'http://127.0.0.1:%d' % port
        self.log_path = log_path
        self.process = None

    def start(self):
        self._log = open(self.log_path, 'wb')
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'glance_members.cmd.serve', 'serve',
             '--data-dir', self.data_dir, '--host', '127.0.0.1',
             '--port', str(self.port)],
            stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, cwd=self.data_dir,
            env=child_env(HOME=self.home),
            start_new_session=True)
        self.wait_ready()
        return self

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError('glance-members serve exited with %s:\n%s'
                                   % (self.process.returncode, self.log()))
            try:
                with urllib.request.urlopen(self.url + '/', timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answered (GET / is a 300)
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError('glance-members serve did not answer GET / '
                           'within %ss:\n%s' % (START_TIMEOUT, self.log()))

    def log(self):
        try:
            with open(self.log_path, 'rb') as f:
                return f.read().decode('utf-8', 'replace')[-5000:]
        except OSError:
            return ''

    def stop(self):
        """SIGTERM the server's process group (gunicorn's arbiter and its
        workers, all started by us), SIGKILL if it lingers."""
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                process.wait(timeout=15)
        if getattr(self, '_log', None) is not None:
            self._log.close()
            self._log = None


@pytest.fixture
def gm_server(tmp_path):
    """A started server on a free port, the personas' tokens pre-written;
    stopped at teardown whatever happened."""
    data_dir = str(tmp_path / 'data')
    write_token_file(data_dir)
    # Short: gunicorn's control socket lives in $HOME/.gunicorn and a unix
    # socket path may not exceed ~107 bytes.
    home = tempfile.mkdtemp(prefix='gm-home-')
    server = Server(data_dir, free_port(), str(tmp_path / 'server.log'),
                    home=home)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
