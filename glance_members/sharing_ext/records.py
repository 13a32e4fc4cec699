"""Plain records of the sharing extension, as the repository returns them."""

import contextvars
import dataclasses
import datetime

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


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who made a change: the history rows name them."""
    user_id: str | None = None
    project_id: str | None = None
    request_id: str | None = None


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
