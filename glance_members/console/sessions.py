"""Server-side console sessions in a SQLite file shared by the workers of
one host.

The browser holds only a random session id (256 bits). The store keys a
session by the id's sha256 and encrypts its data (tokens included) with a
key derived from the id, so the file alone yields no token. Idle and
absolute time-outs are enforced here, on every load.
"""

import base64
import contextlib
import dataclasses
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
import time

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers import aead
from cryptography.hazmat.primitives.kdf import hkdf

COOKIE_NAME = 'gm_console_session'
_HKDF_INFO = b'glance-members console session data'
# last_seen is rewritten at most this often when nothing else changed: a
# page view is a read, not a write, for the idle time-out's sake.
TOUCH_INTERVAL = 30.0
_SCHEMA = ('CREATE TABLE IF NOT EXISTS console_sessions ('
           'key TEXT PRIMARY KEY, created REAL NOT NULL, '
           'last_seen REAL NOT NULL, data BLOB NOT NULL)')


@dataclasses.dataclass
class Session:
    sid: str
    created: float
    last_seen: float
    data: dict
    changed: bool = False

    @property
    def csrf_token(self):
        """The forms' token: derived from the session id, so it needs no
        storage and dies with the session."""
        return hmac.new(self.sid.encode(), b'csrf', hashlib.sha256) \
            .hexdigest()

    def check_csrf(self, given):
        return hmac.compare_digest(self.csrf_token.encode(),
                                   (given or '').encode())

    def flash(self, message, category='status'):
        self.data.setdefault('flashes', []).append([category, message])
        self.changed = True

    def pop_flashes(self):
        flashes = self.data.pop('flashes', [])
        if flashes:
            self.changed = True
        return flashes

    def update(self, **values):
        self.data.update(values)
        self.changed = True


def _key(sid):
    return hashlib.sha256(sid.encode()).hexdigest()


def _cipher(sid):
    key = hkdf.HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                    info=_HKDF_INFO).derive(sid.encode())
    return aead.AESGCM(key)


def _seal(sid, data):
    nonce = os.urandom(12)
    return nonce + _cipher(sid).encrypt(
        nonce, json.dumps(data).encode(), _key(sid).encode())


def _open(sid, blob):
    plain = _cipher(sid).decrypt(blob[:12], blob[12:], _key(sid).encode())
    return json.loads(plain)


class SessionStore:

    def __init__(self, path, idle_timeout, absolute_timeout,
                 clock=time.time):
        self.path = path
        self.idle_timeout = idle_timeout
        self.absolute_timeout = absolute_timeout
        self.clock = clock
        self._local = threading.local()
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self._create()
        os.chmod(path, 0o600)

    def _create(self, attempts=100):
        """WAL mode and the table. Workers booting together race for a new
        file, and SQLite answers a journal-mode change that waits for
        another connection 'locked' at once, without its busy handler: a
        worker that gave up would fail to boot and stop the whole server."""
        for attempt in range(attempts):
            try:
                with self._connection() as conn:
                    conn.execute('PRAGMA journal_mode=WAL')
                    conn.execute(_SCHEMA)
                return
            except sqlite3.OperationalError as e:
                if 'locked' not in str(e) or attempt == attempts - 1:
                    raise
                time.sleep(0.05)

    @contextlib.contextmanager
    def _connection(self):
        # One connection per thread, opened on first use.
        conn = getattr(self._local, 'conn', None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30,
                                   isolation_level=None)
            conn.execute('PRAGMA busy_timeout=30000')
            self._local.conn = conn
        yield conn

    def create(self, data):
        now = self.clock()
        sid = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode() \
            .rstrip('=')
        with self._connection() as conn:
            conn.execute('DELETE FROM console_sessions WHERE last_seen < ? '
                         'OR created < ?', (now - self.idle_timeout,
                                            now - self.absolute_timeout))
            conn.execute('INSERT INTO console_sessions VALUES (?, ?, ?, ?)',
                         (_key(sid), now, now, _seal(sid, data)))
        return Session(sid, now, now, data)

    def load(self, sid):
        """The live session of cookie value `sid`, or None (unknown,
        expired: then deleted, or not decryptable)."""
        if not sid or len(sid) > 128:
            return None
        with self._connection() as conn:
            row = conn.execute('SELECT created, last_seen, data FROM '
                               'console_sessions WHERE key = ?',
                               (_key(sid),)).fetchone()
        if row is None:
            return None
        created, last_seen, blob = row
        now = self.clock()
        if now - last_seen > self.idle_timeout or \
                now - created > self.absolute_timeout:
            self.delete(sid)
            return None
        try:
            data = _open(sid, blob)
        except Exception:  # noqa: BLE001 - a tampered row is no session
            return None
        return Session(sid, created, last_seen, data)

    def save(self, session):
        """Write what changed, and last_seen when it is stale."""
        now = self.clock()
        if session.changed:
            with self._connection() as conn:
                conn.execute('UPDATE console_sessions SET last_seen = ?, '
                             'data = ? WHERE key = ?',
                             (now, _seal(session.sid, session.data),
                              _key(session.sid)))
        elif now - session.last_seen >= TOUCH_INTERVAL:
            with self._connection() as conn:
                conn.execute('UPDATE console_sessions SET last_seen = ? '
                             'WHERE key = ?', (now, _key(session.sid)))
        session.last_seen = now
        session.changed = False

    def delete(self, sid):
        with self._connection() as conn:
            conn.execute('DELETE FROM console_sessions WHERE key = ?',
                         (_key(sid),))
