"""MariaDB for the tests: fixtures (a pytest plugin,
registered by tests/conftest.py).

* `mariadb_server` (session): the Server;
* `fresh_mariadb_url`: a new, empty database for one test, dropped after;
* `galera_cluster` (module): a started three-node Cluster (tests that kill
  nodes restart them; the next module gets a fresh cluster).

When MariaDB cannot be had, tests that need it FAIL when the environment
variable CI is set and are skipped otherwise. They are skipped, and the
server never started, when --gm-databases leaves out mariadb
(tests/support/databases.py).

The server itself (start, databases, stop): testbed/mariadb.py.
"""

import time

import pytest

from testbed import mariadb as testbed_mariadb
from testbed import processes
from tests.support import databases

Unavailable = testbed_mariadb.Unavailable


# --- pytest glue -------------------------------------------------------------

_SESSION = {}


def session_server():
    """The session's server, started on first use (or the reason it could
    not be: tried once per session)."""
    if 'server' not in _SESSION and 'error' not in _SESSION:
        started = time.monotonic()
        try:
            _SESSION['server'] = testbed_mariadb.start_server()
            _SESSION['startup_s'] = time.monotonic() - started
        except Unavailable as e:
            _SESSION['error'] = str(e)
        except Exception as e:  # e.g. pymysql missing
            _SESSION['error'] = '%s: %s' % (type(e).__name__, e)
    if 'error' in _SESSION:
        processes.unavailable('MariaDB', _SESSION['error'])
    return _SESSION['server']


def stop_session_server():
    server = _SESSION.pop('server', None)
    if server is not None:
        server.remove()


@pytest.fixture(scope='session')
def mariadb_server(request):
    databases.require(request.config, 'mariadb')
    try:
        yield session_server()
    finally:
        stop_session_server()


@pytest.fixture
def fresh_mariadb_url(mariadb_server):
    """A new empty database for one test, dropped afterwards."""
    url = mariadb_server.create_database()
    yield url
    mariadb_server.drop_database(url)


@pytest.fixture(scope='module')
def galera_cluster(request):
    databases.require(request.config, 'mariadb')
    try:
        cluster = testbed_mariadb.Cluster().start()
    except Unavailable as e:
        processes.unavailable('MariaDB Galera', str(e))
    try:
        yield cluster
    finally:
        cluster.stop()
