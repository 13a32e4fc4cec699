"""images.lock_serial: the image row a member add writes (not only locks)
on MariaDB/MySQL, so that Galera, which certifies writes but not
SELECT ... FOR UPDATE, orders two adds to one image made through two
nodes."""

VERSION = 8
DESCRIPTION = 'images.lock_serial'


def upgrade(database):
    # One statement on every database (SQLite adds a NOT NULL column with
    # a default in place; playhouse.migrate would copy the table, and
    # dropping the old one would cascade to its children).
    database.execute_sql('ALTER TABLE images ADD COLUMN lock_serial BIGINT '
                         'NOT NULL DEFAULT 0')
