"""Database access: connect by URL, create the schema, hand out a Repository."""

import os
import urllib.parse

import peewee

from glance_members.db import api
from glance_members.db import migrations
from glance_members.db import models


def connect(url, busy_timeout_ms=30000):
    """A peewee database for `url`, bound to the models, not yet opened."""
    parsed = urllib.parse.urlsplit(url)
    if parsed.scheme != 'sqlite':
        raise ValueError('Unsupported database URL %r: only sqlite:/// is '
                         'available in this version.' % url)
    # SQLAlchemy's convention, as in every OpenStack config file:
    # sqlite:///relative.db, sqlite:////absolute.db, sqlite:// for memory.
    path = urllib.parse.unquote(parsed.path)[1:] or ':memory:'
    if path != ':memory:':
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    database = peewee.SqliteDatabase(path, pragmas={
        # WAL: readers never block the writer; NORMAL is durable in WAL
        # across process crashes (only an OS crash can lose the last commit).
        'journal_mode': 'wal',
        'synchronous': 'normal',
        'busy_timeout': busy_timeout_ms,
        'foreign_keys': 1,
    }, timeout=busy_timeout_ms / 1000.0)
    models.database.initialize(database)
    return database


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
