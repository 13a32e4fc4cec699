"""Shared fixtures: an in-process app on a fresh, empty database per test.

The functional suite (tests/functional) runs every test three times: on the
embedded default (a fresh SQLite file under the test's data dir), on
PostgreSQL (a private cluster, tests/support/postgresql.py) and on MariaDB
(a private server, tests/support/mariadb.py). Choose with
`--gm-databases=sqlite,postgresql,mariadb` (or GM_TEST_DATABASES); the test
ids end in [sqlite] / [postgresql] / [mariadb].

On PostgreSQL and MariaDB, each data dir a test builds an app on gets its
own empty database: the session keeps a few databases at the latest schema
and empties them (DELETE from every table, a few ms) when a test takes one,
which is ~50x faster than CREATE DATABASE plus the migrations for every
test.
"""

import os

import pytest
import yaml

from glance_members import app as gm_app
from glance_members import conf as gm_conf
from glance_members import db
from glance_members.db import models
from tests import personas

# Fixtures every suite may ask for (tests/support/).
pytest_plugins = [
    'tests.support.beside',
    'tests.support.browser',
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

DATABASES = ('sqlite', 'postgresql', 'mariadb')
# The session-wide server fixture of each database server.
_SERVER_FIXTURES = {'postgresql': 'postgresql_cluster',
                    'mariadb': 'mariadb_server'}
_FUNCTIONAL = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                           'functional') + os.sep


def pytest_addoption(parser):
    parser.addoption(
        '--gm-databases',
        default=os.environ.get('GM_TEST_DATABASES', ','.join(DATABASES)),
        help='Comma-separated databases the functional suite runs on '
             '(default: %(default)s; env GM_TEST_DATABASES).')


def pytest_generate_tests(metafunc):
    if 'gm_database' not in metafunc.fixturenames:
        return
    if not str(metafunc.definition.path).startswith(_FUNCTIONAL):
        return
    chosen = [name.strip() for name in
              metafunc.config.getoption('--gm-databases').split(',')
              if name.strip()]
    unknown = set(chosen) - set(DATABASES)
    if unknown:
        raise pytest.UsageError('--gm-databases: unknown %s' % sorted(unknown))
    metafunc.parametrize('gm_database', chosen, indirect=True)


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
    if name in _SERVER_FIXTURES:
        cluster = request.getfixturevalue(_SERVER_FIXTURES[name])
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
    """The real app in `data_dir` with the test personas' token file and any
    config overrides, on `database_url` (default: the test's database, see
    gm_database: the embedded SQLite file in `data_dir`, or an empty
    PostgreSQL database for this data dir)."""
    os.makedirs(data_dir, exist_ok=True)
    token_path = os.path.join(data_dir, 'tokens.yaml')
    with open(token_path, 'w') as f:
        yaml.safe_dump(personas.token_file_document(), f)
    if database_url is None and 'database.connection' not in overrides:
        database_url = _current.url_for(data_dir)
    if database_url is not None:
        overrides['database.connection'] = database_url
    conf = gm_conf.new_conf(overrides=dict({'data_dir': data_dir},
                                           **overrides))
    database = db.connect(gm_conf.database_url(conf))
    _current.opened.append(database)
    db.create_schema(database)
    return gm_app.create_app(conf, db.make_repository(database))


@pytest.fixture
def app(tmp_path, gm_database):
    return make_app(str(tmp_path / 'data'))


@pytest.fixture
def client(app):
    return app.test_client()
