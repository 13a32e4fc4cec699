"""What the mirror of an existing Glance must change to match it: the
difference between the mirror's rows of one image and Glance's truth for
it, as operations and history changes. Pure (no I/O): db/mirror.py calls
`plan_image` inside its transaction, under its locks.

Glance is the truth for which memberships exist and their status; the
mirror keeps what only glance-members has (an expiry), and says in its
history what changed, as it saw it.
"""

import dataclasses

from glance_members import records
from glance_members.sharing import lifecycle

# The image fields the mirror keeps (what the sharing views read).
IMAGE_FIELDS = ('owner', 'name', 'visibility', 'status', 'disk_format',
                'container_format', 'size', 'created_at', 'updated_at')


@dataclasses.dataclass
class Row:
    """A membership row of the mirror."""
    member_id: str
    status: str
    deleted: bool
    created_at: object
    updated_at: object
    expires_at: object = None


@dataclasses.dataclass
class Plan:
    """What to write for one image. image: 'insert', 'update', 'delete' or
    None; members: [(op, member_id, records.Member or None)] with op
    'insert', 'revive', 'update' (status or times) or 'delete';
    changes: [(member_id, lifecycle.Change)] for the history, before
    and after (status, expires_at) or None; owner: the image's owner they
    name;
    image_shared: the new value for every membership row of the image when
    its visibility changed, else None."""
    image_id: str
    image: str | None = None
    image_record: records.Image | None = None
    members: list = dataclasses.field(default_factory=list)
    changes: list = dataclasses.field(default_factory=list)
    image_shared: bool | None = None
    owner: str | None = None

    @property
    def empty(self):
        return (self.image is None and not self.members and
                self.image_shared is None)


def _stored(row):
    return lifecycle.Stored(row.status, row.expires_at, row.deleted)


def _gone(row, now):
    """The Change of a membership that goes: 'expired' if it was past its
    expiry already (invisible since), else 'removed' (lifecycle.end)."""
    return lifecycle.end(_stored(row), now)


def plan_image(image_id, mirrored, rows, image, members, now):
    """The Plan that makes the mirror match Glance for one image.

    mirrored: the mirror's image (records.Image, IMAGE_FIELDS read) or
    None; rows: {member_id: Row}, deleted rows included; image: Glance's
    records.Image, None if Glance has it no more; members: Glance's
    [records.Member], None when Glance lists none (image not shared: its
    memberships are kept as they are, and give no access meanwhile).
    """
    plan = Plan(image_id)
    if image is None:
        if mirrored is None and not rows:
            return plan
        plan.image = 'delete'
        plan.owner = mirrored.owner if mirrored else None
        for row in sorted(rows.values(), key=lambda r: r.member_id):
            if not row.deleted:
                plan.changes.append((row.member_id, _gone(row, now)))
        return plan
    plan.image_record = image
    if mirrored is None:
        plan.image = 'insert'
    elif any(getattr(mirrored, f) != getattr(image, f)
             for f in IMAGE_FIELDS):
        plan.image = 'update'
        if (mirrored.visibility == 'shared') != (image.visibility ==
                                                 'shared'):
            plan.image_shared = image.visibility == 'shared'
    if members is None:
        return plan
    plan.owner = image.owner
    seen = set()
    for member in members:
        seen.add(member.member_id)
        row = rows.get(member.member_id)
        arrived = lifecycle.Change(records.CREATED, None,
                                   (member.status, None))
        if row is None:
            plan.members.append(('insert', member.member_id, member))
            plan.changes.append((member.member_id, arrived))
        elif row.deleted:
            plan.members.append(('revive', member.member_id, member))
            plan.changes.append((member.member_id, arrived))
        elif row.status != member.status:
            plan.members.append(('update', member.member_id, member))
            if lifecycle.is_live(_stored(row), now):
                plan.changes.append((member.member_id, lifecycle.decide(
                    _stored(row), member.status)))
        elif (row.created_at, row.updated_at) != (member.created_at,
                                                  member.updated_at):
            plan.members.append(('update', member.member_id, member))
    for member_id, row in sorted(rows.items()):
        if member_id not in seen and not row.deleted:
            plan.members.append(('delete', member_id, None))
            plan.changes.append((member_id, _gone(row, now)))
    return plan


@dataclasses.dataclass
class Snapshot:
    """Glance's truth for one image, as read at `read_at` (our clock,
    taken before the first read): image None if Glance has it no more,
    members None if Glance lists none (not shared) or was not asked."""
    image_id: str
    read_at: object
    image: records.Image | None
    members: list | None


def is_stale(snapshot, applied_read_at):
    """A snapshot read before the one the mirror last applied for its
    image: applying it could undo a newer state, so it is dropped."""
    return applied_read_at is not None and snapshot.read_at < applied_read_at
