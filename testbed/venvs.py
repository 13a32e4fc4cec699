"""Cached virtualenvs for the real components the tests run (Keystone, the
stock clients, tempest, the api-ref build): one builder for all of them.

A venv lives at `$GM_CACHE_DIR/<name>` (else `~/.cache/glance-members/`),
is built once with the machine's python3 and pip from PyPI, and is reused
while its marker (the packages and the hash of their pins) still matches;
a lock file serialises concurrent builders.
"""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

MARKER_FILE = '.gm-installed'
# Variables of the caller's environment that must not reach a venv's
# programs: a foreign PYTHONPATH would mix two environments, OS_* would
# steer the clients, GUNICORN_CMD_ARGS would add server options.
SCRUB_ENV = ('PYTHONPATH', 'PYTHONHOME', 'PYTHONSTARTUP', 'VIRTUAL_ENV',
             'GUNICORN_CMD_ARGS', '__PYVENV_LAUNCHER__')


def log(msg):
    print('[venvs] %s' % msg, file=sys.stderr, flush=True)


def default_cache_root():
    """`$GM_CACHE_DIR`, else `~/.cache/glance-members`."""
    root = os.environ.get('GM_CACHE_DIR')
    if root:
        return Path(root).expanduser()
    return Path.home() / '.cache' / 'glance-members'


def base_python():
    """The machine's python3 (`$GM_PYTHON` overrides)."""
    return (os.environ.get('GM_PYTHON') or shutil.which('python3')
            or sys.executable)


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in SCRUB_ENV and not k.startswith('OS_')}
    env.setdefault('PYTHONWARNINGS', 'ignore')
    env.update(extra)
    return env


def tail(path, lines=30):
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-lines:])
    except OSError:
        return ''


def marker(packages, pins):
    """What the marker file of an up-to-date venv holds: the packages and
    the hash of every file that pins them."""
    digest = hashlib.sha256()
    for path in pins:
        digest.update(Path(path).read_bytes())
    return '%s pins-sha256:%s' % (' '.join(packages),
                                  digest.hexdigest()[:16])


def ensure_venv(name, packages, constraints=None, executables=(),
                cache_root=None, requirements=None):
    """`<cache root>/<name>`, a venv with `packages` (and the requirements
    file, if any) installed under `constraints`; rebuilt when its marker
    does not match or one of `executables` is missing."""
    root = Path(cache_root) if cache_root else default_cache_root()
    venv = root / name
    root.mkdir(parents=True, exist_ok=True)
    pins = [p for p in (constraints, requirements) if p is not None]
    wanted = marker(packages, pins)

    def current():
        try:
            if (venv / MARKER_FILE).read_text() != wanted:
                return False
        except OSError:
            return False
        return all((venv / 'bin' / exe).exists() for exe in executables)

    with open(root / (name + '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if current():
            return venv
        t0 = time.monotonic()
        if venv.exists():
            log('rebuilding %s (its marker does not match the pins)' % venv)
            shutil.rmtree(venv)
        python = base_python()
        log('creating %s with %s (first time: a few minutes)'
            % (venv, python))
        env = clean_env()
        subprocess.run([python, '-m', 'venv', str(venv)], check=True,
                       env=env, stdin=subprocess.DEVNULL)
        pip = [str(venv / 'bin' / 'python'), '-m', 'pip']
        install = pip + ['install'] + list(packages)
        if constraints is not None:
            install += ['-c', str(constraints)]
        if requirements is not None:
            install += ['-r', str(requirements)]
        pip_log = root / ('pip-%s.log' % name)
        with open(pip_log, 'w') as out:
            for cmd in (pip + ['install', '--upgrade', 'pip'], install):
                out.write('$ %s\n' % ' '.join(cmd))
                out.flush()
                rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, env=env,
                                    cwd=str(root)).returncode
                if rc:
                    raise RuntimeError('pip failed (rc %d) building %s; log '
                                       '%s:\n%s' % (rc, venv, pip_log,
                                                    tail(pip_log)))
        missing = [exe for exe in executables
                   if not (venv / 'bin' / exe).exists()]
        if missing:
            raise RuntimeError('%s has no %s after pip install'
                               % (venv, ', '.join(missing)))
        (venv / MARKER_FILE).write_text(wanted)
        log('%s ready in %.0f s' % (venv, time.monotonic() - t0))
    return venv
