"""Uploads in flight: which process receives an image's bytes, and when it
last said it was alive, so an upload whose worker died can be taken back."""

import peewee

VERSION = 6
DESCRIPTION = 'image_uploads'


class Image(peewee.Model):
    id = peewee.CharField(max_length=36, primary_key=True)

    class Meta:
        table_name = 'images'


class ImageUpload(peewee.Model):
    image = peewee.ForeignKeyField(Image, column_name='image_id',
                                   primary_key=True, on_delete='CASCADE')
    owner = peewee.CharField(max_length=255)
    heartbeat_at = peewee.DateTimeField()

    class Meta:
        table_name = 'image_uploads'


def upgrade(database):
    with database.bind_ctx([ImageUpload]):
        database.create_tables([ImageUpload])
