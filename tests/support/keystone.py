"""pytest fixture: a real Keystone 30 on 127.0.0.1 for the whole session.

A pytest plugin (tests/conftest.py registers it): any test may ask for it.

``keystone`` brings Keystone up once per session (in a pytest tmp dir, on a
free port; the venv is built on first use and cached, see
``testbed/stack/keystone.py``) and stops it at the end.  It yields
a :class:`KeystoneStack`:

- ``.url``: the identity v3 URL (``http://127.0.0.1:PORT/v3``, what
  OS_AUTH_URL and keystoneauth take); ``.base_url`` is without ``/v3``
- ``.identities``: ids and credentials (see ``stack/identities.py``)
- ``.admin_token()``, ``.token(user, project=None)``: fresh
  :class:`~testbed.stack.identities.Token` objects (``str``
  subclasses carrying ``.body``, ``.roles``, ``.project_id``, ``.catalog``)
- ``.register_image_endpoint(url, region)``

Set ``GM_SKIP_KEYSTONE=1`` to skip the tests that need it.
"""

import os
import threading

import pytest

from testbed import processes
from testbed.keystone import KeystoneStack
from testbed.keystone import issue_token  # noqa: F401 - for the tests
from testbed.stack import control

_lock = threading.Lock()
_shared = {"stack": None, "users": 0}


def _acquire(tmp_path_factory):
    with _lock:
        if _shared["stack"] is None:
            workdir = tmp_path_factory.mktemp("keystone")
            try:
                server, ids, info = control.up(workdir, processes.free_port())
            except Exception as exc:
                pytest.fail("could not bring the test Keystone up: %s" % exc,
                            pytrace=False)
            _shared["stack"] = KeystoneStack(server, ids, info)
        _shared["users"] += 1
        return _shared["stack"]


def _release():
    with _lock:
        _shared["users"] -= 1
        if _shared["users"] == 0 and _shared["stack"] is not None:
            stack, _shared["stack"] = _shared["stack"], None
            stack.server.stop()


@pytest.fixture(scope="session")
def keystone(tmp_path_factory):
    """A real Keystone 30 on 127.0.0.1 with the test identities."""
    if os.environ.get("GM_SKIP_KEYSTONE") == "1":
        pytest.skip("GM_SKIP_KEYSTONE=1")
    stack = _acquire(tmp_path_factory)
    try:
        yield stack
    finally:
        _release()


@pytest.fixture(scope="session")
def projects(keystone):
    """The test Keystone's project ids by persona name."""
    return keystone.identities["projects"]
