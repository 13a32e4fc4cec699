"""Plain records the repository returns and the sharing rules read.

No peewee objects leave glance_members.db: these dataclasses do.
"""

import dataclasses
import datetime

MEMBER_STATUSES = ('pending', 'accepted', 'rejected')
VISIBILITIES = ('public', 'community', 'shared', 'private')
IMAGE_STATUSES = ('queued', 'saving', 'active', 'killed', 'deleted',
                  'uploading', 'importing', 'pending_delete', 'deactivated')

# Image attributes stored as columns, in the order Glance renders them.
BASE_ATTRIBUTES = ('name', 'disk_format', 'container_format', 'visibility',
                   'size', 'virtual_size', 'status', 'checksum', 'protected',
                   'min_ram', 'min_disk', 'owner', 'os_hidden',
                   'os_hash_algo', 'os_hash_value')

# What a client may set on an image (PATCH paths and create keys).
SETTABLE_ATTRIBUTES = ('name', 'disk_format', 'container_format',
                       'visibility', 'protected', 'min_ram', 'min_disk',
                       'owner', 'os_hidden')


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


@dataclasses.dataclass
class Image:
    id: str
    owner: str | None
    name: str | None = None
    disk_format: str | None = None
    container_format: str | None = None
    visibility: str = 'shared'
    size: int | None = None
    virtual_size: int | None = None
    status: str = 'queued'
    checksum: str | None = None
    protected: bool = False
    min_ram: int = 0
    min_disk: int = 0
    os_hidden: bool = False
    os_hash_algo: str | None = None
    os_hash_value: str | None = None
    # Where the store keeps the bytes; never shown to clients.
    location: str | None = None
    created_at: datetime.datetime | None = None
    updated_at: datetime.datetime | None = None
    properties: dict = dataclasses.field(default_factory=dict)
    tags: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Member:
    image_id: str
    member_id: str
    status: str
    created_at: datetime.datetime
    updated_at: datetime.datetime


@dataclasses.dataclass(frozen=True)
class Quotas:
    """Glance's per-image quotas ([DEFAULT] image_member_quota,
    image_property_quota, image_tag_quota); negative: unlimited."""
    members: int = -1
    properties: int = -1
    tags: int = -1


@dataclasses.dataclass
class ImageQuery:
    """What GET /v2/images asks for, already validated."""
    limit: int
    marker: str | None = None
    sort_keys: list = dataclasses.field(default_factory=lambda: ['created_at'])
    sort_dirs: list = dataclasses.field(default_factory=lambda: ['desc'])
    # None: not asked; sharing.list_images applies Glance's default.
    member_status: str | None = None
    visibility: str | None = None
    # column -> ('eq'|'in'|'gt'|'gte'|'lt'|'lte'|'neq', value or list)
    column_filters: list = dataclasses.field(default_factory=list)
    property_filters: dict = dataclasses.field(default_factory=dict)
    tags: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class StoreInfo:
    """An image store as the discovery API shows it (store.describe_stores)."""
    id: str
    type: str
    default: bool
    read_only: bool
    properties: dict
    weight: int = 0


@dataclasses.dataclass
class Upload:
    """Who is receiving an image's bytes (glance_members.uploads)."""
    image_id: str
    owner: str
    heartbeat_at: datetime.datetime
