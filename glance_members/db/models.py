"""peewee models on a database proxy; only glance_members.db imports them."""

import peewee

from glance_members import records

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
    # Past it the membership is gone from every view (a query-time rule);
    # glance-members-manage purges it later. Added by v007.
    expires_at = peewee.DateTimeField(null=True)
    # Whether the image's visibility is 'shared' (only then does the
    # membership give access): written with every visibility change, so the
    # inbox counts read their index alone. Added by v009.
    image_shared = peewee.BooleanField(default=False)

    class Meta:
        table_name = 'image_members'
        # Created by migrations v004, v007 and v009 (named there).
        indexes = (
            (('image', 'member'), True),
            (('member', 'deleted', 'status', 'image_created_at', 'image'),
             False),
            (('member', 'deleted', 'image_created_at', 'image'), False),
            (('member', 'deleted', 'image_shared', 'status', 'expires_at'),
             False),
            (('expires_at',), False),
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


class SharingTrust(BaseModel):
    """A consumer project trusts a producer project: its shares arrive
    accepted (/sharing/v1/trusted-producers)."""
    id = peewee.AutoField()
    consumer = peewee.CharField(max_length=255)
    producer = peewee.CharField(max_length=255)
    created_at = peewee.DateTimeField()

    class Meta:
        table_name = 'sharing_trusts'
        indexes = ((('consumer', 'producer'), True),)


class SharingHistory(BaseModel):
    """Append-only: one row per membership change, written in the
    transaction of the change. No foreign key: it outlives the image."""
    id = peewee.BigAutoField()
    image_id = peewee.CharField(max_length=36)
    image_owner = peewee.CharField(max_length=255, null=True)
    member_id = peewee.CharField(max_length=255)
    event = peewee.CharField(max_length=20)
    actor_user_id = peewee.CharField(max_length=255, null=True)
    actor_project_id = peewee.CharField(max_length=255, null=True)
    request_id = peewee.CharField(max_length=64, null=True)
    created_at = peewee.DateTimeField()
    before_status = peewee.CharField(max_length=20, null=True)
    after_status = peewee.CharField(max_length=20, null=True)
    before_expires_at = peewee.DateTimeField(null=True)
    after_expires_at = peewee.DateTimeField(null=True)
    # Where the change was made: SOURCE_LOCAL, or SOURCE_GLANCE for one the
    # mirror saw made on Glance directly (db/mirror.py). Added by v011.
    source = peewee.CharField(max_length=20, default=records.SOURCE_LOCAL)

    class Meta:
        table_name = 'sharing_history'
        indexes = ((('image_id', 'id'), False),
                   (('member_id', 'id'), False),
                   (('image_owner', 'id'), False))


class ConsumerLock(BaseModel):
    """A row per consumer project that MariaDB transactions write to
    serialize changes to that consumer's memberships (PostgreSQL takes an
    advisory lock instead): Galera certifies the rows a transaction writes,
    so two nodes' writers conflict here and the later one is run again.
    Added by v010."""
    consumer = peewee.CharField(max_length=255, primary_key=True)
    serial = peewee.BigIntegerField(default=0)

    class Meta:
        table_name = 'sharing_consumer_locks'


class GlanceMirrorImage(BaseModel):
    """Beside an existing Glance: when the mirror last read an image's
    truth from Glance (our clock, taken before the read), and whether
    Glance said it was gone. A read older than the one applied is never
    applied (db/mirror.py); the row outlives the image. Added by v011."""
    image_id = peewee.CharField(max_length=36, primary_key=True)
    read_at = peewee.DateTimeField(null=True)
    gone = peewee.BooleanField(default=False)
    # Bumped by every application: the write that serializes two hosts
    # applying the same image (an upsert, so it exists to be locked).
    serial = peewee.BigIntegerField(default=0)

    class Meta:
        table_name = 'glance_mirror_images'


ALL_MODELS = (Image, ImageProperty, ImageTag, ImageMember, DeletedImage,
              ImageUpload, SharingTrust, SharingHistory, ConsumerLock,
              GlanceMirrorImage)
# What a refused request must leave as it was: every table but the lock
# rows, which a MariaDB read under a consumer's lock writes (and which
# nobody reads).
DATA_MODELS = tuple(m for m in ALL_MODELS if m is not ConsumerLock)


def data_fields(model):
    """The fields of `model` that hold data: not images.lock_serial, which
    MariaDB's locking writes bump (Repository._lock_image) even when
    nothing else changes."""
    return [f for f in model._meta.sorted_fields
            if not (model is Image and f.name == 'lock_serial')]
