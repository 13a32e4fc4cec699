"""PostgreSQL for the tests: fixtures (a pytest plugin,
registered by tests/conftest.py).

* `postgresql_cluster` (session): the Cluster;
* `postgresql_url` (session): a database of the session, owned by the
  password user;
* `fresh_postgresql_url`: a new, empty database for one test
  (CREATE DATABASE ... TEMPLATE template0), dropped afterwards.

When PostgreSQL cannot be had, tests that need it FAIL when the environment
variable CI is set and are skipped otherwise. They are skipped, and the
server never started, when --gm-databases leaves out postgresql
(tests/support/databases.py).

The server itself (start, databases, stop): testbed/postgresql.py.
"""

import time

import pytest

from testbed import postgresql as testbed_postgresql
from testbed import processes
from tests.support import databases

Unavailable = testbed_postgresql.Unavailable


# --- pytest glue -------------------------------------------------------------

_SESSION = {}


def session_cluster():
    """The session's cluster, started on first use (or the reason it could
    not be: tried once per session)."""
    if 'cluster' not in _SESSION and 'error' not in _SESSION:
        started = time.monotonic()
        try:
            _SESSION['cluster'] = testbed_postgresql.Cluster().start()
            _SESSION['startup_s'] = time.monotonic() - started
        except Unavailable as e:
            _SESSION['error'] = str(e)
        except Exception as e:  # e.g. psycopg missing
            _SESSION['error'] = '%s: %s' % (type(e).__name__, e)
    if 'error' in _SESSION:
        processes.unavailable('PostgreSQL', _SESSION['error'])
    return _SESSION['cluster']


def stop_session_cluster():
    cluster = _SESSION.pop('cluster', None)
    if cluster is not None:
        cluster.stop()


@pytest.fixture(scope='session')
def postgresql_cluster(request):
    databases.require(request.config, 'postgresql')
    try:
        yield session_cluster()
    finally:
        stop_session_cluster()


@pytest.fixture(scope='session')
def postgresql_url(postgresql_cluster):
    """A database for the whole session."""
    return postgresql_cluster.create_database('gm_session')


@pytest.fixture
def fresh_postgresql_url(postgresql_cluster):
    """A new empty database for one test, dropped afterwards."""
    url = postgresql_cluster.create_database()
    yield url
    postgresql_cluster.drop_database(url)
