"""Beside an existing Glance: sharing_history.source (who made a change:
'glance-members', or 'glance' for a change the mirror saw made on Glance
directly) and glance_mirror_images, the mirror's per-image state (when its
truth was last read from Glance: an older read never overwrites a newer
one; db/mirror.py)."""

import peewee

VERSION = 11
DESCRIPTION = 'sharing_history.source, glance_mirror_images'


class GlanceMirrorImage(peewee.Model):
    image_id = peewee.CharField(max_length=36, primary_key=True)
    read_at = peewee.DateTimeField(null=True)
    gone = peewee.BooleanField(default=False)
    serial = peewee.BigIntegerField(default=0)

    class Meta:
        table_name = 'glance_mirror_images'


def upgrade(database):
    # A default in the table, not only in peewee: the repository inserts
    # history rows with plain SQL that names no source.
    database.execute_sql(
        "ALTER TABLE sharing_history ADD COLUMN source VARCHAR(20) NOT NULL "
        "DEFAULT 'glance-members'")
    with database.bind_ctx([GlanceMirrorImage]):
        database.create_tables([GlanceMirrorImage])
