"""The mirror of an existing Glance's images and memberships, in the
schema the /sharing/v1 reads already use (`images`, `image_members`,
`sharing_history`), so every read works on it unchanged.

MirrorStore.apply_images writes Glance's truth for a batch of images
(sharing.mirroring.Snapshot) in one transaction: what changed is found by
sharing.mirroring.plan_image and recorded in the history with source
'glance'. Applying the same snapshot twice changes nothing the second
time, and a snapshot read before the one last applied for its image is
dropped (glance_mirror_images.read_at), so an older event never
overwrites a newer state. The images' rows hold only what sharing reads
(location NULL, no properties or tags).

Uses the Repository's building blocks (_lock_images, _record,
_insert_rows), its database's engine (db.engines) and db.errors.
"""

import contextlib
import dataclasses

import peewee

from glance_members import records
from glance_members.db import errors
from glance_members.db import models
from glance_members.sharing import mirroring

Image = models.Image
Member = models.ImageMember
State = models.GlanceMirrorImage
History = models.SharingHistory


@dataclasses.dataclass
class Applied:
    """The outcome for one snapshot: stale (dropped, nothing written) or
    the plan written (plan.empty: nothing changed)."""
    image_id: str
    stale: bool
    plan: mirroring.Plan | None = None

    @property
    def changed(self):
        return not self.stale and not self.plan.empty


class MirrorStore:
    """The mirror's writes and reads, on a Repository's database."""

    def __init__(self, repo):
        self.repo = repo
        self.database = repo.database

    def discard_connection(self):
        self.database.discard_connection()

    def release(self):
        self.repo.release()

    # --- applying Glance's truth ------------------------------------------

    @errors.write
    def apply_images(self, snapshots, history=True, actor=None):
        """Make the mirror match each snapshot, all in one transaction;
        [Applied] in the order given (the last of two snapshots of one
        image wins if it is not older). `history` False (the initial sync)
        writes no history rows; otherwise they say source 'glance' and name
        `actor` (records.Actor: Glance's notifications carry none, so
        usually nobody). Raises ServiceUnavailable if the database is."""
        newest = {}
        for snapshot in snapshots:
            kept = newest.get(snapshot.image_id)
            if kept is None or snapshot.read_at >= kept.read_at:
                newest[snapshot.image_id] = snapshot
        ids = sorted(newest)
        now = records.utcnow()
        outcomes = {}
        with self._as(actor), self.database.write():
            # Serializes every applier of these images (two hosts take
            # turns here), and the row exists to be read back.
            self._bump_states(ids)
            self.repo._lock_images(ids)
            applied_at = self._states(ids)
            mirrored = self._images(ids)
            rows = self._member_rows(ids)
            plans = []
            for image_id in ids:
                snapshot = newest[image_id]
                if mirroring.is_stale(snapshot, applied_at.get(image_id)):
                    outcomes[image_id] = Applied(image_id, True)
                    continue
                plan = mirroring.plan_image(
                    image_id, mirrored.get(image_id), rows.get(image_id, {}),
                    snapshot.image, snapshot.members, now)
                plans.append((snapshot, plan))
                outcomes[image_id] = Applied(image_id, False, plan)
            self.database.lock_consumers(
                [m[1] for _, plan in plans for m in plan.members])
            for snapshot, plan in plans:
                self._write_plan(plan, now)
            self._set_states([s for s, _ in plans])
            if history:
                self.repo._record([
                    (plan.image_id, plan.owner, member_id, change)
                    for _, plan in plans
                    for member_id, change in plan.changes], now,
                    source=records.SOURCE_GLANCE)
        return [outcomes[s.image_id] if s is newest[s.image_id] else
                Applied(s.image_id, True) for s in snapshots]

    @contextlib.contextmanager
    def _as(self, actor):
        if actor is None:
            actor = records.Actor()
        token = records.current_actor.set(actor)
        try:
            yield
        finally:
            records.current_actor.reset(token)

    def _bump_states(self, ids):
        if not ids:
            return
        query = State.insert_many(
            [(i, False, 1) for i in ids],
            fields=[State.image_id, State.gone, State.serial])
        self.database.upsert(query, [State.image_id],
                             {State.serial: State.serial + 1})

    def _states(self, ids):
        return dict(State.select(State.image_id, State.read_at).where(
            State.image_id.in_(ids)).tuples().execute(self.database))

    def _set_states(self, snapshots):
        for snapshot in snapshots:
            State.update(read_at=snapshot.read_at,
                         gone=snapshot.image is None).where(
                State.image_id == snapshot.image_id).execute(self.database)

    def _images(self, ids):
        fields = [getattr(Image, f) for f in mirroring.IMAGE_FIELDS]
        found = {}
        for row in Image.select(Image.id, *fields).where(
                Image.id.in_(ids)).tuples().execute(self.database):
            found[row[0]] = records.Image(id=row[0], **dict(zip(
                mirroring.IMAGE_FIELDS, row[1:])))
        return found

    def _member_rows(self, ids):
        found = {}
        for row in Member.select(
                Member.image, Member.member, Member.status, Member.deleted,
                Member.created_at, Member.updated_at,
                Member.expires_at).where(Member.image.in_(ids)).tuples(
                ).execute(self.database):
            found.setdefault(row[0], {})[row[1]] = mirroring.Row(*row[1:])
        return found

    def _write_plan(self, plan, now):
        image_id, image = plan.image_id, plan.image_record
        if plan.image == 'delete':
            Member.delete().where(Member.image == image_id).execute(
                self.database)
            Image.delete().where(Image.id == image_id).execute(self.database)
            return
        fields = {f: getattr(image, f) for f in mirroring.IMAGE_FIELDS}
        if plan.image == 'insert':
            Image.insert(id=image_id, location=None, **fields).execute(
                self.database)
        elif plan.image == 'update':
            Image.update(**fields).where(Image.id == image_id).execute(
                self.database)
        if plan.image_shared is not None:
            Member.update(image_shared=plan.image_shared).where(
                Member.image == image_id).execute(self.database)
        inserts = []
        shared = image.visibility == 'shared'
        for op, member_id, member in plan.members:
            where = (Member.image == image_id) & (Member.member == member_id)
            if op == 'insert':
                inserts.append(dict(
                    image_id=image_id, member=member_id,
                    status=member.status, deleted=False,
                    created_at=member.created_at,
                    updated_at=member.updated_at,
                    image_created_at=image.created_at, expires_at=None,
                    image_shared=shared))
            elif op == 'revive':
                Member.update(status=member.status, deleted=False,
                              created_at=member.created_at,
                              updated_at=member.updated_at, expires_at=None,
                              image_shared=shared).where(where).execute(
                    self.database)
            elif op == 'update':
                Member.update(status=member.status,
                              created_at=member.created_at,
                              updated_at=member.updated_at).where(
                    where).execute(self.database)
            else:
                Member.update(deleted=True, updated_at=now).where(
                    where).execute(self.database)
        if inserts:
            self.repo._insert_rows('image_members', inserts)

    # --- what the reconciliation walks ------------------------------------

    @errors.read
    def image_ids_after(self, cursor, limit):
        """Up to `limit` mirrored image ids above `cursor` (None: from the
        start), in id order: the reconciliation's rotating cursor."""
        query = Image.select(Image.id)
        if cursor is not None:
            query = query.where(Image.id > cursor)
        return [row[0] for row in query.order_by(Image.id).limit(
            limit).tuples().execute(self.database)]

    @errors.read
    def newest_update(self):
        """The latest Glance updated_at in the mirror (None: empty): the
        reconciliation asks Glance for the images changed since."""
        return Image.select(peewee.fn.MAX(Image.updated_at)).scalar(
            self.database)

    @errors.read
    def count_images(self):
        return Image.select().count(self.database)

    @errors.read
    def history_sources(self, image_id):
        """[(member_id, event, source)] of an image's history, oldest
        first."""
        return list(History.select(
            History.member_id, History.event, History.source).where(
            History.image_id == image_id).order_by(History.id).tuples(
            ).execute(self.database))
