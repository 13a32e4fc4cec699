"""image_members.image_created_at NOT NULL on SQLite too, as the model and
PostgreSQL (v004) have it: one schema on both databases."""

import peewee
from playhouse import migrate

VERSION = 5
DESCRIPTION = 'image_members.image_created_at NOT NULL everywhere'


def upgrade(database):
    # v004 filled every row; a NULL left now would fail the constraint.
    database.execute_sql(
        'UPDATE image_members SET image_created_at = (SELECT created_at '
        'FROM images WHERE images.id = image_members.image_id) '
        'WHERE image_created_at IS NULL')
    if isinstance(database, peewee.SqliteDatabase):
        # SQLite has no ALTER COLUMN: peewee copies the table into one
        # with the constraint, and recreates its indexes.
        migrator = migrate.SchemaMigrator.from_database(database)
        migrate.migrate(migrator.add_not_null('image_members',
                                              'image_created_at'))
