"""The API reference builds, warnings as errors, as `tox -e api-ref` does.

CI runs pytest (.ci/run), so this test is how CI builds api-ref/: it
installs api-ref/requirements.txt into a cached virtualenv
(`$GM_CACHE_DIR/venv-api-ref`, else `~/.cache/glance-members/venv-api-ref`,
rebuilt when the requirements change, like the Keystone venv of
testbed/stack/keystone.py) and runs the same sphinx-build command
as tox.ini's [testenv:api-ref] into a temporary directory.
"""

import re
import subprocess
import time
from pathlib import Path

from testbed import venvs

ROOT = Path(__file__).resolve().parents[2]
API_REF = ROOT / 'api-ref'
REQUIREMENTS = API_REF / 'requirements.txt'
VENV_NAME = 'venv-api-ref'
BUILD_TIMEOUT = 600


def ensure_venv():
    return venvs.ensure_venv(VENV_NAME, (), requirements=REQUIREMENTS,
                             executables=('sphinx-build',))


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
    result = subprocess.run(command, cwd=str(ROOT), env=venvs.clean_env(),
                            stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=BUILD_TIMEOUT)
    venvs.log('sphinx-build took %.1f s' % (time.monotonic() - t0))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    index = (tmp_path / 'html' / 'index.html').read_text(encoding='utf-8')
    # One operation block per rest_method in the sources.
    sources = ''.join(p.read_text(encoding='utf-8')
                      for p in (API_REF / 'source').glob('*.inc'))
    methods = re.findall(r'^\.\. rest_method::', sources, re.MULTILINE)
    assert index.count('class="operation-grp') == len(methods) > 0
