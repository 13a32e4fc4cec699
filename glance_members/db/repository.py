"""The repository: every read and write of images and members, in SQL.

Functions return records (plain dataclasses); peewee stays in db/. Every
statement runs on the repository's own database, never the models' global
proxy. Each write is one transaction that takes the write lock first
(SQLite `BEGIN IMMEDIATE`; a row lock on the image elsewhere), so quota,
uniqueness and delete-vs-add races are decided by the database, not by luck.
The image list's SQL is in db/listing.py, the prepared statements' machinery
in db/prepared.py.
"""

import collections

import peewee

from glance_members import exception
from glance_members import records
from glance_members.db import errors
from glance_members.db import listing
from glance_members.db import models
from glance_members.db import prepared
from glance_members.db import sharing_v1
from glance_members.sharing import lifecycle

# What a metadata update may write: data fields change only through the
# upload path, so a PATCH racing an upload cannot undo it.
_DATA_FIELDS = ('status', 'size', 'virtual_size', 'checksum', 'os_hash_algo',
                'os_hash_value', 'location')
# An image row (kind 0), then its properties in the order they were added
# (1) and its tags sorted (2), as rows of one shape; {p}: the parameter
# mark of the database, {q}: its identifier quotes.
_IMAGE_AND_CHILDREN = (
    'SELECT 0 AS kind, {columns}, NULL AS child_name, NULL AS child_value, '
    '0 AS position FROM images WHERE id = {p} '
    'UNION ALL SELECT 1, {nulls}, name, value, id FROM image_properties '
    'WHERE image_id = {p} '
    'UNION ALL SELECT 2, {nulls}, value, NULL, 0 FROM image_tags '
    'WHERE image_id = {p}{order}')
_IMAGE_AND_CHILDREN_SQL = {}  # by kind of database
_CHILDREN_ORDER = ' ORDER BY kind, position, child_name'

# A membership row as a write finds it (stored: a lifecycle.Stored, None
# when there is no row), with its image's owner.
MemberRow = collections.namedtuple('MemberRow', 'stored created_at owner')


def _image_sharing_query(image_id):
    return models.Image.select(
        models.Image.created_at, models.Image.owner,
        models.Image.visibility).where(models.Image.id == image_id)


def _member_state_query(image_id, member_id):
    Member = models.ImageMember
    owner = models.Image.select(models.Image.owner).where(
        models.Image.id == Member.image)
    return Member.select(Member.deleted, Member.status, Member.expires_at,
                         Member.created_at, owner).where(
        (Member.image == image_id) & (Member.member == member_id))


def _image_and_children_sql(database):
    sql = _IMAGE_AND_CHILDREN_SQL.get(type(database))
    if sql is None:
        quote = database.quote[0] + '%s' + database.quote[-1]
        sql = _IMAGE_AND_CHILDREN_SQL[type(database)] = \
            _IMAGE_AND_CHILDREN.format(
                columns=', '.join(quote % f for f in listing.IMAGE_FIELDS),
                nulls=', '.join(['NULL'] * len(listing.IMAGE_FIELDS)),
                p=database.param, order='' if not database.sorts_unions
                else _CHILDREN_ORDER)
    return sql


def _by_kind_position_name(row):
    return row[0], row[-1], row[-3] or ''


class Repository(sharing_v1.SharingRepository):
    """Images, their properties, tags and members (and, through
    db.sharing_v1, the sharing extension's trusts and history)."""

    def __init__(self, database):
        self.database = database

    def release(self):
        """End of a request (db.engines: a pooled connection goes back)."""
        self.database.release()

    @errors.read
    def ping(self):
        """Ask the database a trivial question (the health check):
        ServiceUnavailable when it does not answer."""
        self.database.execute_sql('SELECT 1').fetchone()

    # The image row a member write locks first, with what the write needs.
    _IMAGE_SHARING_LOCKED = prepared.Prepared(
        lambda image_id: _image_sharing_query(image_id), 1, locking=True)

    def _lock_image(self, image_id):
        """(created_at, owner, visibility) of the image (None if it is
        gone), its row locked for the rest of the transaction (SQLite: the
        write lock is taken already)."""
        self.database.claim_images([image_id])
        rows = self._IMAGE_SHARING_LOCKED.rows(self.database, image_id)
        return rows[0] if rows else None

    # --- images -----------------------------------------------------------

    @errors.read
    def get_image(self, image_id):
        """The image with its properties and tags, in one round trip (the
        start of nearly every request, whose PostgreSQL round trips are
        much of its time)."""
        rows = self.database.execute_sql(_image_and_children_sql(
            self.database), [image_id] * 3).fetchall()
        if not self.database.sorts_unions:
            rows = sorted(rows, key=_by_kind_position_name)
        if not rows or rows[0][0] != 0:
            return None
        image = records.Image(**dict(zip(
            listing.IMAGE_FIELDS, prepared.row_reader(
                listing.IMAGE_CONVERTERS, self.database)(rows[0][1:]))))
        for row in rows[1:]:
            kind, name, value = row[0], row[-3], row[-2]
            if kind == 1:
                image.properties[name] = value
            else:
                image.tags.append(name)
        return image

    @errors.read
    def list_images(self, query, project_id, is_admin, marker=None):
        """One page of `query`; `marker` is the record of query.marker,
        which the caller has already looked up (and checked)."""
        return self._with_children(listing.page_rows(
            self.database, query, project_id, is_admin, marker))

    def _with_children(self, rows):
        """Records for image rows (the fields, then the sort keys), with
        their properties and tags."""
        images = {row[0]: records.Image(**dict(zip(listing.IMAGE_FIELDS,
                                                   row)))
                  for row in rows}
        if images:
            self._load_children(images)
        return [images[row[0]] for row in rows]

    def _load_children(self, images):
        """Properties (in the order they were added) and tags (sorted) of
        {id: record}: one statement, never one per image. Plain SQL: peewee
        building it cost more than running it."""
        ids = list(images)
        marks = ', '.join([self.database.param] * len(ids))
        in_python = not self.database.sorts_unions
        rows = self.database.execute_sql(
            'SELECT image_id, 0 AS is_tag, name, value, id AS position '
            'FROM image_properties WHERE image_id IN (%s) UNION ALL '
            'SELECT image_id, 1, value, NULL, 0 FROM image_tags '
            'WHERE image_id IN (%s)%s'
            % (marks, marks, '' if in_python else
               ' ORDER BY is_tag, position, name'), ids + ids).fetchall()
        if in_python:
            rows = sorted(rows, key=lambda row: (row[1], row[4], row[2]))
        for image_id, is_tag, name, value, _ in rows:
            if is_tag:
                images[image_id].tags.append(name)
            else:
                images[image_id].properties[name] = value

    @errors.write
    def create_image(self, image):
        now = records.utcnow()
        image.created_at = image.updated_at = now
        try:
            with self.database.write():
                if models.DeletedImage.select().where(
                        models.DeletedImage.id == image.id).exists(
                            self.database):
                    raise exception.Duplicate()
                models.Image.insert(**{
                    f: getattr(image, f) for f in listing.IMAGE_FIELDS
                }).execute(self.database)
                self._write_children(image)
        except peewee.IntegrityError as e:
            raise exception.Duplicate() from e
        return image

    @errors.write
    def update_image(self, image):
        """Store every field of `image`; None if it was deleted meanwhile."""
        image.updated_at = records.utcnow()
        fields = {f: getattr(image, f) for f in listing.IMAGE_FIELDS
                  if f not in ('id', 'created_at') + _DATA_FIELDS}
        with self.database.write():
            updated = models.Image.update(**fields).where(
                models.Image.id == image.id).execute(self.database)
            if not updated:
                return None
            shared = image.visibility == 'shared'
            models.ImageMember.update(image_shared=shared).where(
                (models.ImageMember.image == image.id) &
                (models.ImageMember.image_shared != shared)).execute(
                self.database)
            models.ImageProperty.delete().where(
                models.ImageProperty.image == image.id).execute(self.database)
            models.ImageTag.delete().where(
                models.ImageTag.image == image.id).execute(self.database)
            self._write_children(image)
        return image

    def _write_children(self, image):
        image.tags = sorted(set(image.tags))  # Glance lists them so
        if image.properties:
            models.ImageProperty.insert_many(
                [(image.id, k, v) for k, v in image.properties.items()],
                fields=[models.ImageProperty.image, models.ImageProperty.name,
                        models.ImageProperty.value]).execute(self.database)
        if image.tags:
            models.ImageTag.insert_many(
                [(image.id, t) for t in image.tags],
                fields=[models.ImageTag.image,
                        models.ImageTag.value]).execute(self.database)

    @errors.write
    def delete_image(self, image_id):
        """Delete the image with its members, properties and tags; return
        the store location of its data (or None), or False if it was gone."""
        with self.database.write():
            row = models.Image.select(models.Image.location).where(
                models.Image.id == image_id).tuples().first(self.database)
            if row is None:
                return False
            self._record_image_delete(image_id)
            for model in (models.ImageMember, models.ImageProperty,
                          models.ImageTag, models.Image):
                column = model.id if model is models.Image else model.image
                model.delete().where(column == image_id).execute(
                    self.database)
            models.DeletedImage.insert(
                id=image_id, deleted_at=records.utcnow()).execute(
                self.database)
        return row[0]

    @errors.write
    def change_status(self, image_id, from_status, to_status, **data):
        """Compare-and-set the status (and data fields); True if it was
        `from_status` and now is `to_status`. Upload and (de)activation go
        through here so that two of them can never both win. Leaving
        `saving` ends the image's upload record in the same transaction."""
        data.update(status=to_status, updated_at=records.utcnow())
        with self.database.write():
            changed = bool(models.Image.update(**data).where(
                (models.Image.id == image_id) &
                (models.Image.status == from_status)).execute(self.database))
            if changed and from_status == 'saving':
                models.ImageUpload.delete().where(
                    models.ImageUpload.image == image_id).execute(
                    self.database)
            return changed

    # --- uploads in flight ------------------------------------------------

    @errors.write
    def start_upload(self, image_id, owner):
        """queued -> saving, recording `owner` as the receiving process;
        False if the image was not queued."""
        now = records.utcnow()
        with self.database.write():
            if not models.Image.update(status='saving', updated_at=now).where(
                    (models.Image.id == image_id) &
                    (models.Image.status == 'queued')).execute(self.database):
                return False
            models.ImageUpload.delete().where(
                models.ImageUpload.image == image_id).execute(self.database)
            models.ImageUpload.insert(image=image_id, owner=owner,
                                      heartbeat_at=now).execute(self.database)
            return True

    @errors.read
    def get_upload(self, image_id):
        rows = models.ImageUpload.select(
            models.ImageUpload.owner, models.ImageUpload.heartbeat_at).where(
            models.ImageUpload.image == image_id).tuples().execute(
            self.database)
        for owner, heartbeat_at in rows:
            return records.Upload(image_id, owner, heartbeat_at)
        return None

    @errors.write
    def renew_uploads(self, owner, image_ids):
        """The heartbeat of `owner`'s uploads in flight."""
        with self.database.write():
            models.ImageUpload.update(heartbeat_at=records.utcnow()).where(
                (models.ImageUpload.owner == owner) &
                (models.ImageUpload.image.in_(list(image_ids)))).execute(
                self.database)

    @errors.write
    def abandon_upload(self, image_id, owner):
        """saving -> queued for an upload whose receiver is gone, only if
        `owner` (None: no record) is still the one recorded: a new upload
        that started meanwhile is never undone."""
        with self.database.write():
            if self._lock_image(image_id) is None:
                return False
            recorded = models.ImageUpload.select(
                models.ImageUpload.owner).where(
                models.ImageUpload.image == image_id).tuples().execute(
                self.database)
            if [row[0] for row in recorded] != ([owner] if owner else []):
                return False
            models.ImageUpload.delete().where(
                models.ImageUpload.image == image_id).execute(self.database)
            return bool(models.Image.update(
                status='queued', updated_at=records.utcnow()).where(
                (models.Image.id == image_id) &
                (models.Image.status == 'saving')).execute(self.database))

    # --- members ----------------------------------------------------------
    # A membership past its expires_at (sharing extension) is gone from
    # every read at once: `live` is the query-time rule, `now` a parameter.

    # records.Member's fields, in its order: a row is the record's values.
    _MEMBER_FIELDS = tuple(sharing_v1.columns(
        records.Member, models.ImageMember, image_id=models.ImageMember.image,
        member_id=models.ImageMember.member))

    _MEMBER = prepared.Prepared(
        lambda image_id, member_id, now: models.ImageMember.select(
            *Repository._MEMBER_FIELDS).where(
            (models.ImageMember.deleted == False) &  # noqa: E712
            (models.ImageMember.image == image_id) &
            (models.ImageMember.member == member_id) &
            sharing_v1.live(now)), 3)
    _MEMBERS_OF = prepared.Prepared(
        lambda image_id, now: models.ImageMember.select(
            *Repository._MEMBER_FIELDS).where(
            (models.ImageMember.deleted == False) &  # noqa: E712
            (models.ImageMember.image == image_id) &
            sharing_v1.live(now)).order_by(models.ImageMember.id), 2)

    @errors.read
    def get_member(self, image_id, member_id):
        rows = self._MEMBER.rows(self.database, image_id, member_id,
                                 records.utcnow())
        return records.Member(*rows[0]) if rows else None

    @errors.read
    def list_members(self, image_id):
        return [records.Member(*row) for row in self._MEMBERS_OF.rows(
            self.database, image_id, records.utcnow())]

    _MEMBER_COUNT = prepared.Prepared(
        lambda image_id, now: models.ImageMember.select(
            peewee.fn.COUNT(models.ImageMember.id)).where(
            (models.ImageMember.image == image_id) &
            (models.ImageMember.deleted == False) &  # noqa: E712
            sharing_v1.live(now)), 2)
    # A membership row's state and its image's owner (for the history),
    # in one statement; on PostgreSQL/MariaDB the membership row is locked
    # (FOR UPDATE does not reach into the subquery: the image row is not).
    _MEMBER_STATE = prepared.Prepared(
        lambda image_id, member_id: _member_state_query(image_id, member_id),
        2, locking=True)
    _INSERT_MEMBER = prepared.Prepared(
        lambda image_id, member_id, status, now, image_created_at,
        image_shared: models.ImageMember.insert(
            image=image_id, member=member_id, status=status,
            deleted=False, created_at=now, updated_at=now,
            image_created_at=image_created_at,
            image_shared=image_shared), 6)
    _REVIVE_MEMBER = prepared.Prepared(
        lambda image_id, member_id, status, now: models.ImageMember.update(
            status=status, deleted=False, updated_at=now,
            expires_at=None).where(
            (models.ImageMember.image == image_id) &
            (models.ImageMember.member == member_id)), 4)
    _SET_MEMBER_STATUS = prepared.Prepared(
        lambda image_id, member_id, status, now: models.ImageMember.update(
            status=status, updated_at=now).where(
            (models.ImageMember.image == image_id) &
            (models.ImageMember.member == member_id) &
            (models.ImageMember.deleted == False)), 4)  # noqa: E712
    _DELETE_MEMBER = prepared.Prepared(
        lambda image_id, member_id, now: models.ImageMember.update(
            deleted=True, updated_at=now).where(
            (models.ImageMember.image == image_id) &
            (models.ImageMember.member == member_id) &
            (models.ImageMember.deleted == False)), 3)  # noqa: E712

    def _member_row(self, image_id, member_id):
        """The MemberRow of a membership, its row locked."""
        rows = self._MEMBER_STATE.rows(self.database, image_id, member_id)
        if not rows:
            return MemberRow(None, None, None)
        deleted, status, expires_at, created_at, owner = rows[0]
        return MemberRow(lifecycle.Stored(status, expires_at, deleted),
                         created_at, owner)

    @errors.write
    def add_member(self, image_id, member_id, quota):
        """Add a membership, or revive a removed (or expired) one keeping
        its created_at, in the status sharing.lifecycle.arrive gives it.

        Raises NotFound if the image went away, OverLimit (with
        `attempted`) past `quota` (negative: unlimited), Duplicate if the
        membership is live; the quota first (lifecycle.check_member_quota),
        all under the image's lock.
        """
        now = records.utcnow()
        with self.database.write():
            locked = self._lock_image(image_id)
            if locked is None:
                raise exception.NotFound()
            image_created_at, owner, visibility = locked
            [(count,)] = self._MEMBER_COUNT.rows(self.database, image_id, now)
            lifecycle.check_member_quota(quota, count + 1)
            old = self._member_row(image_id, member_id)
            self.database.lock_consumers([member_id])
            status, changes = lifecycle.arrive(
                old.stored, now, self._trusted(member_id, owner))
            if old.stored is None:
                self._INSERT_MEMBER.run(self.database, image_id, member_id,
                                        status, now, image_created_at,
                                        visibility == 'shared')
            else:
                self._REVIVE_MEMBER.run(self.database, image_id, member_id,
                                        status, now)
            self._record([(image_id, owner, member_id, c) for c in changes],
                         now)
        return records.Member(image_id, member_id, status,
                              old.created_at or now, now)

    @errors.write
    def update_member_status(self, image_id, member_id, status):
        """None if the membership is gone: an update never revives it."""
        now = records.utcnow()
        with self.database.write():
            old = self._member_row(image_id, member_id)
            if not lifecycle.is_live(old.stored, now):
                return None
            change = lifecycle.decide(old.stored, status)
            if change is not None:
                self._SET_MEMBER_STATUS.run(self.database, image_id,
                                            member_id, status, now)
                self._record([(image_id, old.owner, member_id, change)], now)
        return records.Member(image_id, member_id, status, old.created_at,
                              now)

    # --- operator tools ----------------------------------------------------

    @errors.read
    def is_deleted_image(self, image_id):
        return models.DeletedImage.select().where(
            models.DeletedImage.id == image_id).exists(self.database)

    @errors.write
    def import_image(self, image, members):
        """Store an image as another Glance had it (status, location and
        timestamps included) with its members (records.Member), in one
        transaction; False if its id is taken here (or was deleted)."""
        try:
            with self.database.write():
                if models.DeletedImage.select().where(
                        models.DeletedImage.id == image.id).exists(
                            self.database):
                    return False
                models.Image.insert(**{
                    f: getattr(image, f) for f in listing.IMAGE_FIELDS
                }).execute(self.database)
                self._write_children(image)
                if members:
                    models.ImageMember.insert_many([
                        (image.id, m.member_id, m.status, False,
                         m.created_at, m.updated_at, image.created_at,
                         image.visibility == 'shared')
                        for m in members], fields=[
                        models.ImageMember.image, models.ImageMember.member,
                        models.ImageMember.status,
                        models.ImageMember.deleted,
                        models.ImageMember.created_at,
                        models.ImageMember.updated_at,
                        models.ImageMember.image_created_at,
                        models.ImageMember.image_shared]).execute(
                        self.database)
        except peewee.IntegrityError:
            return False
        return True

    @errors.write
    def record_deleted_image(self, image_id, deleted_at):
        """Remember a deleted image's id (never to be given out again);
        False if it is known already (or is an image here)."""
        with self.database.write():
            if models.Image.select().where(
                    models.Image.id == image_id).exists(self.database) or \
                    models.DeletedImage.select().where(
                        models.DeletedImage.id == image_id).exists(
                        self.database):
                return False
            models.DeletedImage.insert(
                id=image_id, deleted_at=deleted_at or records.utcnow()
            ).execute(self.database)
        return True

    def _memberships(self, image_id, project_id):
        Member = models.ImageMember
        query = Member.select(*self._MEMBER_FIELDS)
        if image_id is not None:
            query = query.where(Member.image == image_id)
        if project_id is not None:
            query = query.where(Member.member == project_id)
        return query

    @errors.read
    def find_memberships(self, image_id=None, project_id=None):
        """Current memberships of an image and/or a project, oldest first."""
        Member = models.ImageMember
        query = self._memberships(image_id, project_id).where(
            Member.deleted == False).order_by(Member.id)  # noqa: E712
        return [records.Member(*row)
                for row in query.tuples().execute(self.database)]

    @errors.write
    def purge_memberships(self, image_id=None, project_id=None):
        """Remove every membership row (current or revoked) of an image
        and/or a project; return how many went."""
        Member = models.ImageMember
        with self.database.write():
            query = Member.delete()
            if image_id is not None:
                query = query.where(Member.image == image_id)
            if project_id is not None:
                query = query.where(Member.member == project_id)
            return query.execute(self.database)

    @errors.write
    def delete_member(self, image_id, member_id):
        now = records.utcnow()
        with self.database.write():
            old = self._member_row(image_id, member_id)
            if not lifecycle.is_live(old.stored, now):
                return False
            self._DELETE_MEMBER.run(self.database, image_id, member_id, now)
            self._record([(image_id, old.owner, member_id,
                           lifecycle.end(old.stored, now))], now)
        return True
