"""The stock OpenStack clients from PyPI, in a cached virtualenv.

``ensure_client_venv()`` builds ``<cache root>/venv-clients`` once
(python-openstackclient, python-glanceclient and openstacksdk at the versions
below, their dependencies pinned by ``constraints-clients.txt``; the cache
root is ``$GM_CACHE_DIR``, else ``~/.cache/glance-members``, as for the
Keystone venv of ``stack/keystone.py``) and reuses it while its marker file
matches the pins.  A lock file serialises concurrent builders.

:class:`StockClients` runs them as a Keystone user:

- ``openstack(user, *args)`` / ``glance(user, *args)``: the CLIs with that
  user's ``OS_*`` variables (``keystone.env(user)``: password auth, the
  image endpoint comes from the catalog), a private ``HOME``, and a
  TERMINAL (a fresh pty nobody writes to) as standard input, as for a user
  at a shell prompt.  Both CLIs read image data from any standard input that
  is not a terminal: with ``/dev/null`` (``stdin=DEVNULL``) ``image create``
  uploads zero bytes and the image goes ACTIVE with size 0.  A closed fd 0
  (``<&-``) suits glanceclient, but python-openstackclient 10.5.0 then
  crashes in ``image create`` (``'NoneType' object has no attribute
  'isatty'``: fd 0 has been reused by the time it checks ``os.fstat(0)``);
- ``sdk(user, script, region=None)``: a Python script run by the venv's
  interpreter with ``conn = openstack.connect(...)`` already made for that
  user (``region`` sets ``region_name``) and ``emit(obj)`` to print JSON.

Each returns a :class:`Result`, a ``(rc, stdout, stderr)`` tuple.

Fixture (a pytest plugin, registered by tests/conftest.py): ``stock``
(module), the clients against the test Keystone, a home of their own.

``ensure_venv()`` is the generic builder (``tempest_runner.py`` uses it for
tempest).  Only the standard library is used here.
"""

import collections
import json
import os
import pty
import shutil
import subprocess
import tempfile
import textwrap
from pathlib import Path

import pytest

from testbed.stack import keystone as ks_stack
from testbed import venvs

HERE = Path(__file__).resolve().parent
CLIENT_CONSTRAINTS = HERE / "constraints-clients.txt"
CLIENT_PACKAGES = ("python-openstackclient==10.5.0",
                   "python-glanceclient==4.13.0",
                   "openstacksdk==4.22.0")
CLIENT_VENV = "venv-clients"
TIMEOUT = 180

log = ks_stack.log


# ------------------------------------------------------------------ venvs

ensure_venv = venvs.ensure_venv


def ensure_client_venv(cache_root=None):
    return ensure_venv(CLIENT_VENV, CLIENT_PACKAGES, CLIENT_CONSTRAINTS,
                       ("openstack", "glance", "python"), cache_root)


def install_plugin(venv):
    """This checkout's `openstack image share` plugin in ``venv``
    (editable, no dependencies: OSC brings osc-lib), as a user would
    ``pip install glance-members[osc]`` beside python-openstackclient."""
    subprocess.run([str(Path(venv) / "bin" / "pip"), "install", "-q",
                    "--no-deps", "-e", str(HERE.parents[1])], check=True,
                   stdin=subprocess.DEVNULL, capture_output=True,
                   timeout=600)


# ---------------------------------------------------------------- running

class Result(collections.namedtuple("Result", "rc stdout stderr")):
    """``(rc, stdout, stderr)`` of one client run; ``.args`` is the
    command line (for assertion messages)."""

    args = ()

    def __str__(self):
        return ("$ %s\nrc=%s\n--- stdout\n%s\n--- stderr\n%s"
                % (" ".join(self.args), self.rc, self.stdout,
                   self.stderr[-3000:]))

    @property
    def json(self):
        """The last line of stdout parsed as JSON (``sdk()``'s emit)."""
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        return json.loads(lines[-1])


SDK_PRELUDE = """\
import json, sys
import openstack
openstack.enable_logging(debug=False)
conn = openstack.connect(**json.loads(sys.argv[1]))
def emit(obj):
    print(json.dumps(obj, sort_keys=True, default=str), flush=True)
"""


class StockClients:
    """The stock CLIs and openstacksdk as the users of ``keystone``."""

    def __init__(self, keystone, venv=None, home=None):
        self.keystone = keystone
        self.venv = Path(venv) if venv else ensure_client_venv()
        self.home = home or tempfile.mkdtemp(prefix="gm-clients-home-")

    def bin(self, name):
        return str(self.venv / "bin" / name)

    def env(self, user, **extra):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("OS_") and k not in venvs.SCRUB_ENV}
        env.update(self.keystone.env(user))
        env["HOME"] = self.home
        env["PYTHONWARNINGS"] = "ignore"
        env.update(extra)
        return env

    def run(self, user, argv, env=None, timeout=TIMEOUT, stdin="tty"):
        """Run ``argv`` as ``user``; ``stdin`` is "tty" (a pty with no
        input), or anything ``subprocess.run`` takes."""
        tty = None
        if stdin == "tty":
            tty = pty.openpty()
            stdin = tty[1]
        try:
            proc = subprocess.run(
                argv, stdin=stdin, capture_output=True, text=True,
                env=env or self.env(user), timeout=timeout, cwd=self.home,
                start_new_session=True)
        finally:
            if tty is not None:
                os.close(tty[0])
                os.close(tty[1])
        result = Result(proc.returncode, proc.stdout, proc.stderr)
        result.args = ["[%s]" % user] + [str(a) for a in argv]
        return result

    def openstack(self, user, *args, **kwargs):
        return self.run(user, [self.bin("openstack")] + list(args), **kwargs)

    def glance(self, user, *args, **kwargs):
        return self.run(user, [self.bin("glance")] + list(args), **kwargs)

    def sdk(self, user, script, region=None, **kwargs):
        """Run ``script`` with ``conn`` connected as ``user`` (its OS_*
        variables); ``region`` is passed as ``region_name`` and replaces
        OS_REGION_NAME (openstacksdk's "envvars" cloud refuses any region
        but the one OS_REGION_NAME names)."""
        connect = {}
        if region is not None:
            connect["region_name"] = region
            env = self.env(user)
            del env["OS_REGION_NAME"]
            kwargs.setdefault("env", env)
        code = SDK_PRELUDE + textwrap.dedent(script)
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        return self.run(user, [self.bin("python"), "-c", code,
                               json.dumps(connect)], **kwargs)

    def cleanup(self):
        shutil.rmtree(self.home, ignore_errors=True)


# ---------------------------------------------------------------- output

def table(output):
    """Rows of a prettytable as lists of stripped cells (header first)."""
    return [[cell.strip() for cell in line.strip()[1:-1].split("|")]
            for line in output.splitlines() if line.startswith("|")]


@pytest.fixture(scope="module")
def stock(keystone, tmp_path_factory):
    return StockClients(keystone,
                        home=str(tmp_path_factory.mktemp("clients-home")))
