"""The life of a membership, stated once: its statuses, how it arrives,
when it is live, what a revived one keeps, when an image is over its
member quota, and which history event each change is.

Pure functions of plain values (no I/O, no Flask, no peewee): the rule
modules call them, and the storage adapters call them inside their
transactions, under their locks, so that a rule holds while requests race
and is still written only here. Where SQL must apply a rule (which
memberships are live), db.sharing_v1 builds it and
tests/unit/test_lifecycle_sql.py checks it against the function here.
"""

import dataclasses

from glance_members import exception
from glance_members import records

STATUSES = records.MEMBER_STATUSES
# A new member waits for the consumer, and so does a removed member added
# again: Glance revives it as pending, whatever it said before.
NEW_MEMBER_STATUS = 'pending'
# A share from a producer the consumer trusts arrives decided.
TRUSTED_STATUS = 'accepted'
# A list that names no member_status shows, of the images shared with the
# caller, only those it accepted (Glance's default).
DEFAULT_LIST_MEMBER_STATUS = 'accepted'

# What a stored membership is, as of a moment.
ABSENT = 'absent'    # no row: never shared
LIVE = 'live'
EXPIRED = 'expired'  # past its expires_at: gone from every view at once
REMOVED = 'removed'  # removed (or left); its row kept for a revival


@dataclasses.dataclass(frozen=True)
class Stored:
    """A membership row as a write finds it."""
    status: str
    expires_at: object = None  # datetime or None
    deleted: bool = False


@dataclasses.dataclass(frozen=True)
class Change:
    """One history row to write: before/after are (status, expires_at)
    or None (no membership)."""
    event: str
    before: tuple | None
    after: tuple | None


def is_expired(expires_at, now):
    """Past its expiry: the one statement of it (db.sharing_v1.live is
    its SQL)."""
    return expires_at is not None and expires_at <= now


def state(stored, now):
    if stored is None:
        return ABSENT
    if stored.deleted:
        return REMOVED
    return EXPIRED if is_expired(stored.expires_at, now) else LIVE


def is_live(stored, now):
    return state(stored, now) == LIVE


def is_over_quota(quota, attempted):
    """Glance's per-image quotas: a negative quota is no limit."""
    return 0 <= quota < attempted


def check_member_quota(quota, members_after):
    """OverLimit (with `attempted`) when an image would have more members
    than its quota. An image at its quota refuses even a member it has
    (Glance checks the quota before duplicates)."""
    if is_over_quota(quota, members_after):
        raise exception.OverLimit(attempted=members_after)


def arrive(stored, now, trusted, expires_at=None):
    """A share made, or made again: (status, [Change]).

    Refuses (Duplicate) a membership that is live. A trusted producer's
    share arrives accepted, any other pending; a revived one (removed or
    expired) starts afresh: the status of a new one and the expiry asked
    for now (none on /v2), keeping only its created_at. An expired one is
    recorded as expired first."""
    current = state(stored, now)
    if current == LIVE:
        raise exception.Duplicate()
    changes = []
    if current == EXPIRED:
        changes.append(Change(records.EXPIRED,
                              (stored.status, stored.expires_at), None))
    status = TRUSTED_STATUS if trusted else NEW_MEMBER_STATUS
    changes.append(Change(records.AUTO_ACCEPTED if trusted else
                          records.CREATED, None, (status, expires_at)))
    return status, changes


def decide(stored, status):
    """The consumer sets its status: the Change, or None when it already
    is (Glance keeps updated_at then). Any status may follow any other."""
    if stored.status == status:
        return None
    return Change(records.STATUS_CHANGED, (stored.status, stored.expires_at),
                  (status, stored.expires_at))


def accept_on_trust(stored):
    """Trusting a producer with accept_pending: its pending shares become
    accepted (None for any other)."""
    if stored.status != NEW_MEMBER_STATUS:
        return None
    return Change(records.AUTO_ACCEPTED, (stored.status, stored.expires_at),
                  (TRUSTED_STATUS, stored.expires_at))


def end(stored, now, event=records.REMOVED):
    """A live membership removed (`event`: removed, left) or taken with
    its image; one past its expiry is recorded as expired."""
    current = state(stored, now)
    if current in (ABSENT, REMOVED):
        return None
    if current == EXPIRED:
        event = records.EXPIRED
    return Change(event, (stored.status, stored.expires_at), None)


def change_expiry(stored, expires_at):
    """The producer sets (None: clears) the expiry of a live share."""
    if stored.expires_at == expires_at:
        return None
    return Change(records.EXPIRY_CHANGED, (stored.status, stored.expires_at),
                  (stored.status, expires_at))
