"""SQLite writers queue before they ask for SQLite's lock
(db.engines.Sqlite): a
writer waits for another process's writer (an flock on a file beside the
database), wakes soon after it is done, and gives up after the busy timeout
(a 503), as SQLite's own busy handler would."""

import fcntl
import os
import threading
import time

import pytest

from glance_members import db
from glance_members import exception
from glance_members import records

IMAGE = '11111111-2222-3333-4444-555555555555'


def _repository(tmp_path, busy_timeout_ms):
    path = str(tmp_path / 'writers.sqlite')
    database = db.connect('sqlite:///' + path, busy_timeout_ms)
    db.sync(database)
    repo = db.make_repository(database)
    repo.create_image(records.Image(id=IMAGE, owner='p0'))
    return path, repo


@pytest.fixture
def other_process_writer(tmp_path):
    """The writer lock as another process holds it: flock on its own open
    file (flock locks of two open files exclude each other, even in one
    process)."""
    fds = []

    def hold(path):
        fd = os.open(path + '-writer.lock', os.O_RDWR | os.O_CREAT, 0o600)
        fds.append(fd)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return fd
    yield hold
    for fd in fds:
        os.close(fd)


def test_writer_waits_for_another_processs_writer(tmp_path,
                                                  other_process_writer):
    path, repo = _repository(tmp_path, busy_timeout_ms=5000)
    fd = other_process_writer(path)
    threading.Timer(0.3, fcntl.flock, (fd, fcntl.LOCK_UN)).start()
    started = time.monotonic()
    assert repo.add_member(IMAGE, 'p1', quota=-1).status == 'pending'
    waited = time.monotonic() - started
    assert 0.25 <= waited < 1.0


def test_writer_gives_up_after_the_busy_timeout(tmp_path,
                                                other_process_writer):
    path, repo = _repository(tmp_path, busy_timeout_ms=300)
    fd = other_process_writer(path)
    started = time.monotonic()
    with pytest.raises(exception.ServiceUnavailable):
        repo.add_member(IMAGE, 'p1', quota=-1)
    assert 0.25 <= time.monotonic() - started < 2.0
    assert repo.get_member(IMAGE, 'p1') is None  # nothing half-written
    fcntl.flock(fd, fcntl.LOCK_UN)
    assert repo.add_member(IMAGE, 'p1', quota=-1).status == 'pending'


def test_threads_of_a_process_take_turns(tmp_path):
    _, repo = _repository(tmp_path, busy_timeout_ms=5000)
    errors = []

    def add(n):
        try:
            for i in range(25):
                repo.add_member(IMAGE, 'p%d-%d' % (n, i), quota=-1)
                repo.update_member_status(IMAGE, 'p%d-%d' % (n, i),
                                          'accepted')
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)
    threads = [threading.Thread(target=add, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    members = repo.list_members(IMAGE)
    assert len(members) == 100
    assert {m.status for m in members} == {'accepted'}
