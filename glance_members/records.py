"""Plain records the repository returns and the sharing rules read.

No peewee objects leave glance_members.db: these dataclasses do.
"""

import contextvars
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


# --- the sharing API (/sharing/v1) ---------------------------------------
# History events, as stored and shown.
CREATED = 'created'
STATUS_CHANGED = 'status_changed'
REMOVED = 'removed'
LEFT = 'left'
EXPIRED = 'expired'
AUTO_ACCEPTED = 'auto_accepted'
EXPIRY_CHANGED = 'expiry_changed'
EVENTS = (CREATED, STATUS_CHANGED, REMOVED, LEFT, EXPIRED, AUTO_ACCEPTED,
          EXPIRY_CHANGED)
# Where a change was made (sharing_history.source): through glance-members,
# or on an existing Glance directly, as its mirror saw it (beside Glance).
SOURCE_LOCAL = 'glance-members'
SOURCE_GLANCE = 'glance'


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who made a change: the history rows name them. `auth`: their
    keystoneauth1 auth plugin (keystonemiddleware's, for the request's
    token), with which a storage beside Glance writes there as them."""
    user_id: str | None = None
    project_id: str | None = None
    request_id: str | None = None
    auth: object = dataclasses.field(default=None, compare=False,
                                     repr=False)


# The actor of the request being served (set by the app, by the manage
# command for its own writes); the repository stamps history rows with it.
current_actor = contextvars.ContextVar('glance_members_actor',
                                       default=Actor())


@dataclasses.dataclass
class ImageSummary:
    id: str
    name: str | None
    owner: str | None
    disk_format: str | None
    container_format: str | None
    size: int | None
    status: str
    created_at: datetime.datetime


@dataclasses.dataclass
class Share:
    """A membership with its expiry (and, in the inbox, its image)."""
    image_id: str
    member_id: str
    status: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    expires_at: datetime.datetime | None = None
    image: ImageSummary | None = None


@dataclasses.dataclass
class Trust:
    consumer: str
    producer: str
    created_at: datetime.datetime


@dataclasses.dataclass
class HistoryEntry:
    id: int
    image_id: str
    image_owner: str | None
    member_id: str
    event: str
    actor_user_id: str | None
    actor_project_id: str | None
    request_id: str | None
    created_at: datetime.datetime
    before_status: str | None
    after_status: str | None
    before_expires_at: datetime.datetime | None
    after_expires_at: datetime.datetime | None


@dataclasses.dataclass
class PairResult:
    """The outcome of one (image, member) pair of a batch."""
    image_id: str
    member_id: str
    result: str
    status: str | None = None
    expires_at: datetime.datetime | None = None
