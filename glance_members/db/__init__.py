"""Database access: connect by URL (glance_members.db.engines), create
the schema, hand out a Repository."""


import peewee

from glance_members.db import engines
from glance_members.db import migrations
from glance_members.db import repository

connect = engines.connect
missing_sqlite_file = engines.missing_sqlite_file


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


def make_repository(database):
    """The Repository of `database` (every statement runs on it)."""
    return repository.Repository(database)
