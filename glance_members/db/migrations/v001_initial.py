"""Images, their properties and tags, and image members."""

import peewee

VERSION = 1
DESCRIPTION = 'images, image_properties, image_tags, image_members'


class _Frozen(peewee.Model):
    pass


class Image(_Frozen):
    id = peewee.CharField(max_length=36, primary_key=True)
    name = peewee.CharField(max_length=255, null=True)
    disk_format = peewee.CharField(max_length=20, null=True)
    container_format = peewee.CharField(max_length=20, null=True)
    visibility = peewee.CharField(max_length=10, default='shared')
    size = peewee.BigIntegerField(null=True)
    virtual_size = peewee.BigIntegerField(null=True)
    status = peewee.CharField(max_length=30, default='queued')
    checksum = peewee.CharField(max_length=32, null=True)
    protected = peewee.BooleanField(default=False)
    min_ram = peewee.IntegerField(default=0)
    min_disk = peewee.IntegerField(default=0)
    owner = peewee.CharField(max_length=255, null=True)
    os_hidden = peewee.BooleanField(default=False)
    os_hash_algo = peewee.CharField(max_length=64, null=True)
    os_hash_value = peewee.CharField(max_length=128, null=True)
    created_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()

    class Meta:
        table_name = 'images'
        indexes = ((('owner', 'created_at', 'id'), False),
                   (('visibility', 'created_at', 'id'), False),
                   (('created_at', 'id'), False))


class ImageProperty(_Frozen):
    id = peewee.AutoField()
    image = peewee.ForeignKeyField(Image, column_name='image_id',
                                   on_delete='CASCADE')
    name = peewee.CharField(max_length=255)
    value = peewee.TextField()

    class Meta:
        table_name = 'image_properties'
        indexes = ((('image', 'name'), True), (('name',), False))


class ImageTag(_Frozen):
    image = peewee.ForeignKeyField(Image, column_name='image_id',
                                   on_delete='CASCADE')
    value = peewee.CharField(max_length=255)

    class Meta:
        table_name = 'image_tags'
        primary_key = peewee.CompositeKey('image', 'value')
        indexes = ((('value',), False),)


class ImageMember(_Frozen):
    id = peewee.AutoField()
    image = peewee.ForeignKeyField(Image, column_name='image_id',
                                   on_delete='CASCADE')
    member = peewee.CharField(max_length=255)
    status = peewee.CharField(max_length=20, default='pending')
    deleted = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()

    class Meta:
        table_name = 'image_members'
        indexes = ((('image', 'member'), True),
                   (('member', 'deleted', 'status', 'image'), False))


def upgrade(database):
    tables = (Image, ImageProperty, ImageTag, ImageMember)
    with database.bind_ctx(tables):
        database.create_tables(tables)
