"""One object per kind of database (SQLite, PostgreSQL, MariaDB/Galera):
how to connect, and everything the repository does differently on each:
its write transaction, its row locks, its consumer locks, which errors are
retried, whether a connection is kept between requests, how its rows come
back. The repository asks these objects; it never tests which database it
is on.
"""

import contextlib
import fcntl
import itertools
import os
import random
import threading
import time
import urllib.parse

import peewee
from playhouse import pool

from glance_members.db import models
from glance_members.db import prepared

# MariaDB/MySQL's error 1213: a deadlock, or (Galera) a certification
# conflict, another node having committed a write to the same rows first.
# The server has undone the whole transaction: it is run again from its
# start, a bounded number of times, then it is a 503.
MYSQL_CONFLICT = 1213
CONFLICT_RETRIES = 6
CONFLICT_BACKOFF_S = 0.005  # doubled at each retry, with jitter


def mysql_errno(error):
    """The MariaDB/MySQL error number behind a peewee error, or None
    (peewee's error carries the driver's as its first argument)."""
    for cause in (error, error.__cause__, error.__context__):
        args = getattr(cause, 'args', ())
        if args and isinstance(args[0], int):
            return args[0]
        if args and isinstance(args[0], Exception) and args[0].args and \
                isinstance(args[0].args[0], int):
            return args[0].args[0]
    return None


class Engine:
    """What every kind of database does unless it says otherwise (the
    PostgreSQL behaviour: row locks decide, pooled connections)."""

    # Its driver hands back datetimes as text (SQLite), to be parsed.
    datetimes_as_text = False
    # It sorts a UNION of an image's children quickly (not MariaDB).
    sorts_unions = True
    # A read that failed on a broken connection is tried once more on a
    # fresh one (pooled connections may have died unnoticed).
    reconnects = True

    def write(self):
        """A write transaction."""
        return self.atomic()

    def lock_rows(self, query):
        """`query` locking the rows it reads until the transaction ends."""
        return query.for_update()

    def claim_images(self, image_ids):
        """Before locking image rows for a write: nothing to do where a
        read lock (for_update) is enough (see the MariaDB engine)."""

    def lock_consumers(self, project_ids):
        """Serialize writes to these consumers' memberships (sorted: no
        deadlock between two callers): a transaction-scoped advisory
        lock."""
        for project_id in sorted(set(project_ids)):
            self.execute_sql('SELECT pg_advisory_xact_lock(hashtext(%s))',
                             (project_id,))

    def upsert(self, insert, conflict_target, update):
        """Run `insert`, updating `update` ({column: value}) on the rows
        whose `conflict_target` columns it would duplicate."""
        insert.on_conflict(conflict_target=conflict_target,
                           update=update).execute(self)

    def conflict_backoff(self, error, attempt):
        """Seconds to wait before running a transaction that failed with
        `error` again (attempt 1, 2...), or None: not retried."""
        return None

    def release(self):
        """End of a request: a pooled connection goes back to its pool."""
        if not self.is_closed():
            self.close()

    def discard_connection(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - it is broken; forget it anyway
            self._state.reset()


def connect(url, busy_timeout_ms=30000, pool_size=8):
    """A peewee database for `url`, bound to the models, not yet opened.

    sqlite:///relative.db, sqlite:////absolute.db, sqlite:// (memory): the
    embedded default. postgresql://user:password@host:port/dbname (also
    written postgresql+psycopg2:// or postgresql+psycopg:// as in other
    OpenStack configs): production, through psycopg with a connection pool
    per worker process. mysql+pymysql://user:password@host:port/dbname
    (also mysql:// or mariadb://, Glance's `[database] connection` as it
    is; `?unix_socket=PATH` accepted): MariaDB/MySQL and Galera, utf8mb4,
    through PyMySQL with a connection pool per worker process.
    """
    parsed = urllib.parse.urlsplit(url)
    scheme = parsed.scheme.split('+')[0]
    if scheme == 'sqlite':
        database = _sqlite(parsed, busy_timeout_ms)
    elif scheme in ('postgresql', 'postgres'):
        database = _postgresql(parsed, busy_timeout_ms, pool_size)
    elif scheme in ('mysql', 'mariadb'):
        database = _mysql(parsed, busy_timeout_ms, pool_size)
    else:
        raise ValueError('Unsupported database URL scheme %r: use sqlite://, '
                         'postgresql:// or mysql+pymysql://' % parsed.scheme)
    models.database.initialize(database)
    return database


def missing_sqlite_file(url):
    """The path of a SQLite URL's file if it does not exist, else None."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme.split('+')[0] != 'sqlite':
        return None
    path = urllib.parse.unquote(parsed.path)[1:]
    if not path or path == ':memory:' or os.path.exists(path):
        return None
    return path


def _sqlite(parsed, busy_timeout_ms):
    # SQLAlchemy's convention, as in every OpenStack config file.
    path = urllib.parse.unquote(parsed.path)[1:] or ':memory:'
    if path != ':memory:':
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return Sqlite(path, pragmas={
        # WAL: readers never block the writer; NORMAL is durable in WAL
        # across process crashes (only an OS crash can lose the last commit).
        'journal_mode': 'wal',
        'synchronous': 'normal',
        'busy_timeout': busy_timeout_ms,
        'foreign_keys': 1,
    }, timeout=busy_timeout_ms / 1000.0)


class Sqlite(peewee.SqliteDatabase, Engine):
    """SQLite whose writers queue before they ask for its write lock.

    A writer that finds SQLite's lock taken sleeps in SQLite's busy handler
    (1 ms, then 2, 5, 10...) however soon the lock frees: with two worker
    processes, that sleeping, not the writing, limited the write rate
    (figures: benchmarks/README.md). So a thread lock orders the threads of
    a process (waking the next at once), and an flock on a file beside the
    database orders the processes, polled at sub-millisecond steps; both
    give up after the busy timeout, as SQLite would (a 503). The kernel
    drops the flock of a process that dies.
    """

    # Seconds between two tries of another process's writer lock.
    FLOCK_STEPS = (0.00005, 0.0001, 0.0002, 0.0004, 0.0008)

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self._writer_thread_lock = threading.Lock()
        self._writer_file = None  # (pid, fd): never shared across a fork

    datetimes_as_text = True
    # One file, one writer at a time: nothing a fresh connection would fix.
    reconnects = False

    def lock_rows(self, query):
        return query  # the write lock, taken by write(), covers every row

    def lock_consumers(self, project_ids):
        pass  # writers already go one at a time

    def release(self):
        pass  # one connection per worker, kept: reopening costs

    @contextlib.contextmanager
    def write(self):
        """A write transaction (BEGIN IMMEDIATE), writers in turn."""
        deadline = time.monotonic() + self._timeout
        if not self._writer_thread_lock.acquire(timeout=self._timeout):
            raise peewee.OperationalError('database is locked')
        try:
            fd = self._writer_fd()
            if fd is not None:
                self._flock(fd, deadline)
            try:
                with self.atomic('IMMEDIATE'):
                    yield
            finally:
                if fd is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self._writer_thread_lock.release()

    def _flock(self, fd, deadline):
        for step in itertools.chain(self.FLOCK_STEPS,
                                    itertools.repeat(self.FLOCK_STEPS[-1])):
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise peewee.OperationalError('database is locked')
                time.sleep(step)

    def _writer_fd(self):
        if self.database == ':memory:':
            return None  # one connection: nobody else to wait for
        if self._writer_file is None or self._writer_file[0] != os.getpid():
            fd = os.open(self.database + '-writer.lock',
                         os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._writer_file = (os.getpid(), fd)
        return self._writer_file[1]


class _TrustRecentlyReturned:
    """A pool without a `SELECT 1` (or ping) round trip on every checkout
    (a large share of a PostgreSQL request's CPU): a connection handed back
    moments ago is taken as alive. One idle for longer is probed as before;
    one that died meanwhile fails its statement, which is a 503 that
    discards it (Repository), so the next request gets a fresh one."""

    PROBE_AFTER_IDLE_S = 2.0

    def __init__(self, *args, **kwargs):
        self._returned = {}
        super().__init__(*args, **kwargs)

    def _close(self, conn, close_conn=False):
        key = self.conn_key(conn)
        if close_conn:
            self._returned.pop(key, None)
        else:
            self._returned[key] = time.monotonic()
        super()._close(conn, close_conn)

    def _is_closed(self, conn):
        returned = self._returned.pop(self.conn_key(conn), None)
        if (returned is not None and
                time.monotonic() - returned < self.PROBE_AFTER_IDLE_S and
                self._is_idle(conn)):
            return False
        return super()._is_closed(conn)


class PostgresqlPool(_TrustRecentlyReturned, pool.PooledPostgresqlDatabase,
                     Engine):
    """peewee's PostgreSQL pool, trusting recently returned connections."""

    def _is_idle(self, conn):
        return (not conn.closed and not getattr(conn, 'broken', False) and
                self._adapter.txn_status(conn) == self._adapter.txn_idle)


def _postgresql(parsed, busy_timeout_ms, pool_size):
    timeout_s = max(1, busy_timeout_ms // 1000)
    return PostgresqlPool(
        urllib.parse.unquote(parsed.path.lstrip('/')),
        user=urllib.parse.unquote(parsed.username or '') or None,
        password=urllib.parse.unquote(parsed.password or '') or None,
        host=parsed.hostname, port=parsed.port,
        max_connections=pool_size, stale_timeout=300, timeout=timeout_s,
        prefer_psycopg3=True,
        # Bounded waits: a database that is away answers 503 quickly.
        connect_timeout=timeout_s,
        options='-c statement_timeout=%d -c lock_timeout=%d'
                % (busy_timeout_ms, busy_timeout_ms))


_MYSQL_NO_DEFAULT_FOR_FIELD = 1364
# Server status flag: a transaction is open on the connection.
_MYSQL_IN_TRANSACTION = 1
# Every table in utf8mb4, compared byte for byte with no trailing-space
# padding, as on SQLite and PostgreSQL: member ids 'a' and 'A' (or 'a ')
# are two members, not one duplicate.
MYSQL_CHARSET = 'utf8mb4'
MYSQL_COLLATION = 'utf8mb4_nopad_bin'


class _MySQL(peewee.MySQLDatabase):
    """MariaDB/MySQL as the repository expects of a database: datetimes
    keep their microseconds, tables are utf8mb4 with a binary collation
    (whatever the database's default), and each session reads committed
    data (PostgreSQL's default; InnoDB's own REPEATABLE READ would count
    members from a snapshot older than the image row lock) and waits for
    a lock no longer than the busy timeout."""

    field_types = dict(peewee.MySQLDatabase.field_types,
                       DATETIME='DATETIME(6)')
    sql_mode = 'TRADITIONAL,NO_ENGINE_SUBSTITUTION'
    # A UNION is sorted through an internal temporary table, on disk when a
    # TEXT column is selected (twice the time of the whole query): the few
    # rows of an image's children are sorted in Python instead, as its
    # binary collation would (by code point).
    sorts_unions = False

    _BUMP_IMAGE = prepared.Prepared(
        lambda image_id: models.Image.update(
            lock_serial=models.Image.lock_serial + 1).where(
            models.Image.id == image_id), 1)
    _BUMP_CONSUMER = prepared.Prepared(
        lambda project_id: models.ConsumerLock.insert(
            consumer=project_id, serial=1).on_conflict(
            update={models.ConsumerLock.serial:
                    models.ConsumerLock.serial + 1}), 1)

    def claim_images(self, image_ids):
        """Write the image rows (their lock_serial bumped), not only read
        them FOR UPDATE: Galera certifies only the rows a transaction
        writes, so two member adds to one image through two nodes then
        conflict, and the later one is run again (quota exact)."""
        image_ids = list(image_ids)
        if len(image_ids) == 1:
            self._BUMP_IMAGE.run(self, image_ids[0])
        else:
            models.Image.update(
                lock_serial=models.Image.lock_serial + 1).where(
                models.Image.id.in_(image_ids)).execute(self)

    def upsert(self, insert, conflict_target, update):
        # ON DUPLICATE KEY UPDATE: any unique key is the target.
        insert.on_conflict(update=update).execute(self)

    def lock_consumers(self, project_ids):
        """No transaction-scoped advisory lock here (GET_LOCK is per
        session and Galera does not replicate it): a row written."""
        for project_id in sorted(set(project_ids)):
            self._BUMP_CONSUMER.run(self, project_id)

    def conflict_backoff(self, error, attempt):
        if attempt > CONFLICT_RETRIES or mysql_errno(error) != MYSQL_CONFLICT:
            return None
        return random.uniform(0.5, 1.0) * CONFLICT_BACKOFF_S * 2 ** attempt

    def __init__(self, *args, lock_wait_timeout_s=30, **kwargs):
        self.lock_wait_timeout_s = lock_wait_timeout_s
        super().__init__(*args, **kwargs)

    def _connect(self):
        conn = super()._connect()
        with conn.cursor() as cursor:
            cursor.execute('SET SESSION TRANSACTION ISOLATION LEVEL '
                           'READ COMMITTED')
            cursor.execute('SET SESSION innodb_lock_wait_timeout = %d'
                           % self.lock_wait_timeout_s)
        return conn

    def execute_sql(self, sql, params=None):
        try:
            return super().execute_sql(sql, params)
        except peewee.OperationalError as e:
            # A NOT NULL column left without a value: an integrity error,
            # as SQLite and PostgreSQL say (PyMySQL leaves it unmapped).
            if mysql_errno(e) == _MYSQL_NO_DEFAULT_FOR_FIELD:
                raise peewee.IntegrityError(*e.args) from e
            raise

    def create_tables(self, models, **options):
        table_settings = ['ENGINE=InnoDB', 'DEFAULT CHARSET=%s'
                          % MYSQL_CHARSET, 'COLLATE=%s' % MYSQL_COLLATION]
        saved = [(m, m._meta.table_settings) for m in models]
        try:
            for model, _ in saved:
                model._meta.table_settings = table_settings
            super().create_tables(models, **options)
        finally:
            for model, settings in saved:
                model._meta.table_settings = settings


class MySQLPool(_TrustRecentlyReturned, pool._PooledMySQLDatabase, _MySQL,
                Engine):
    """A pool of MariaDB/MySQL connections (one per worker process),
    trusting recently returned ones."""

    def _is_idle(self, conn):
        return conn.open and not (conn.server_status &
                                  _MYSQL_IN_TRANSACTION)


def _mysql(parsed, busy_timeout_ms, pool_size):
    timeout_s = max(1, busy_timeout_ms // 1000)
    query = dict(urllib.parse.parse_qsl(parsed.query))
    # A charset in the URL (Glance's often says utf8, i.e. utf8mb3) is
    # overridden: every column is utf8mb4.
    extra = {}
    if query.get('unix_socket'):
        extra['unix_socket'] = query['unix_socket']
    return MySQLPool(
        urllib.parse.unquote(parsed.path.lstrip('/')),
        user=urllib.parse.unquote(parsed.username or '') or None,
        password=urllib.parse.unquote(parsed.password or '') or '',
        host=parsed.hostname or '127.0.0.1', port=parsed.port or 3306,
        charset=MYSQL_CHARSET, collation=MYSQL_COLLATION,
        max_connections=pool_size, stale_timeout=300, timeout=timeout_s,
        # Bounded waits: a node that is away (or hangs) answers 503.
        connect_timeout=timeout_s, read_timeout=timeout_s + 5,
        write_timeout=timeout_s + 5, lock_wait_timeout_s=timeout_s,
        **extra)
