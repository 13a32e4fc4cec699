"""PostgresqlPool: no probe of a connection handed back moments ago, yet a
connection that died in the pool never costs the caller of a read an error
(a private cluster, testbed/postgresql.py)."""

import pytest

from glance_members import db
from glance_members.db import engines
from glance_members import exception
from glance_members import records

IMAGE = '11111111-2222-3333-4444-555555555555'


@pytest.fixture
def pooled(postgresql_cluster, fresh_postgresql_url):
    database = db.connect(fresh_postgresql_url)
    db.sync(database)
    repo = db.make_repository(database)
    repo.release()
    yield postgresql_cluster, database, repo
    database.close_all()


def _kill_pooled_connection(cluster, database, repo):
    """Terminate, server side, the backend of the connection the pool will
    hand out next; it is idle in the pool, as between two requests."""
    pid = database.connection().info.backend_pid
    repo.release()
    cluster.admin_execute('SELECT pg_terminate_backend(%s)', (pid,))


@pytest.mark.parametrize('probe_after_idle_s', [0.0, 3600.0],
                         ids=['probed', 'trusted'])
def test_dead_connection_is_replaced_for_a_read(pooled, monkeypatch,
                                                probe_after_idle_s):
    cluster, database, repo = pooled
    monkeypatch.setattr(engines.PostgresqlPool, 'PROBE_AFTER_IDLE_S',
                        probe_after_idle_s)
    _kill_pooled_connection(cluster, database, repo)
    assert repo.get_image(IMAGE) is None


def test_dead_connection_in_a_write_is_a_503_then_recovers(
        pooled, monkeypatch):
    cluster, database, repo = pooled
    monkeypatch.setattr(engines.PostgresqlPool, 'PROBE_AFTER_IDLE_S', 3600.0)
    _kill_pooled_connection(cluster, database, repo)
    image = records.Image(id=IMAGE, owner='p1', visibility='shared')
    with pytest.raises(exception.ServiceUnavailable):
        repo.create_image(image)
    repo.release()
    repo.create_image(image)
    assert repo.get_image(IMAGE).owner == 'p1'
