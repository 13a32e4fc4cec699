"""A consumer's shares in image-list order: each membership carries its
image's created_at (which never changes), so the shared branch of the image
list is one index range scan however many shares a project has."""

import peewee
from playhouse import migrate

VERSION = 4
DESCRIPTION = 'image_members.image_created_at'


def upgrade(database):
    migrator = migrate.SchemaMigrator.from_database(database)
    migrate.migrate(migrator.add_column(
        'image_members', 'image_created_at', peewee.DateTimeField(null=True)))
    database.execute_sql(
        'UPDATE image_members SET image_created_at = (SELECT created_at '
        'FROM images WHERE images.id = image_members.image_id)')
    if not isinstance(database, peewee.SqliteDatabase):
        # SQLite cannot add NOT NULL to an existing column in place.
        migrate.migrate(migrator.add_not_null('image_members',
                                              'image_created_at'))
    # MariaDB/MySQL names the table of the index it drops.
    database.execute_sql(
        'DROP INDEX imagemember_member_deleted_status_image_id' +
        (' ON image_members' if isinstance(database, peewee.MySQLDatabase)
         else ''))
    # Default list (accepted), and member_status=all / pending / rejected.
    database.execute_sql(
        'CREATE INDEX imagemember_shares_by_status ON image_members '
        '(member, deleted, status, image_created_at, image_id)')
    database.execute_sql(
        'CREATE INDEX imagemember_shares ON image_members '
        '(member, deleted, image_created_at, image_id)')
