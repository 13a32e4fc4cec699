"""The sharing API's storage (/sharing/v1): the inbox, bulk decisions,
leaving, trusted producers, batch share and revoke, expiry and history.

A mixin of the Repository (which brings `database`, one of db.engines):
every list is keyset-paginated on an index, every write one transaction
that writes its history rows too. What each change is (its status, its
history event, whether a share is live) is decided by
glance_members.sharing.lifecycle; this module locks, reads and writes.
Writes that touch a consumer's memberships across images (decisions,
leave, trust, and any share to it) first take that consumer's lock
(engines: lock_consumers), so a trust added while shares arrive can never
leave one pending behind it. Rows are read by name: each record's fields
are selected as columns of the same name.
"""

import dataclasses

import peewee

from glance_members import exception
from glance_members import records
from glance_members.db import errors
from glance_members.db import models
from glance_members.db import prepared
from glance_members.sharing import lifecycle

# peewee's context manager that raises the driver's errors as peewee's
# (getattr: the name would be mangled inside a class body).
_AS_PEEWEE_ERRORS = getattr(peewee, '__exception_wrapper__')

Member = models.ImageMember
Image = models.Image
Trust = models.SharingTrust
History = models.SharingHistory
# Rows per INSERT statement (SQLite's bound-parameter limit is far above).
_CHUNK = 500
# _insert_rows' SQL by (kind of database, table, columns).
_INSERT_SQL = {}


def live(now):
    """lifecycle.is_expired's negation in SQL: a membership not past its
    expiry as of `now` (tests/unit/test_lifecycle_sql.py holds them
    together)."""
    return Member.expires_at.is_null() | (Member.expires_at > now)


def expired(now):
    """lifecycle.is_expired in SQL (a NULL expiry compares as unknown:
    never expired)."""
    return Member.expires_at <= now


def columns(record_type, model, prefix='', **renamed):
    """The columns of `model` holding `record_type`'s fields, each named
    as its field (`prefix` before it); `renamed`: field -> column where
    they differ, or None for a field that is no column (a record nested
    in another)."""
    selected = []
    for field in dataclasses.fields(record_type):
        column = renamed[field.name] if field.name in renamed else \
            getattr(model, field.name)
        if column is not None:
            selected.append(column.alias(prefix + field.name))
    return selected


def read(record_type, row, prefix='', **extra):
    """A record from a row read with .dicts(), by field name (a field
    with a default may be absent: a Share's image outside the inbox)."""
    return record_type(**{f.name: row[prefix + f.name]
                          for f in dataclasses.fields(record_type)
                          if prefix + f.name in row}, **extra)


_SHARE = columns(records.Share, Member, image_id=Member.image,
                 member_id=Member.member, image=None)
_SUMMARY = columns(records.ImageSummary, Image, prefix='summary_')
_HISTORY = columns(records.HistoryEntry, History)
_TRUST_COLUMNS = columns(records.Trust, Trust)
# What a write needs of a membership (lifecycle.Stored) and its row.
_STORED = columns(lifecycle.Stored, Member) + [
    Member.id.alias('row_id'), Member.image.alias('image_id'),
    Member.member.alias('member_id')]


def _share(row):
    return read(records.Share, row, image=read(records.ImageSummary, row,
                                               'summary_'))


def _stored(row):
    return read(lifecycle.Stored, row)


def _chunks(rows):
    for i in range(0, len(rows), _CHUNK):
        yield rows[i:i + _CHUNK]


def _count_shares(project_id, status, expired_by=None):
    where = ((Member.member == project_id) &
             (Member.deleted == False) &  # noqa: E712
             (Member.image_shared == True) & (Member.status == status))  # noqa
    if expired_by is not None:
        where &= expired(expired_by)
    return Member.select(peewee.fn.COUNT(peewee.SQL('*'))).where(where)


# Per status: its shares less its expired ones, each a range of one index
# (imagemember_inbox_counts) read without the table or a per-row test.
_INBOX_COUNTS = prepared.Prepared(
    lambda project_id, now: peewee.Select(columns=[peewee.Expression(
        _count_shares(project_id, status), '-',
        _count_shares(project_id, status, now))
        for status in lifecycle.STATUSES]), 2,
    converters=[None] * len(lifecycle.STATUSES))


# Every /v2 member add looks it up: SQL built once.
_TRUST = prepared.Prepared(
    lambda consumer, producer: Trust.select(Trust.id).where(
        (Trust.consumer == consumer) &
        (Trust.producer == producer)).limit(1), 2)


class SharingRepository:
    """The sharing API's reads and writes; see the module docstring."""

    def _rows(self, query):
        return list(query.dicts().execute(self.database))

    # --- building blocks used by the /v2 writes too ---------------------

    def _trusted(self, consumer, producer):
        if producer is None:
            return False
        return bool(_TRUST.rows(self.database, consumer, producer))

    def _record(self, changes, now, source=None):
        """Append history rows for [(image_id, image owner, member_id,
        lifecycle.Change or None)], stamped with the current actor;
        `source`: where the change was made (records.SOURCE_*; the
        column's default, glance-members, when None)."""
        actor = records.current_actor.get()
        made_in = {} if source is None else {'source': source}
        rows = [dict(image_id=image_id, image_owner=owner,
                     member_id=member_id, event=c.event,
                     before_status=(c.before or (None, None))[0],
                     before_expires_at=(c.before or (None, None))[1],
                     after_status=(c.after or (None, None))[0],
                     after_expires_at=(c.after or (None, None))[1],
                     actor_user_id=actor.user_id,
                     actor_project_id=actor.project_id,
                     request_id=actor.request_id, created_at=now, **made_in)
                for image_id, owner, member_id, c in changes
                if c is not None]
        if rows:
            self._insert_rows('sharing_history', rows)

    def _insert_rows(self, table, rows):
        """INSERT rows of the same keys, many with one executemany: peewee
        building a 10,000-row insert cost ten times its running."""
        names = tuple(rows[0])
        key = (type(self.database), table, names)
        sql = _INSERT_SQL.get(key)
        if sql is None:
            quote = self.database.quote  # "" or MySQL's ``
            sql = _INSERT_SQL[key] = 'INSERT INTO %s (%s) VALUES (%s)' % (
                table, ', '.join(quote[0] + c + quote[1] for c in names),
                ', '.join([self.database.param] * len(names)))
        values = [[row[c] for c in names] for row in rows]
        # peewee's wrapper turns the driver's errors into peewee's, which
        # the repository translates (a Galera conflict is retried).
        with _AS_PEEWEE_ERRORS:
            cursor = self.database.cursor()
            if len(values) == 1:
                cursor.execute(sql, values[0])
            else:
                cursor.executemany(sql, values)

    def _record_image_delete(self, image_id):
        """History rows for the memberships an image delete takes."""
        now = records.utcnow()
        rows = self._rows(Member.select(*_STORED, Image.owner).join(
            Image, on=(Member.image == Image.id)).where(
            (Member.image == image_id) &
            (Member.deleted == False)))  # noqa: E712
        self._record([(image_id, row['owner'], row['member_id'],
                       lifecycle.end(_stored(row), now)) for row in rows],
                     now)

    # --- the inbox --------------------------------------------------------

    def _inbox_query(self, project_id, now):
        return Member.select(*_SHARE, *_SUMMARY).join(
            Image, on=(Member.image == Image.id)).where(
            (Member.member == project_id) &
            (Member.deleted == False) &  # noqa: E712
            live(now) & (Member.image_shared == True))  # noqa: E712

    @errors.write
    def list_inbox(self, project_id, status, limit, marker=None):
        """One page of the project's shares (status None: all), newest
        image first; `marker` an image id of the previous page. Raises
        Invalid for a marker that is not one of its shares."""
        now = records.utcnow()
        query = self._inbox_query(project_id, now)
        if status is not None:
            query = query.where(Member.status == status)
        if marker is not None:
            rows = self._rows(Member.select(Member.image_created_at).where(
                (Member.member == project_id) & (Member.image == marker) &
                (Member.deleted == False)))  # noqa: E712
            if not rows:
                raise exception.Invalid('Marker %s is not one of your '
                                        'shares.' % marker)
            query = query.where(
                peewee.Tuple(Member.image_created_at, Member.image) <
                peewee.Tuple(rows[0]['image_created_at'], marker))
        query = query.order_by(Member.image_created_at.desc(),
                               Member.image.desc()).limit(limit)
        return [_share(row) for row in self._rows(query)]

    @errors.write
    def list_image_shares(self, image_id):
        """The image's current memberships with their expiry, oldest
        first (as /v2's member list)."""
        query = Member.select(*_SHARE).where(
            (Member.image == image_id) &
            (Member.deleted == False) &  # noqa: E712
            live(records.utcnow())).order_by(Member.id)
        return [read(records.Share, row) for row in self._rows(query)]

    @errors.write
    def count_inbox(self, project_id):
        """{status: count} of the project's current shares."""
        [row] = _INBOX_COUNTS.rows(self.database, project_id,
                                   records.utcnow())
        return dict(zip(lifecycle.STATUSES, row))

    @errors.write
    def find_shares(self, project_id, image_ids):
        """The project's current shares among `image_ids` (no order)."""
        if not image_ids:
            return []
        query = self._inbox_query(project_id, records.utcnow()).where(
            Member.image.in_(list(image_ids)))
        return [_share(row) for row in self._rows(query)]

    def _set_status(self, project_id, status, shares, now):
        for chunk in _chunks([s.image_id for s in shares]):
            Member.update(status=status, updated_at=now).where(
                (Member.member == project_id) &
                Member.image.in_(chunk)).execute(self.database)
        for share in shares:
            share.status, share.updated_at = status, now

    @errors.write
    def decide_shares(self, project_id, status, image_ids):
        """Set the status of the project's shares of `image_ids` (None:
        every pending one), all or none: NotFound (with `missing`) if one
        is not a current share. Returns [(share, status before)]."""
        now = records.utcnow()
        with self.database.write():
            self.database.lock_consumers([project_id])
            query = self._inbox_query(project_id, now)
            if image_ids is None:
                query = query.where(
                    Member.status == lifecycle.NEW_MEMBER_STATUS)
            else:
                query = query.where(Member.image.in_(list(image_ids)))
            found = [_share(row) for row in self._rows(
                self.database.lock_rows(query.order_by(Member.image)))]
            if image_ids is not None:
                missing = [i for i in image_ids
                           if i not in {s.image_id for s in found}]
                if missing:
                    raise exception.NotFound(missing=missing)
            before = [s.status for s in found]
            changes = [(s, lifecycle.decide(_as_stored(s), status))
                       for s in found]
            changing = [s for s, c in changes if c is not None]
            self._record([(s.image_id, s.image.owner, project_id, c)
                          for s, c in changes], now)
            self._set_status(project_id, status, changing, now)
        return list(zip(found, before))

    @errors.write
    def leave_share(self, project_id, image_id):
        """Remove the project's own current share of the image; the share
        as it was, or None if there was none."""
        now = records.utcnow()
        with self.database.write():
            self.database.lock_consumers([project_id])
            rows = self._rows(self.database.lock_rows(
                self._inbox_query(project_id, now).where(
                    Member.image == image_id)))
            if not rows:
                return None
            share = _share(rows[0])
            Member.update(deleted=True, updated_at=now).where(
                (Member.member == project_id) &
                (Member.image == image_id)).execute(self.database)
            self._record([(image_id, share.image.owner, project_id,
                           lifecycle.end(_as_stored(share), now,
                                         records.LEFT))], now)
        return share

    # --- trusted producers ------------------------------------------------

    @errors.write
    def list_trusts(self, consumer, limit, marker=None):
        query = Trust.select(*_TRUST_COLUMNS).where(
            Trust.consumer == consumer)
        if marker is not None:
            query = query.where(Trust.producer > marker)
        return [read(records.Trust, row) for row in self._rows(
            query.order_by(Trust.producer).limit(limit))]

    @errors.write
    def get_trust(self, consumer, producer):
        rows = self._rows(Trust.select(*_TRUST_COLUMNS).where(
            (Trust.consumer == consumer) & (Trust.producer == producer)))
        return read(records.Trust, rows[0]) if rows else None

    @errors.write
    def add_trust(self, consumer, producer, accept_pending):
        """Trust `producer` (idempotent) and, if asked, accept its pending
        shares at once. Returns (trust, created, accepted shares)."""
        now = records.utcnow()
        with self.database.write():
            self.database.lock_consumers([consumer])
            trust = self.get_trust(consumer, producer)
            created = trust is None
            if created:
                Trust.insert(consumer=consumer, producer=producer,
                             created_at=now).execute(self.database)
                trust = records.Trust(consumer, producer, now)
            accepted = []
            if accept_pending:
                accepted = self._accept_on_trust(consumer, producer, now)
        return trust, created, accepted

    def _accept_on_trust(self, consumer, producer, now, image_ids=None):
        """Accept the consumer's pending shares of the producer's images
        (of `image_ids` only, if given), each with its history row."""
        query = self._inbox_query(consumer, now).where(
            (Member.status == lifecycle.NEW_MEMBER_STATUS) &
            (Image.owner == producer))
        if image_ids is not None:
            query = query.where(Member.image.in_(list(image_ids)))
        changes = [(s, lifecycle.accept_on_trust(_as_stored(s)))
                   for s in map(_share, self._rows(self.database.lock_rows(
                       query.order_by(Member.image))))]
        accepted = [s for s, c in changes if c is not None]
        self._record([(s.image_id, producer, consumer, c)
                      for s, c in changes], now)
        self._set_status(consumer, lifecycle.TRUSTED_STATUS, accepted, now)
        return accepted

    @errors.write
    def accept_trusted(self, consumer, producer, image_ids):
        """A trusted producer's shares that arrived pending (made on an
        existing Glance, beside which they are accepted there by the
        service identity) recorded accepted: [accepted records.Share]."""
        now = records.utcnow()
        with self.database.write():
            self.database.lock_consumers([consumer])
            if self.get_trust(consumer, producer) is None:
                return []
            return self._accept_on_trust(consumer, producer, now, image_ids)

    @errors.write
    def remove_trust(self, consumer, producer):
        with self.database.write():
            self.database.lock_consumers([consumer])
            return bool(Trust.delete().where(
                (Trust.consumer == consumer) &
                (Trust.producer == producer)).execute(self.database))

    # --- batch share and revoke ------------------------------------------

    def _pair_rows(self, image_ids, member_ids):
        """{(image, member): row of _STORED}, locked."""
        query = self.database.lock_rows(Member.select(*_STORED).where(
            Member.image.in_(image_ids) & Member.member.in_(member_ids)))
        return {(row['image_id'], row['member_id']): row
                for row in self._rows(query)}

    def _lock_images(self, image_ids):
        """{id: row} of the images (created_at, owner, visibility), rows
        locked in id order (no deadlock between two batches)."""
        self.database.claim_images(image_ids)
        query = self.database.lock_rows(Image.select(
            Image.id, Image.created_at, Image.owner, Image.visibility).where(
            Image.id.in_(image_ids)).order_by(Image.id))
        return {row['id']: row for row in self._rows(query)}

    @errors.write
    def share_batch(self, image_ids, member_ids, expires_at, quota):
        """Share every image with every member, all or nothing.

        Raises NotFound (`missing`) for images gone meanwhile, OverLimit
        (`failures`: [(image, member, attempted)]) past `quota` (negative:
        unlimited). Returns [PairResult] in request order: created,
        revived (a removed or expired membership back), existing (left as
        it is, expiry included).
        """
        now = records.utcnow()
        image_ids, member_ids = list(image_ids), list(member_ids)
        with self.database.write():
            images = self._lock_images(image_ids)
            missing = [i for i in image_ids if i not in images]
            if missing:
                raise exception.NotFound(missing=missing)
            self.database.lock_consumers(member_ids)
            existing = self._pair_rows(image_ids, member_ids)
            counts = dict(Member.select(
                Member.image, peewee.fn.COUNT(Member.id)).where(
                Member.image.in_(image_ids) &
                (Member.deleted == False) & live(now)).group_by(  # noqa
                Member.image).tuples().execute(self.database))
            trusted = set(Trust.select(Trust.consumer, Trust.producer).where(
                Trust.consumer.in_(member_ids) &
                Trust.producer.in_({i['owner'] for i in images.values()
                                    if i['owner'] is not None})).tuples(
            ).execute(self.database))
            plan, failures = [], []
            for image_id in image_ids:
                count = counts.get(image_id, 0)
                for member_id in member_ids:
                    row = existing.get((image_id, member_id))
                    stored = _stored(row) if row else None
                    if lifecycle.is_live(stored, now):
                        plan.append((image_id, member_id, 'existing', row))
                        continue
                    count += 1
                    if lifecycle.is_over_quota(quota, count):
                        failures.append((image_id, member_id, count))
                    plan.append((image_id, member_id,
                                 'created' if row is None else 'revived',
                                 row))
            if failures:
                raise exception.OverLimit(failures=failures)
            return self._apply_shares(plan, images, trusted, expires_at,
                                      now)

    def _apply_shares(self, plan, images, trusted, expires_at, now):
        inserts, revive, history, results = [], {}, [], []
        for image_id, member_id, outcome, row in plan:
            image = images[image_id]
            if outcome == 'existing':
                results.append(records.PairResult(
                    image_id, member_id, outcome, row['status'],
                    row['expires_at']))
                continue
            status, changes = lifecycle.arrive(
                _stored(row) if row else None, now,
                (member_id, image['owner']) in trusted, expires_at)
            if outcome == 'created':
                inserts.append(dict(
                    image_id=image_id, member=member_id, status=status,
                    deleted=False, created_at=now, updated_at=now,
                    image_created_at=image['created_at'],
                    expires_at=expires_at,
                    image_shared=image['visibility'] == 'shared'))
            else:
                revive.setdefault(status, []).append(row['row_id'])
            history += [(image_id, image['owner'], member_id, c)
                        for c in changes]
            results.append(records.PairResult(
                image_id, member_id, outcome, status, expires_at))
        if inserts:
            self._insert_rows('image_members', inserts)
        for status, ids in revive.items():
            for chunk in _chunks(ids):
                Member.update(status=status, deleted=False, updated_at=now,
                              expires_at=expires_at).where(
                    Member.id.in_(chunk)).execute(self.database)
        self._record(history, now)
        return results

    @errors.write
    def revoke_batch(self, image_ids, member_ids):
        """Remove every (image, member) membership there is, all in one
        transaction. Returns [PairResult]: removed or absent."""
        now = records.utcnow()
        image_ids, member_ids = list(image_ids), list(member_ids)
        with self.database.write():
            images = self._lock_images(image_ids)
            existing = self._pair_rows(image_ids, member_ids)
            results, gone, history = [], [], []
            for image_id in image_ids:
                owner = images.get(image_id, {}).get('owner')
                for member_id in member_ids:
                    row = existing.get((image_id, member_id))
                    stored = _stored(row) if row else None
                    if not lifecycle.is_live(stored, now):
                        results.append(records.PairResult(
                            image_id, member_id, 'absent'))
                        continue
                    gone.append(row['row_id'])
                    history.append((image_id, owner, member_id,
                                    lifecycle.end(stored, now)))
                    results.append(records.PairResult(
                        image_id, member_id, 'removed', stored.status,
                        stored.expires_at))
            for chunk in _chunks(gone):
                Member.update(deleted=True, updated_at=now).where(
                    Member.id.in_(chunk)).execute(self.database)
            self._record(history, now)
        return results

    # --- expiry -------------------------------------------------------------

    def _live_share_query(self, image_id, member_id, now):
        return Member.select(*_SHARE).where(
            (Member.image == image_id) & (Member.member == member_id) &
            (Member.deleted == False) & live(now))  # noqa: E712

    @errors.write
    def get_share(self, image_id, member_id):
        """A current membership with its expiry, or None."""
        rows = self._rows(self._live_share_query(image_id, member_id,
                                                 records.utcnow()))
        return read(records.Share, rows[0]) if rows else None

    @errors.write
    def set_expiry(self, image_id, member_id, expires_at):
        """Set (None: clear) a current membership's expiry; the share, or
        None if it is gone."""
        now = records.utcnow()
        with self.database.write():
            locked = self._lock_image(image_id)
            if locked is None:
                return None
            rows = self._rows(self.database.lock_rows(
                self._live_share_query(image_id, member_id, now)))
            if not rows:
                return None
            share = read(records.Share, rows[0])
            change = lifecycle.change_expiry(_as_stored(share), expires_at)
            if change is None:
                return share
            Member.update(expires_at=expires_at, updated_at=now).where(
                (Member.image == image_id) &
                (Member.member == member_id)).execute(self.database)
            self._record([(image_id, locked[1], member_id, change)], now)
            share.expires_at, share.updated_at = expires_at, now
        return share

    @errors.write
    def list_expired(self, now=None, limit=1000):
        """Up to `limit` memberships past their expiry, not yet purged:
        [records.Share], soonest expired first."""
        query = Member.select(*_SHARE).where(
            expired(now or records.utcnow()) &
            (Member.deleted == False)).order_by(  # noqa: E712
            Member.expires_at, Member.id).limit(limit)
        return [read(records.Share, row) for row in self._rows(query)]

    @errors.write
    def purge_expired(self, now=None, limit=1000):
        """Remove up to `limit` memberships past their expiry (each with an
        `expired` history row); how many went."""
        now = now or records.utcnow()
        with self.database.write():
            rows = self._rows(self.database.lock_rows(Member.select(
                *_STORED, Image.owner).join(
                Image, on=(Member.image == Image.id)).where(
                expired(now) & (Member.deleted == False)).order_by(  # noqa
                Member.expires_at, Member.id).limit(limit)))
            for chunk in _chunks([row['row_id'] for row in rows]):
                Member.update(deleted=True, updated_at=now).where(
                    Member.id.in_(chunk)).execute(self.database)
            self._record([(row['image_id'], row['owner'], row['member_id'],
                           lifecycle.end(_stored(row), now))
                          for row in rows], now)
        return len(rows)

    # --- history -----------------------------------------------------------

    @errors.write
    def list_history(self, limit, marker=None, image_id=None,
                     member_id=None, image_owner=None):
        """Newest first, filtered by image, member and/or image owner;
        `marker` the id of the last row of the previous page."""
        query = History.select(*_HISTORY)
        if image_id is not None:
            query = query.where(History.image_id == image_id)
        if member_id is not None:
            query = query.where(History.member_id == member_id)
        if image_owner is not None:
            query = query.where(History.image_owner == image_owner)
        if marker is not None:
            query = query.where(History.id < marker)
        return [read(records.HistoryEntry, row) for row in self._rows(
            query.order_by(History.id.desc()).limit(limit))]


def _as_stored(share):
    return lifecycle.Stored(share.status, share.expires_at)
