"""Image data: where the store keeps an image's bytes."""

import peewee
from playhouse import migrate

VERSION = 2
DESCRIPTION = 'images.location'


def upgrade(database):
    migrator = migrate.SchemaMigrator.from_database(database)
    migrate.migrate(migrator.add_column('images', 'location',
                                        peewee.TextField(null=True)))
