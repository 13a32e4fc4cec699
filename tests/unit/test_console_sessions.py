"""The console's session store: time-outs, and what the file alone holds."""

import hashlib
import sqlite3

import pytest

from glance_members.console import sessions

TOKEN = 'gAAAA-a-keystone-token-value'


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self):
        return self.now


@pytest.fixture
def session_clock():
    return Clock()


@pytest.fixture
def store(tmp_path, session_clock):
    return sessions.SessionStore(str(tmp_path / 'sessions.sqlite'),
                                 idle_timeout=1800, absolute_timeout=43200,
                                 clock=session_clock)


def test_a_session_round_trips(store):
    session = store.create({'token': TOKEN})
    assert store.load(session.sid).data == {'token': TOKEN}
    assert len(session.sid) >= 43  # 256 random bits


def test_the_file_holds_neither_the_id_nor_the_token(store, tmp_path):
    session = store.create({'token': TOKEN})
    raw = (tmp_path / 'sessions.sqlite').read_bytes()
    conn = sqlite3.connect(str(tmp_path / 'sessions.sqlite'))
    rows = conn.execute('SELECT key, data FROM console_sessions').fetchall()
    assert rows[0][0] == hashlib.sha256(session.sid.encode()).hexdigest()
    for blob in (raw, rows[0][1]):
        assert TOKEN.encode() not in blob
        assert session.sid.encode() not in blob


def test_idle_timeout(store, session_clock):
    session = store.create({})
    session_clock.now += 1799
    assert store.load(session.sid) is not None
    store.save(store.load(session.sid))  # a request: last_seen moves
    session_clock.now += 1799
    assert store.load(session.sid) is not None
    session_clock.now += 1801
    assert store.load(session.sid) is None
    session_clock.now -= 1801  # gone for good: expiry deleted it
    assert store.load(session.sid) is None


def test_absolute_timeout_despite_activity(store, session_clock):
    session = store.create({})
    for _ in range(43200 // 1000):
        session_clock.now += 1000
        live = store.load(session.sid)
        assert live is not None
        store.save(live)
    session_clock.now += 1000
    assert store.load(session.sid) is None


def test_unknown_and_tampered_ids_load_nothing(store, tmp_path):
    session = store.create({'token': TOKEN})
    assert store.load('x' * 43) is None
    assert store.load('') is None
    conn = sqlite3.connect(str(tmp_path / 'sessions.sqlite'),
                           isolation_level=None)
    conn.execute("UPDATE console_sessions SET data = x'00112233445566778899"
                 "aabbccddeeff00112233445566778899'")
    assert store.load(session.sid) is None


def test_csrf_token_is_per_session(store):
    one, two = store.create({}), store.create({})
    assert one.check_csrf(one.csrf_token)
    assert not one.check_csrf(two.csrf_token)
    assert not one.check_csrf('')
    assert not one.check_csrf(None)


def test_flashes_are_shown_once(store):
    session = store.create({})
    session.flash('Shared.')
    store.save(session)
    again = store.load(session.sid)
    assert again.pop_flashes() == [['status', 'Shared.']]
    store.save(again)
    assert store.load(session.sid).pop_flashes() == []


def test_delete(store):
    session = store.create({})
    store.delete(session.sid)
    assert store.load(session.sid) is None
