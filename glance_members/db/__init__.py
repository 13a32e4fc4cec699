"""Database access: connect by URL, create the schema, hand out a Repository."""

import os
import urllib.parse

import peewee

from glance_members.db import api
from glance_members.db import migrations
from glance_members.db import models


def connect(url, busy_timeout_ms=30000, pool_size=8):
    """A peewee database for `url`, bound to the models, not yet opened.

    sqlite:///relative.db, sqlite:////absolute.db, sqlite:// (memory): the
    embedded default. postgresql://user:password@host:port/dbname (also
    written postgresql+psycopg2:// or postgresql+psycopg:// as in other
    OpenStack configs): production, through psycopg with a connection pool
    per worker process.
    """
    parsed = urllib.parse.urlsplit(url)
    scheme = parsed.scheme.split('+')[0]
    if scheme == 'sqlite':
        database = _sqlite(parsed, busy_timeout_ms)
    elif scheme in ('postgresql', 'postgres'):
        database = _postgresql(parsed, busy_timeout_ms, pool_size)
    else:
        raise ValueError('Unsupported database URL scheme %r: use sqlite:// '
                         'or postgresql://' % parsed.scheme)
    models.database.initialize(database)
    return database


def _sqlite(parsed, busy_timeout_ms):
    # SQLAlchemy's convention, as in every OpenStack config file.
    path = urllib.parse.unquote(parsed.path)[1:] or ':memory:'
    if path != ':memory:':
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    return peewee.SqliteDatabase(path, pragmas={
        # WAL: readers never block the writer; NORMAL is durable in WAL
        # across process crashes (only an OS crash can lose the last commit).
        'journal_mode': 'wal',
        'synchronous': 'normal',
        'busy_timeout': busy_timeout_ms,
        'foreign_keys': 1,
    }, timeout=busy_timeout_ms / 1000.0)


def _postgresql(parsed, busy_timeout_ms, pool_size):
    from playhouse import pool
    timeout_s = max(1, busy_timeout_ms // 1000)
    return pool.PooledPostgresqlDatabase(
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


class SchemaVersion(peewee.Model):
    """One row: the version of the schema this database is at."""
    version = peewee.IntegerField()

    class Meta:
        table_name = 'glance_members_schema_version'


def version(database):
    """The schema version, 0 for an empty database."""
    with database.bind_ctx([SchemaVersion]):
        if not database.table_exists(SchemaVersion._meta.table_name):
            return 0
        row = SchemaVersion.select().first()
        return row.version if row else 0


def sync(database, target=None):
    """Apply every migration above the current version (up to `target`),
    each in its own transaction; return the new version."""
    target = migrations.head() if target is None else target
    with database.bind_ctx([SchemaVersion]):
        database.create_tables([SchemaVersion], safe=True)
        for number, module in migrations.history():
            with database.atomic():
                current = version(database)
                if current >= number or number > target:
                    continue
                module.upgrade(database)
                SchemaVersion.delete().execute()
                SchemaVersion.create(version=number)
    return version(database)


def create_schema(database):
    """A database at the latest schema (tests and the embedded default)."""
    sync(database)


def repository(database):
    return api.Repository(database)
