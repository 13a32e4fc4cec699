"""image_members.image_shared: whether the member's image is 'shared' now
(a membership gives access only then), kept on the membership so the inbox
counts read one index instead of joining every share to its image."""

from playhouse import migrate

VERSION = 9
DESCRIPTION = 'image_members.image_shared, inbox counts index with it'


def upgrade(database):
    # One statement everywhere: SQLite adds a NOT NULL column with a
    # default in place (playhouse.migrate would copy the table).
    database.execute_sql('ALTER TABLE image_members ADD COLUMN image_shared '
                         'BOOLEAN NOT NULL DEFAULT FALSE')
    database.execute_sql(
        "UPDATE image_members SET image_shared = TRUE WHERE image_id IN "
        "(SELECT id FROM images WHERE visibility = 'shared')")
    migrator = migrate.SchemaMigrator.from_database(database)
    migrate.migrate(migrator.drop_index('image_members',
                                        'imagemember_inbox_counts'))
    database.execute_sql(
        'CREATE INDEX imagemember_inbox_counts ON image_members '
        '(member, deleted, image_shared, status, expires_at)')
