"""peewee models on a database proxy; only glance_members.db imports them."""

import peewee

database = peewee.DatabaseProxy()


class BaseModel(peewee.Model):
    class Meta:
        database = database


class Image(BaseModel):
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
    location = peewee.TextField(null=True)
    created_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()
    # Bumped by each member add on MariaDB/MySQL: the write Galera certifies
    # (db.repository.Repository._lock_image). Added by v007.
    lock_serial = peewee.BigIntegerField(default=0)

    class Meta:
        table_name = 'images'
        indexes = (
            # The owner's list and the default sort.
            (('owner', 'created_at', 'id'), False),
            # Public/community listing and the default sort.
            (('visibility', 'created_at', 'id'), False),
            (('created_at', 'id'), False),
        )


class ImageProperty(BaseModel):
    # The id keeps the order properties were added in: Glance shows them so.
    id = peewee.AutoField()
    image = peewee.ForeignKeyField(Image, column_name='image_id',
                                   on_delete='CASCADE')
    name = peewee.CharField(max_length=255)
    value = peewee.TextField()

    class Meta:
        table_name = 'image_properties'
        indexes = ((('image', 'name'), True), (('name',), False))


class ImageTag(BaseModel):
    image = peewee.ForeignKeyField(Image, column_name='image_id',
                                   on_delete='CASCADE')
    value = peewee.CharField(max_length=255)

    class Meta:
        table_name = 'image_tags'
        primary_key = peewee.CompositeKey('image', 'value')
        indexes = ((('value',), False),)


class ImageMember(BaseModel):
    """One row per (image, member) for ever: a removed member is marked
    deleted, so re-adding it keeps its first created_at, and the unique key
    holds with no NULL in it (Glance's does not, and races past it)."""
    id = peewee.AutoField()
    image = peewee.ForeignKeyField(Image, column_name='image_id',
                                   on_delete='CASCADE')
    member = peewee.CharField(max_length=255)
    status = peewee.CharField(max_length=20, default='pending')
    deleted = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField()
    updated_at = peewee.DateTimeField()
    # The image's created_at (fixed for life): a consumer's shares, read
    # through the indexes below, come out in the image list's default order.
    # Added by v004; NOT NULL on SQLite too since v005.
    image_created_at = peewee.DateTimeField()

    class Meta:
        table_name = 'image_members'
        # Created by migration v004 (named there).
        indexes = (
            (('image', 'member'), True),
            (('member', 'deleted', 'status', 'image_created_at', 'image'),
             False),
            (('member', 'deleted', 'image_created_at', 'image'), False),
        )


class DeletedImage(BaseModel):
    """The ids of deleted images: an id is never reused (as Glance)."""
    id = peewee.CharField(max_length=36, primary_key=True)
    deleted_at = peewee.DateTimeField()

    class Meta:
        table_name = 'deleted_images'


class ImageUpload(BaseModel):
    """The upload in flight of an image in `saving`: the process receiving
    it (glance_members.uploads) and its last heartbeat."""
    image = peewee.ForeignKeyField(Image, column_name='image_id',
                                   primary_key=True, on_delete='CASCADE')
    owner = peewee.CharField(max_length=255)
    heartbeat_at = peewee.DateTimeField()

    class Meta:
        table_name = 'image_uploads'


ALL_MODELS = (Image, ImageProperty, ImageTag, ImageMember, DeletedImage,
              ImageUpload)
