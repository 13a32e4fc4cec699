"""The sharing extension's SQL (/sharing/v1): the inbox, bulk decisions,
leaving, trusted producers, batch share and revoke, expiry and history.

A mixin of the Repository (which brings `database` and `_write()`;
errors: db/errors.py): every list is keyset-paginated on an index, every write
one transaction that writes its history rows too. Writes that touch a
consumer's memberships across images (decisions, leave, trust, and any
share to it) first take that consumer's lock (PostgreSQL: an advisory
transaction lock; MariaDB: a write to its sharing_consumer_locks row;
SQLite: writers already go one at a time), so a trust
added while shares arrive can never leave one pending behind it.
"""

import peewee

from glance_members import exception
from glance_members import records
from glance_members.db import errors
from glance_members.db import models
from glance_members.db import prepared

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
    """A membership not past its expiry as of `now` (the query-time rule)."""
    return Member.expires_at.is_null() | (Member.expires_at > now)


def change(image_id, owner, member_id, event, before, after):
    """A history row to write: before/after are (status, expires_at)."""
    before = before or (None, None)
    after = after or (None, None)
    return dict(image_id=image_id, image_owner=owner, member_id=member_id,
                event=event, before_status=before[0],
                before_expires_at=before[1], after_status=after[0],
                after_expires_at=after[1])


def _chunks(rows):
    for i in range(0, len(rows), _CHUNK):
        yield rows[i:i + _CHUNK]


_SHARE_COLUMNS = (Member.image, Member.member, Member.status,
                  Member.created_at, Member.updated_at, Member.expires_at)
_SUMMARY_COLUMNS = (Image.id, Image.name, Image.owner, Image.disk_format,
                    Image.container_format, Image.size, Image.status,
                    Image.created_at)


def _count_shares(project_id, status, expired_by=None):
    where = ((Member.member == project_id) &
             (Member.deleted == False) &  # noqa: E712
             (Member.image_shared == True) & (Member.status == status))  # noqa
    if expired_by is not None:
        where &= Member.expires_at <= expired_by
    return Member.select(peewee.fn.COUNT(peewee.SQL('*'))).where(where)


# Per status: its shares less its expired ones, each a range of one index
# (imagemember_inbox_counts) read without the table or a per-row test.
_INBOX_COUNTS = prepared.Prepared(
    lambda project_id, now: peewee.Select(columns=[peewee.Expression(
        _count_shares(project_id, status), '-',
        _count_shares(project_id, status, now))
        for status in records.MEMBER_STATUSES]), 2,
    converters=[None] * len(records.MEMBER_STATUSES))


# Every /v2 member add looks it up: SQL built once.
_TRUST = prepared.Prepared(
    lambda consumer, producer: Trust.select(Trust.id).where(
        (Trust.consumer == consumer) &
        (Trust.producer == producer)).limit(1), 2)


class SharingRepository:
    """The extension's reads and writes; see the module docstring."""

    _BUMP_CONSUMER = prepared.Prepared(
        lambda project_id: models.ConsumerLock.insert(
            consumer=project_id, serial=1).on_conflict(
            update={models.ConsumerLock.serial:
                    models.ConsumerLock.serial + 1}), 1)

    @property
    def _sqlite(self):
        return isinstance(self.database, peewee.SqliteDatabase)

    def _locked(self, query):
        return query if self._sqlite else query.for_update()

    # --- building blocks used by the /v2 writes too ---------------------

    def _lock_consumers(self, project_ids):
        """Serialize writes to these consumers' memberships (sorted: no
        deadlock between two callers)."""
        if self._sqlite:
            return
        for project_id in sorted(set(project_ids)):
            if isinstance(self.database, peewee.MySQLDatabase):
                # No transaction-scoped advisory lock here (GET_LOCK is per
                # session and Galera does not replicate it): a row written.
                self._BUMP_CONSUMER.run(self.database, project_id)
            else:
                self.database.execute_sql(
                    'SELECT pg_advisory_xact_lock(hashtext(%s))',
                    (project_id,))

    def _trusted(self, consumer, producer):
        if producer is None:
            return False
        return bool(_TRUST.rows(self.database, consumer, producer))

    def _record(self, changes, now):
        """Append history rows, stamped with the current actor."""
        if not changes:
            return
        actor = records.current_actor.get()
        stamp = dict(actor_user_id=actor.user_id,
                     actor_project_id=actor.project_id,
                     request_id=actor.request_id, created_at=now)
        self._insert_rows('sharing_history',
                          [dict(c, **stamp) for c in changes])

    def _insert_rows(self, table, rows):
        """INSERT rows of the same keys, many with one executemany: peewee
        building a 10,000-row insert cost ten times its running."""
        columns = tuple(rows[0])
        key = (type(self.database), table, columns)
        sql = _INSERT_SQL.get(key)
        if sql is None:
            quote = self.database.quote  # "" or MySQL's ``
            sql = _INSERT_SQL[key] = 'INSERT INTO %s (%s) VALUES (%s)' % (
                table, ', '.join(quote[0] + c + quote[1] for c in columns),
                ', '.join([self.database.param] * len(columns)))
        values = [[row[c] for c in columns] for row in rows]
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
        rows = Member.select(Member.member, Member.status, Member.expires_at,
                             Image.owner).join(
            Image, on=(Member.image == Image.id)).where(
            (Member.image == image_id) &
            (Member.deleted == False)).tuples().execute(  # noqa: E712
            self.database)
        self._record([change(
            image_id, owner, member,
            records.EXPIRED if expires is not None and expires <= now
            else records.REMOVED, (status, expires), None)
            for member, status, expires, owner in rows], now)

    # --- the inbox --------------------------------------------------------

    def _inbox_query(self, project_id, now):
        return Member.select(*_SHARE_COLUMNS, *_SUMMARY_COLUMNS).join(
            Image, on=(Member.image == Image.id)).where(
            (Member.member == project_id) &
            (Member.deleted == False) &  # noqa: E712
            live(now) & (Member.image_shared == True))  # noqa: E712

    @errors.translate_db_errors
    def list_inbox(self, project_id, status, limit, marker=None):
        """One page of the project's shares (status None: all), newest
        image first; `marker` an image id of the previous page. Raises
        Invalid for a marker that is not one of its shares."""
        now = records.utcnow()
        query = self._inbox_query(project_id, now)
        if status is not None:
            query = query.where(Member.status == status)
        if marker is not None:
            rows = list(Member.select(Member.image_created_at).where(
                (Member.member == project_id) & (Member.image == marker) &
                (Member.deleted == False)).tuples().execute(  # noqa: E712
                self.database))
            if not rows:
                raise exception.Invalid('Marker %s is not one of your '
                                        'shares.' % marker)
            query = query.where(
                peewee.Tuple(Member.image_created_at, Member.image) <
                peewee.Tuple(rows[0][0], marker))
        query = query.order_by(Member.image_created_at.desc(),
                               Member.image.desc()).limit(limit)
        return [_share(row) for row in query.tuples().execute(self.database)]

    @errors.translate_db_errors
    def list_image_shares(self, image_id):
        """The image's current memberships with their expiry, oldest
        first (as /v2's member list)."""
        query = Member.select(*_SHARE_COLUMNS).where(
            (Member.image == image_id) &
            (Member.deleted == False) &  # noqa: E712
            live(records.utcnow())).order_by(Member.id)
        return [records.Share(*row)
                for row in query.tuples().execute(self.database)]

    @errors.translate_db_errors
    def count_inbox(self, project_id):
        """{status: count} of the project's current shares."""
        [row] = _INBOX_COUNTS.rows(self.database, project_id,
                                   records.utcnow())
        return dict(zip(records.MEMBER_STATUSES, row))

    @errors.translate_db_errors
    def find_shares(self, project_id, image_ids):
        """The project's current shares among `image_ids` (no order)."""
        if not image_ids:
            return []
        query = self._inbox_query(project_id, records.utcnow()).where(
            Member.image.in_(list(image_ids)))
        return [_share(row) for row in query.tuples().execute(self.database)]

    @errors.translate_db_errors
    def decide_shares(self, project_id, status, image_ids):
        """Set the status of the project's shares of `image_ids` (None:
        every pending one), all or none: NotFound (with `missing`) if one
        is not a current share. Returns [(share before, changed)]."""
        now = records.utcnow()
        with self._write():
            self._lock_consumers([project_id])
            query = self._inbox_query(project_id, now)
            if image_ids is None:
                query = query.where(Member.status == 'pending')
            else:
                query = query.where(Member.image.in_(list(image_ids)))
            query = self._locked(query.order_by(Member.image))
            found = [_share(row) for row in query.tuples().execute(
                self.database)]
            if image_ids is not None:
                missing = [i for i in image_ids
                           if i not in {s.image_id for s in found}]
                if missing:
                    raise exception.NotFound(missing=missing)
            changing = [s for s in found if s.status != status]
            for chunk in _chunks([s.image_id for s in changing]):
                Member.update(status=status, updated_at=now).where(
                    (Member.member == project_id) &
                    Member.image.in_(chunk)).execute(self.database)
            self._record([change(
                s.image_id, s.image.owner, project_id,
                records.STATUS_CHANGED, (s.status, s.expires_at),
                (status, s.expires_at)) for s in changing], now)
        changed = {s.image_id for s in changing}
        result = []
        for share in found:
            before = share.status
            if share.image_id in changed:
                share.status, share.updated_at = status, now
            result.append((share, before))
        return result

    @errors.translate_db_errors
    def leave_share(self, project_id, image_id):
        """Remove the project's own current share of the image; the share
        as it was, or None if there was none."""
        now = records.utcnow()
        with self._write():
            self._lock_consumers([project_id])
            rows = list(self._locked(self._inbox_query(project_id, now).where(
                Member.image == image_id)).tuples().execute(self.database))
            if not rows:
                return None
            share = _share(rows[0])
            Member.update(deleted=True, updated_at=now).where(
                (Member.member == project_id) &
                (Member.image == image_id)).execute(self.database)
            self._record([change(image_id, share.image.owner, project_id,
                                 records.LEFT,
                                 (share.status, share.expires_at), None)],
                         now)
        return share

    # --- trusted producers ------------------------------------------------

    @errors.translate_db_errors
    def list_trusts(self, consumer, limit, marker=None):
        query = Trust.select(Trust.consumer, Trust.producer,
                             Trust.created_at).where(
            Trust.consumer == consumer)
        if marker is not None:
            query = query.where(Trust.producer > marker)
        return [records.Trust(*row) for row in query.order_by(
            Trust.producer).limit(limit).tuples().execute(self.database)]

    @errors.translate_db_errors
    def get_trust(self, consumer, producer):
        rows = list(Trust.select(Trust.consumer, Trust.producer,
                                 Trust.created_at).where(
            (Trust.consumer == consumer) &
            (Trust.producer == producer)).tuples().execute(self.database))
        return records.Trust(*rows[0]) if rows else None

    @errors.translate_db_errors
    def add_trust(self, consumer, producer, accept_pending):
        """Trust `producer` (idempotent) and, if asked, accept its pending
        shares at once. Returns (trust, created, accepted shares)."""
        now = records.utcnow()
        with self._write():
            self._lock_consumers([consumer])
            trust = self.get_trust(consumer, producer)
            created = trust is None
            if created:
                Trust.insert(consumer=consumer, producer=producer,
                             created_at=now).execute(self.database)
                trust = records.Trust(consumer, producer, now)
            accepted = []
            if accept_pending:
                query = self._locked(self._inbox_query(consumer, now).where(
                    (Member.status == 'pending') &
                    (Image.owner == producer)).order_by(Member.image))
                accepted = [_share(row) for row in query.tuples().execute(
                    self.database)]
                for chunk in _chunks([s.image_id for s in accepted]):
                    Member.update(status='accepted', updated_at=now).where(
                        (Member.member == consumer) &
                        Member.image.in_(chunk)).execute(self.database)
                self._record([change(
                    s.image_id, producer, consumer, records.AUTO_ACCEPTED,
                    ('pending', s.expires_at), ('accepted', s.expires_at))
                    for s in accepted], now)
                for share in accepted:
                    share.status, share.updated_at = 'accepted', now
        return trust, created, accepted

    @errors.translate_db_errors
    def remove_trust(self, consumer, producer):
        with self._write():
            self._lock_consumers([consumer])
            return bool(Trust.delete().where(
                (Trust.consumer == consumer) &
                (Trust.producer == producer)).execute(self.database))

    # --- batch share and revoke ------------------------------------------

    def _pair_rows(self, image_ids, member_ids):
        """{(image, member): (id, deleted, status, expires_at)}, locked."""
        query = self._locked(Member.select(
            Member.image, Member.member, Member.id, Member.deleted,
            Member.status, Member.expires_at).where(
            Member.image.in_(image_ids) & Member.member.in_(member_ids)))
        return {(row[0], row[1]): row[2:]
                for row in query.tuples().execute(self.database)}

    def _lock_images(self, image_ids):
        """{id: (created_at, owner, visibility)} of the images, rows
        locked in id order (no deadlock between two batches); written on
        MariaDB, as Repository._lock_image explains."""
        if isinstance(self.database, peewee.MySQLDatabase):
            Image.update(lock_serial=Image.lock_serial + 1).where(
                Image.id.in_(image_ids)).execute(self.database)
        query = self._locked(Image.select(
            Image.id, Image.created_at, Image.owner, Image.visibility).where(
            Image.id.in_(image_ids)).order_by(Image.id))
        return {row[0]: row[1:] for row in query.tuples().execute(
            self.database)}

    @errors.translate_db_errors
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
        with self._write():
            images = self._lock_images(image_ids)
            missing = [i for i in image_ids if i not in images]
            if missing:
                raise exception.NotFound(missing=missing)
            self._lock_consumers(member_ids)
            existing = self._pair_rows(image_ids, member_ids)
            counts = dict(Member.select(
                Member.image, peewee.fn.COUNT(Member.id)).where(
                Member.image.in_(image_ids) &
                (Member.deleted == False) & live(now)).group_by(  # noqa
                Member.image).tuples().execute(self.database))
            trusted = set(Trust.select(Trust.consumer, Trust.producer).where(
                Trust.consumer.in_(member_ids) &
                Trust.producer.in_({o for _, o, _ in images.values()
                                    if o is not None})).tuples().execute(
                self.database))
            plan, failures = [], []
            for image_id in image_ids:
                count = counts.get(image_id, 0)
                for member_id in member_ids:
                    row = existing.get((image_id, member_id))
                    expired = row is not None and not row[1] and \
                        row[3] is not None and row[3] <= now
                    if row is not None and not row[1] and not expired:
                        plan.append((image_id, member_id, 'existing', row))
                        continue
                    count += 1
                    if 0 <= quota < count:
                        failures.append((image_id, member_id, count))
                    plan.append((image_id, member_id,
                                 'created' if row is None else 'revived',
                                 row))
            if failures:
                raise exception.OverLimit(failures=failures)
            results = self._apply_shares(plan, images, trusted, expires_at,
                                         now)
        return results

    def _apply_shares(self, plan, images, trusted, expires_at, now):
        inserts, revive, history, results = [], {}, [], []
        for image_id, member_id, outcome, row in plan:
            created_at, owner, visibility = images[image_id]
            if outcome == 'existing':
                results.append(records.PairResult(
                    image_id, member_id, outcome, row[2], row[3]))
                continue
            auto = (member_id, owner) in trusted
            status = 'accepted' if auto else 'pending'
            if outcome == 'created':
                inserts.append(dict(
                    image_id=image_id, member=member_id, status=status,
                    deleted=False, created_at=now, updated_at=now,
                    image_created_at=created_at, expires_at=expires_at,
                    image_shared=visibility == 'shared'))
            else:
                revive.setdefault(status, []).append(row[0])
                if not row[1]:  # expired, never removed: say so first
                    history.append(change(
                        image_id, owner, member_id, records.EXPIRED,
                        (row[2], row[3]), None))
            history.append(change(
                image_id, owner, member_id,
                records.AUTO_ACCEPTED if auto else records.CREATED,
                None, (status, expires_at)))
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

    @errors.translate_db_errors
    def revoke_batch(self, image_ids, member_ids):
        """Remove every (image, member) membership there is, all in one
        transaction. Returns [PairResult]: removed or absent."""
        now = records.utcnow()
        image_ids, member_ids = list(image_ids), list(member_ids)
        with self._write():
            images = self._lock_images(image_ids)
            existing = self._pair_rows(image_ids, member_ids)
            results, gone, history = [], [], []
            for image_id in image_ids:
                owner = images.get(image_id, (None, None))[1]
                for member_id in member_ids:
                    row = existing.get((image_id, member_id))
                    if row is None or row[1] or (
                            row[3] is not None and row[3] <= now):
                        results.append(records.PairResult(
                            image_id, member_id, 'absent'))
                        continue
                    gone.append(row[0])
                    history.append(change(image_id, owner, member_id,
                                          records.REMOVED,
                                          (row[2], row[3]), None))
                    results.append(records.PairResult(
                        image_id, member_id, 'removed', row[2], row[3]))
            for chunk in _chunks(gone):
                Member.update(deleted=True, updated_at=now).where(
                    Member.id.in_(chunk)).execute(self.database)
            self._record(history, now)
        return results

    # --- expiry -------------------------------------------------------------

    @errors.translate_db_errors
    def get_share(self, image_id, member_id):
        """A current membership with its expiry, or None."""
        rows = list(Member.select(*_SHARE_COLUMNS).where(
            (Member.image == image_id) & (Member.member == member_id) &
            (Member.deleted == False) &  # noqa: E712
            live(records.utcnow())).tuples().execute(self.database))
        return records.Share(*rows[0]) if rows else None

    @errors.translate_db_errors
    def set_expiry(self, image_id, member_id, expires_at):
        """Set (None: clear) a current membership's expiry; the share, or
        None if it is gone."""
        now = records.utcnow()
        with self._write():
            locked = self._lock_image(image_id)
            if locked is None:
                return None
            rows = list(self._locked(Member.select(*_SHARE_COLUMNS).where(
                (Member.image == image_id) & (Member.member == member_id) &
                (Member.deleted == False) &  # noqa: E712
                live(now))).tuples().execute(self.database))
            if not rows:
                return None
            share = records.Share(*rows[0])
            if share.expires_at == expires_at:
                return share
            Member.update(expires_at=expires_at, updated_at=now).where(
                (Member.image == image_id) &
                (Member.member == member_id)).execute(self.database)
            self._record([change(image_id, locked[1], member_id,
                                 records.EXPIRY_CHANGED,
                                 (share.status, share.expires_at),
                                 (share.status, expires_at))], now)
            share.expires_at, share.updated_at = expires_at, now
        return share

    @errors.translate_db_errors
    def purge_expired(self, now=None, limit=1000):
        """Remove up to `limit` memberships past their expiry (each with an
        `expired` history row); how many went."""
        now = now or records.utcnow()
        with self._write():
            rows = list(self._locked(Member.select(
                Member.id, Member.image, Member.member, Member.status,
                Member.expires_at, Image.owner).join(
                Image, on=(Member.image == Image.id)).where(
                (Member.expires_at <= now) &
                (Member.deleted == False)).order_by(  # noqa: E712
                Member.expires_at, Member.id).limit(limit)).tuples().execute(
                self.database))
            for chunk in _chunks([row[0] for row in rows]):
                Member.update(deleted=True, updated_at=now).where(
                    Member.id.in_(chunk)).execute(self.database)
            self._record([change(image, owner, member, records.EXPIRED,
                                 (status, expires), None)
                          for _, image, member, status, expires, owner
                          in rows], now)
        return len(rows)

    # --- history -----------------------------------------------------------

    @errors.translate_db_errors
    def list_history(self, limit, marker=None, image_id=None,
                     member_id=None, image_owner=None):
        """Newest first, filtered by image, member and/or image owner;
        `marker` the id of the last row of the previous page."""
        query = History.select(*[getattr(History, f) for f in _HISTORY])
        if image_id is not None:
            query = query.where(History.image_id == image_id)
        if member_id is not None:
            query = query.where(History.member_id == member_id)
        if image_owner is not None:
            query = query.where(History.image_owner == image_owner)
        if marker is not None:
            query = query.where(History.id < marker)
        return [records.HistoryEntry(*row) for row in query.order_by(
            History.id.desc()).limit(limit).tuples().execute(self.database)]


_HISTORY = ('id', 'image_id', 'image_owner', 'member_id', 'event',
            'actor_user_id', 'actor_project_id', 'request_id', 'created_at',
            'before_status', 'after_status', 'before_expires_at',
            'after_expires_at')


def _share(row):
    return records.Share(*row[:6], image=records.ImageSummary(
        *row[6:]))
