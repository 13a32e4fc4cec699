"""Deleted image ids: Glance never gives an image id out twice."""

import peewee

VERSION = 3
DESCRIPTION = 'deleted_images'


class DeletedImage(peewee.Model):
    id = peewee.CharField(max_length=36, primary_key=True)
    deleted_at = peewee.DateTimeField()

    class Meta:
        table_name = 'deleted_images'


def upgrade(database):
    with database.bind_ctx([DeletedImage]):
        database.create_tables([DeletedImage])
