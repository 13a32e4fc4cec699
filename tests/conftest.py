"""Shared fixtures: an in-process app on a fresh, empty database per test.

The functional suite (tests/functional) runs every test three times: on the
embedded default (a fresh SQLite file under the test's data dir), on
PostgreSQL (a private cluster, testbed/postgresql.py) and on MariaDB
(a private server, testbed/mariadb.py). Choose with
`--gm-databases=sqlite,postgresql,mariadb` (tests/support/databases.py);
the test ids end in [sqlite] / [postgresql] / [mariadb].

On PostgreSQL and MariaDB, each data dir a test builds an app on gets its
own empty database: the session keeps a few databases at the latest schema
and empties them (DELETE from every table, a few ms) when a test takes one,
which is ~50x faster than CREATE DATABASE plus the migrations for every
test.
"""

import os

import pytest

from glance_members import db
from glance_members.db import models
from testbed import apps

# Imported here before pytest_plugins registers it: rewrite its asserts too.
pytest.register_assert_rewrite('tests.support.databases')
from tests.support import databases as gm_databases  # noqa: E402

# Fixtures every suite may ask for (tests/support/).
pytest_plugins = [
    'tests.support.beside',
    'tests.support.browser',
    'tests.support.clients',
    'tests.support.concurrency',
    'tests.support.databases',
    'tests.support.disk_images',
    'tests.support.horizon',
    'tests.support.keystone',
    'tests.support.keystone_service',
    'tests.support.mariadb',
    'tests.support.netns',
    'tests.support.postgresql',
    'tests.support.rabbitmq',
    'tests.support.regions',
    'tests.support.servers',
]

_FUNCTIONAL = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           'functional') + os.sep


def pytest_generate_tests(metafunc):
    if 'gm_database' not in metafunc.fixturenames:
        return
    if not str(metafunc.definition.path).startswith(_FUNCTIONAL):
        return
    metafunc.parametrize('gm_database', gm_databases.chosen(metafunc.config),
                         indirect=True)


class _ReusedDatabases:
    """Empty databases at the latest schema, one per data dir of a test,
    reused (emptied) across the tests of the session, on a database server
    (postgresql.Cluster or mariadb.Server)."""

    def __init__(self, cluster):
        self.cluster = cluster
        self.free = []   # [(url, admin connection)]
        self.taken = []

    def take(self):
        if self.free:
            url, conn = self.free.pop()
        else:
            url = self.cluster.create_database(
                'gm_functional_%d' % (len(self.free) + len(self.taken)))
            database = db.connect(url)
            db.create_schema(database)
            database.close_all()
            conn = self.cluster.admin_connection(
                url.split('?')[0].rsplit('/', 1)[1])
        self.cluster.empty_tables(conn, [
            model._meta.table_name for model in reversed(models.ALL_MODELS)])
        self.taken.append((url, conn))
        return url

    def release_all(self):
        self.free.extend(self.taken)
        self.taken = []


class _Backend:
    """What make_app uses when no database_url is given."""

    def __init__(self, name='sqlite', databases=None):
        self.name = name
        self.databases = databases
        self.by_data_dir = {}
        self.opened = []

    def url_for(self, data_dir):
        if self.name == 'sqlite':
            return None  # the embedded default in data_dir
        key = os.path.abspath(data_dir)
        if key not in self.by_data_dir:
            self.by_data_dir[key] = self.databases.take()
        return self.by_data_dir[key]

    def close(self):
        for database in self.opened:
            try:
                if hasattr(database, 'close_all'):
                    database.close_all()
                else:
                    database.close()
            except Exception:  # noqa: BLE001 - best effort at teardown
                pass
        self.opened = []
        if self.databases is not None:
            self.databases.release_all()


_current = _Backend()
_server_databases = {}  # {id(server): _ReusedDatabases}


@pytest.fixture(autouse=True)
def gm_database(request):
    """The database the test's apps run on: 'sqlite' unless the functional
    suite's parametrization says otherwise."""
    global _current
    name = getattr(request, 'param', 'sqlite')
    databases = None
    if name in gm_databases.SERVER_FIXTURES:
        cluster = request.getfixturevalue(gm_databases.SERVER_FIXTURES[name])
        databases = _server_databases.get(id(cluster))
        if databases is None:
            databases = _server_databases[id(cluster)] = \
                _ReusedDatabases(cluster)
    previous, _current = _current, _Backend(name, databases)
    try:
        yield name
    finally:
        _current.close()
        _current = previous


def make_app(data_dir, database_url=None, **overrides):
    """testbed.apps.make_app on the test's database (see gm_database: the
    embedded SQLite file in `data_dir`, or an empty PostgreSQL / MariaDB
    database for this data dir) unless `database_url` is given; closed at
    the test's end."""
    reused = False
    if database_url is None and 'database.connection' not in overrides:
        database_url = _current.url_for(data_dir)
        # A server's reused database is emptied at the latest schema.
        reused = database_url is not None
    return apps.make_app(data_dir, database_url, opened=_current.opened,
                         migrate=not reused, **overrides)


@pytest.fixture
def app(tmp_path, gm_database):
    return make_app(str(tmp_path / 'data'))


@pytest.fixture
def client(app):
    return app.test_client()
