"""Keystone 30.0.0 from a cached virtualenv, served by gunicorn on 127.0.0.1.

``ensure_venv()`` builds the virtualenv once (PyPI through the machine's
ordinary pip, pins from ``constraints-keystone.txt``) and reuses it while its
marker file matches the pins.  ``KeystoneServer`` writes a keystone.conf into
a work directory (SQLite, fernet/credential/receipt key repositories, the
in-process dict cache, log file), runs the ``keystone-manage`` set-up
commands and serves ``keystone.wsgi.api:application`` with gunicorn: ONE
worker process with threads, because Keystone invalidates its in-process
cache only within its own process.

Only the standard library and ``requests`` are used here.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from testbed import processes
from testbed import venvs

import requests

KEYSTONE_VERSION = "30.0.0"
HOST = "127.0.0.1"
REGION = "RegionOne"
VENV_NAME = "venv-keystone-30"
CONSTRAINTS = Path(__file__).resolve().with_name("constraints-keystone.txt")
# Keystone 30 ships no keystone-wsgi-public script: serve the module.
WSGI_APP = "keystone.wsgi.api:application"
THREADS = 8
START_TIMEOUT = 120
STOP_TIMEOUT = 15

ADMIN_USER = "admin"
ADMIN_PASSWORD = "admin"
ADMIN_PROJECT = "admin"
ADMIN_ROLE = "admin"

# gunicorn config file (-c) written next to keystone.conf.
GUNICORN_HOOKS = """\
# Written by testbed/stack/keystone.py: gunicorn server hooks.
import sys


def post_fork(server, worker):
    # Importing keystone.wsgi.api runs oslo.config's CONF() on sys.argv,
    # which here holds gunicorn's own options: oslo.config rejects them, the
    # worker exits with code 2 and gunicorn respawns it forever. The worker
    # does not need them (gunicorn parsed them in the master): drop them.
    del sys.argv[1:]
"""


def log(msg):
    print("[stack] %s" % msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ venv

default_cache_root = venvs.default_cache_root
base_python = venvs.base_python
_clean_env = venvs.clean_env
_tail = venvs.tail


def venv_path(cache_root=None):
    root = Path(cache_root) if cache_root else default_cache_root()
    return root / VENV_NAME


def ensure_venv(cache_root=None):
    """The Keystone venv (built first if needed; see testbed.venvs),
    checked to serve keystone.wsgi.api with gunicorn."""
    return venvs.ensure_venv(
        VENV_NAME, ('keystone==%s' % KEYSTONE_VERSION, 'gunicorn'),
        CONSTRAINTS, ('gunicorn', 'keystone-manage'), cache_root)


# ---------------------------------------------------------------- server

def port_in_use(port, host=HOST):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex((host, int(port))) == 0


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return [a.decode(errors="replace")
                    for a in f.read().split(b"\0") if a]
    except OSError:
        return []


class KeystoneServer:
    """Keystone in ``workdir`` (config, SQLite db, keys, logs, pid file)."""

    def __init__(self, workdir, port=5000, venv=None, host=HOST):
        self.workdir = Path(workdir).resolve()
        self.port = int(port) if port is not None else None
        self.venv = Path(venv) if venv else None
        self.host = host
        self.timings = {}
        self._proc = None

    @classmethod
    def from_workdir(cls, workdir):
        """The server recorded in ``workdir/stack.json`` (port, venv)."""
        workdir = Path(workdir).resolve()
        try:
            state = json.loads((workdir / "stack.json").read_text())
        except (OSError, ValueError):
            state = {}
        return cls(workdir, state.get("port"), state.get("venv"),
                   state.get("host", HOST))

    # paths and URLs
    @property
    def url(self):
        return "http://%s:%s" % (self.host, self.port)

    @property
    def auth_url(self):
        return self.url + "/v3"

    conf_path = property(lambda self: self.workdir / "keystone.conf")
    pid_path = property(lambda self: self.workdir / "keystone.pid")
    state_path = property(lambda self: self.workdir / "stack.json")
    log_path = property(lambda self: self.workdir / "keystone.log")
    server_log = property(lambda self: self.workdir / "gunicorn.log")
    access_log = property(lambda self: self.workdir / "gunicorn-access.log")
    manage_log = property(lambda self: self.workdir / "keystone-manage.log")

    def _keys(self, name):
        return self.workdir / name

    # config
    def write_config(self):
        self.workdir.mkdir(parents=True, exist_ok=True)
        for name in ("fernet-keys", "credential-keys", "receipt-keys"):
            self._keys(name).mkdir(mode=0o700, exist_ok=True)
        conf = """\
# Written by testbed/stack/keystone.py; rewritten on every start.
[DEFAULT]
debug = false
log_file = {log}
use_stderr = false

[database]
connection = sqlite:///{db}

[identity]
# Test-only: the lowest bcrypt cost, so password logins stay cheap.
password_hash_rounds = 4

[token]
provider = fernet

[fernet_tokens]
key_repository = {fernet}

[fernet_receipts]
key_repository = {receipt}

[credential]
key_repository = {credential}

# Without a cache a token validation costs ~300 SQL queries (~0.5 s on
# SQLite). The dict cache is per process and Keystone invalidates it only in
# its own process: serve with ONE worker process (threads are fine).
[cache]
enabled = true
backend = oslo_cache.dict
""".format(log=self.log_path, db=self.workdir / "keystone.db",
           fernet=self._keys("fernet-keys"),
           receipt=self._keys("receipt-keys"),
           credential=self._keys("credential-keys"))
        self.conf_path.write_text(conf)

    def _manage_cmd(self, *args):
        return [str(self.venv / "bin" / "keystone-manage"),
                "--config-file", str(self.conf_path)] + list(args)

    def _run_manage(self, cmds):
        """Run keystone-manage commands concurrently; raise if any fails."""
        with open(self.manage_log, "a") as out:
            procs = []
            for args in cmds:
                out.write("$ keystone-manage %s\n" % " ".join(args))
                out.flush()
                procs.append((args, subprocess.Popen(
                    self._manage_cmd(*args), stdout=out,
                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    cwd=str(self.workdir), env=_clean_env())))
            failed = [(a, p.wait()) for a, p in procs]
        failed = [(a, rc) for a, rc in failed if rc]
        if failed:
            raise RuntimeError(
                "keystone-manage %s failed (rc %d); see %s and %s:\n%s"
                % (failed[0][0][0], failed[0][1], self.manage_log,
                   self.log_path, _tail(self.manage_log)))

    def setup_database(self):
        """db_sync, key repositories (if empty) and bootstrap; idempotent."""
        user = _user_and_group()
        cmds = [("db_sync",)]
        # No receipt_setup beside fernet_setup: in Keystone 30 fernet_setup
        # also creates the receipt keys, and two processes writing
        # receipt-keys/0 at once race (seen: FileNotFoundError on 0.tmp).
        for name, cmd in (("fernet-keys", "fernet_setup"),
                          ("credential-keys", "credential_setup")):
            if not any(self._keys(name).iterdir()):
                cmds.append((cmd, "--keystone-user", user[0],
                             "--keystone-group", user[1]))
        self._run_manage(cmds)
        self._run_manage([(
            "bootstrap",
            "--bootstrap-username", ADMIN_USER,
            "--bootstrap-password", ADMIN_PASSWORD,
            "--bootstrap-project-name", ADMIN_PROJECT,
            "--bootstrap-role-name", ADMIN_ROLE,
            "--bootstrap-service-name", "keystone",
            "--bootstrap-region-id", REGION,
            "--bootstrap-admin-url", self.auth_url,
            "--bootstrap-internal-url", self.auth_url,
            "--bootstrap-public-url", self.auth_url)])

    # process
    hooks_path = property(lambda self: self.workdir / "gunicorn_hooks.py")

    def write_hooks(self):
        self.hooks_path.write_text(GUNICORN_HOOKS)

    def server_cmd(self):
        return [str(self.venv / "bin" / "gunicorn"),
                "-c", str(self.hooks_path),
                "-k", "gthread", "--threads", str(THREADS), "-w", "1",
                "-b", "%s:%d" % (self.host, self.port),
                "--chdir", str(self.workdir),
                "--timeout", "120", "--graceful-timeout", "5",
                # else every gunicorn of this user shares ~/.gunicorn/*.ctl
                "--no-control-socket",
                "--access-logfile", str(self.access_log),
                "--error-logfile", str(self.server_log),
                WSGI_APP]

    def _is_ours(self, pid):
        """Does ``pid`` run our gunicorn for this work directory?"""
        argv = _cmdline(pid)
        if WSGI_APP not in argv or not any(
                a.endswith("/gunicorn") for a in argv):
            return False
        for i, a in enumerate(argv[:-1]):
            if a == "--chdir" and argv[i + 1] == str(self.workdir):
                return True
        return False

    def recorded_pid(self):
        try:
            return int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            return None

    def pid(self):
        """The recorded gunicorn master pid, if alive and ours."""
        pid = self.recorded_pid()
        if pid and self._is_ours(pid) and processes.group_members(pid):
            return pid
        return None

    def running(self):
        return self.pid() is not None

    def answers(self, timeout=5):
        try:
            r = requests.get(self.auth_url, timeout=timeout)
        except requests.RequestException:
            return False
        return r.status_code == 200

    def start(self, timeout=START_TIMEOUT):
        """Configure, set up the database and serve; no-op if running."""
        if self.running():
            log("keystone already running (pid %d) at %s"
                % (self.pid(), self.auth_url))
            return self
        if self.port is None:
            raise ValueError("no port given and none recorded in %s"
                             % self.state_path)
        if port_in_use(self.port, self.host):
            raise RuntimeError(
                "%s:%d is in use by a process this tooling did not start"
                % (self.host, self.port))
        if self.venv is None:
            self.venv = ensure_venv()
        t0 = time.monotonic()
        self.write_config()
        self.write_hooks()
        self.setup_database()
        t1 = time.monotonic()
        self.timings["keystone_manage"] = t1 - t0
        log_start = (self.server_log.stat().st_size
                     if self.server_log.exists() else 0)
        with open(self.server_log, "a") as out:
            self._proc = subprocess.Popen(
                self.server_cmd(), cwd=str(self.workdir),
                env=_clean_env(OS_KEYSTONE_CONFIG_DIR=str(self.workdir)),
                stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT,
                # own session and process group (pgid == pid) so stop() can
                # signal the master and its worker together, nothing else.
                start_new_session=True)
        self.pid_path.write_text("%d\n" % self._proc.pid)
        self.state_path.write_text(json.dumps({
            "host": self.host, "port": self.port, "pid": self._proc.pid,
            "venv": str(self.venv), "auth_url": self.auth_url,
            "started_at": time.time()}, indent=2) + "\n")
        deadline = time.monotonic() + timeout
        while True:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    "gunicorn exited (rc %s) during start-up; %s:\n%s\n%s:\n%s"
                    % (self._proc.returncode, self.server_log,
                       _tail(self.server_log), self.log_path,
                       _tail(self.log_path)))
            if self.answers():
                break
            if _worker_failed(self.server_log, log_start):
                # gunicorn respawns a failing worker forever: stop it
                self.stop()
                raise RuntimeError(
                    "keystone's gunicorn worker failed to start; %s:\n%s"
                    "\n%s:\n%s" % (self.server_log, _tail(self.server_log),
                                   self.log_path, _tail(self.log_path)))
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    "keystone did not answer at %s within %d s; %s:\n%s"
                    % (self.auth_url, timeout, self.server_log,
                       _tail(self.server_log)))
            time.sleep(0.25)
        self.timings["server_start"] = time.monotonic() - t1
        log("keystone up at %s (pid %d; manage %.1f s, serve %.1f s)"
            % (self.auth_url, self._proc.pid, self.timings["keystone_manage"],
               self.timings["server_start"]))
        return self

    def _reap(self):
        if self._proc is not None:
            self._proc.poll()

    def stop(self, timeout=STOP_TIMEOUT):
        """TERM the recorded process group; KILL it after ``timeout`` s.

        Signals nothing unless the recorded pid's command line is our
        gunicorn serving Keystone from this work directory.
        """
        pid = self.recorded_pid()
        if pid is None:
            log("keystone not running (no pid file in %s)" % self.workdir)
            return False
        if not self._is_ours(pid):
            log("pid %d is not our keystone (stale pid file); not signalling"
                % pid)
            self.pid_path.unlink(missing_ok=True)
            return False
        try:
            pgid = os.getpgid(pid)
        except ProcessLookupError:
            self.pid_path.unlink(missing_ok=True)
            return False
        if pgid != pid:
            # not the group leader we started: signal only that process
            log("pid %d is not a process group leader; signalling it alone"
                % pid)
            os.kill(pid, signal.SIGTERM)
            members = lambda: [pid] if _cmdline(pid) else []  # noqa: E731
        else:
            log("stopping keystone (gunicorn process group %d)" % pgid)
            os.killpg(pgid, signal.SIGTERM)
            members = lambda: processes.group_members(pgid)  # noqa: E731
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._reap()
            if not members():
                break
            time.sleep(0.2)
        else:
            left = members()
            if left:
                log("still running after %d s (%s); sending KILL"
                    % (timeout, left))
                try:
                    if pgid == pid:
                        os.killpg(pgid, signal.SIGKILL)
                    else:
                        os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                for _ in range(50):
                    self._reap()
                    if not members():
                        break
                    time.sleep(0.1)
        self._reap()
        self.pid_path.unlink(missing_ok=True)
        return True


def _worker_failed(path, offset):
    try:
        with open(path, errors="replace") as f:
            f.seek(offset)
            text = f.read()
    except OSError:
        return False
    return "exited with code" in text or "Worker failed to boot" in text


def _user_and_group():
    import grp
    import pwd
    return (pwd.getpwuid(os.getuid()).pw_name,
            grp.getgrgid(os.getgid()).gr_name)
