"""The API reference builds, warnings as errors, as `tox -e api-ref` does.

CI runs pytest (.ci/run), so this test is how CI builds api-ref/: it
installs api-ref/requirements.txt into a cached virtualenv
(`$GM_CACHE_DIR/venv-api-ref`, else `~/.cache/glance-members/venv-api-ref`,
rebuilt when the requirements change, like the Keystone venv of
tests/integration/stack/keystone.py) and runs the same sphinx-build command
as tox.ini's [testenv:api-ref] into a temporary directory.
"""

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
API_REF = ROOT / 'api-ref'
REQUIREMENTS = API_REF / 'requirements.txt'
VENV_NAME = 'venv-api-ref'
MARKER_FILE = '.gm-installed'
BUILD_TIMEOUT = 600
# A foreign PYTHONPATH or virtualenv must not leak into the build venv.
_SCRUB_ENV = ('PYTHONPATH', 'PYTHONHOME', 'PYTHONSTARTUP', 'VIRTUAL_ENV',
              '__PYVENV_LAUNCHER__')


def log(msg):
    print('[api-ref] %s' % msg, file=sys.stderr, flush=True)


def cache_root():
    root = os.environ.get('GM_CACHE_DIR')
    if root:
        return Path(root).expanduser()
    return Path.home() / '.cache' / 'glance-members'


def venv_marker():
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]
    return 'api-ref requirements-sha256:%s' % digest


def venv_is_current(venv):
    try:
        ok = (venv / MARKER_FILE).read_text() == venv_marker()
    except OSError:
        return False
    return ok and (venv / 'bin' / 'sphinx-build').exists()


def base_python():
    """The machine's python3 (`$GM_PYTHON` overrides)."""
    return (os.environ.get('GM_PYTHON') or shutil.which('python3')
            or sys.executable)


def clean_env():
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB_ENV}
    env.setdefault('PYTHONWARNINGS', 'ignore')
    env['PIP_DISABLE_PIP_VERSION_CHECK'] = '1'
    return env


def _tail(path, lines=30):
    try:
        with open(path, errors='replace') as f:
            return ''.join(f.readlines()[-lines:])
    except OSError:
        return ''


def ensure_venv(root=None):
    """The api-ref venv, built first if missing or stale."""
    root = Path(root) if root else cache_root()
    venv = root / VENV_NAME
    root.mkdir(parents=True, exist_ok=True)
    with open(root / (VENV_NAME + '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if venv_is_current(venv):
            return venv
        t0 = time.monotonic()
        if venv.exists():
            log('rebuilding %s (requirements changed)' % venv)
            shutil.rmtree(venv)
        log('creating %s: pip install -r %s' % (venv, REQUIREMENTS))
        env = clean_env()
        subprocess.run([base_python(), '-m', 'venv', str(venv)], check=True,
                       env=env, stdin=subprocess.DEVNULL)
        pip_log = root / ('pip-%s.log' % VENV_NAME)
        with open(pip_log, 'w') as out:
            cmd = [str(venv / 'bin' / 'python'), '-m', 'pip', 'install',
                   '-r', str(REQUIREMENTS)]
            out.write('$ %s\n' % ' '.join(cmd))
            out.flush()
            rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env,
                                cwd=str(root)).returncode
        if rc or not (venv / 'bin' / 'sphinx-build').exists():
            raise RuntimeError('pip failed (rc %d) building %s; log %s:\n%s'
                               % (rc, venv, pip_log, _tail(pip_log)))
        (venv / MARKER_FILE).write_text(venv_marker())
        log('venv ready in %.0f s' % (time.monotonic() - t0))
    return venv


def tox_command():
    """The sphinx-build command of tox.ini's [testenv:api-ref]."""
    text = (ROOT / 'tox.ini').read_text()
    section = re.search(r'^\[testenv:api-ref\]\n(.*?)(?=^\[|\Z)', text,
                        re.MULTILINE | re.DOTALL)
    assert section, 'tox.ini has no [testenv:api-ref]'
    commands = [line.strip() for line in section.group(1).splitlines()
                if line.strip().startswith('sphinx-build ')]
    assert len(commands) == 1, commands
    return commands[0].split()


def test_tox_env_builds_with_warnings_as_errors():
    assert tox_command() == [
        'sphinx-build', '-W', '-b', 'html', '-d', 'api-ref/build/doctrees',
        'api-ref/source', 'api-ref/build/html']


def test_api_ref_builds_with_warnings_as_errors(tmp_path):
    venv = ensure_venv()
    command = tox_command()
    # tox's command, with its output directories moved under tmp_path.
    command[0] = str(venv / 'bin' / 'sphinx-build')
    command[command.index('api-ref/build/doctrees')] = str(
        tmp_path / 'doctrees')
    command[command.index('api-ref/build/html')] = str(tmp_path / 'html')
    t0 = time.monotonic()
    result = subprocess.run(command, cwd=str(ROOT), env=clean_env(),
                            stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=BUILD_TIMEOUT)
    log('sphinx-build took %.1f s' % (time.monotonic() - t0))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    index = (tmp_path / 'html' / 'index.html').read_text(encoding='utf-8')
    # One operation block per rest_method in the sources.
    sources = ''.join(p.read_text(encoding='utf-8')
                      for p in (API_REF / 'source').glob('*.inc'))
    methods = re.findall(r'^\.\. rest_method::', sources, re.MULTILINE)
    assert index.count('class="operation-grp') == len(methods) > 0
