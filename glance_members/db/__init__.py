"""Database access: connect by URL, create the schema, hand out a Repository."""

import os
import urllib.parse

import peewee

from glance_members.db import api
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


def create_schema(database):
    with database.bind_ctx(models.ALL_MODELS):
        database.create_tables(models.ALL_MODELS, safe=True)


def repository(database):
    return api.Repository(database)
