"""Which databases a run covers, and a database of each: the one place that
reads `--gm-databases` (or GM_TEST_DATABASES; default: all three).

* A test that asks for `database_kind` (directly or through
  `empty_database_url`) runs once per chosen kind: ids end in [sqlite],
  [postgresql], [mariadb]. The functional suite's `gm_database`
  (tests/conftest.py) follows the same choice.
* The PostgreSQL and MariaDB servers (`postgresql_cluster`,
  `mariadb_server`, `galera_cluster`) start only for a chosen kind; a test
  that needs a kind left out is skipped. So `--gm-databases=sqlite` starts
  no database server at all.
"""

import contextlib
import os

import pytest

DATABASES = ('sqlite', 'postgresql', 'mariadb')
# The session-wide server fixture of each database server.
SERVER_FIXTURES = {'postgresql': 'postgresql_cluster',
                   'mariadb': 'mariadb_server'}


def pytest_addoption(parser):
    parser.addoption(
        '--gm-databases',
        default=os.environ.get('GM_TEST_DATABASES', ','.join(DATABASES)),
        help='Comma-separated databases the tests run on; a test needing '
             'another is skipped and its server never started (default: '
             '%(default)s; env GM_TEST_DATABASES).')


def chosen(config):
    """The kinds of database this run covers, in the order given."""
    names = [name.strip() for name in
             config.getoption('--gm-databases').split(',') if name.strip()]
    unknown = set(names) - set(DATABASES)
    if unknown:
        raise pytest.UsageError('--gm-databases: unknown %s' % sorted(unknown))
    return names


def require(config, kind):
    """Skip the test unless this run covers `kind`."""
    if kind not in chosen(config):
        pytest.skip('%s is not in --gm-databases' % kind)


def pytest_generate_tests(metafunc):
    if 'database_kind' in metafunc.fixturenames:
        metafunc.parametrize('database_kind', chosen(metafunc.config),
                             indirect=True)


@pytest.fixture(scope='session')
def database_kind(request):
    """'sqlite', 'postgresql' or 'mariadb': each chosen kind in turn."""
    return request.param


@contextlib.contextmanager
def new_database(request, kind):
    """A new empty database of `kind` on the session's server, dropped
    afterwards; None for SQLite (the embedded default in a data dir)."""
    if kind == 'sqlite':
        yield None
        return
    server = request.getfixturevalue(SERVER_FIXTURES[kind])
    url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(url)


@pytest.fixture
def empty_database_url(request, database_kind, tmp_path):
    """An empty database of each chosen kind, for one test."""
    with new_database(request, database_kind) as url:
        yield url or 'sqlite:///%s' % (tmp_path / 'empty.sqlite')
