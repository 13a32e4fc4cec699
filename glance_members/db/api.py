"""The repository: every read and write of images and members, in SQL.

Functions return records (plain dataclasses); peewee stays in here. Each
write is one transaction that takes the write lock first (SQLite
`BEGIN IMMEDIATE`; a row lock on the image elsewhere), so quota,
uniqueness and delete-vs-add races are decided by the database, not by luck.
"""

import functools

import peewee

from glance_members import exception
from glance_members import records
from glance_members.db import models

# Nullable sort keys are compared through COALESCE so that ordering and
# keyset pagination agree on every database.
_SORT_COLUMNS = {
    'name': peewee.fn.COALESCE(models.Image.name, ''),
    'status': models.Image.status,
    'container_format': peewee.fn.COALESCE(models.Image.container_format, ''),
    'disk_format': peewee.fn.COALESCE(models.Image.disk_format, ''),
    'size': peewee.fn.COALESCE(models.Image.size, -1),
    'id': models.Image.id,
    'created_at': models.Image.created_at,
    'updated_at': models.Image.updated_at,
}
_SORT_VALUES = {
    'name': lambda i: i.name or '',
    'container_format': lambda i: i.container_format or '',
    'disk_format': lambda i: i.disk_format or '',
    'size': lambda i: -1 if i.size is None else i.size,
}
_FILTER_COLUMNS = {
    'name': models.Image.name, 'id': models.Image.id,
    'status': models.Image.status, 'owner': models.Image.owner,
    'container_format': models.Image.container_format,
    'disk_format': models.Image.disk_format,
    'created_at': models.Image.created_at,
    'updated_at': models.Image.updated_at,
    'size': models.Image.size, 'virtual_size': models.Image.virtual_size,
    'min_ram': models.Image.min_ram, 'min_disk': models.Image.min_disk,
    'checksum': models.Image.checksum,
    'os_hash_value': models.Image.os_hash_value,
    'protected': models.Image.protected,
    'os_hidden': models.Image.os_hidden,
}
_OPERATORS = {
    'eq': lambda c, v: c == v, 'neq': lambda c, v: c != v,
    'gt': lambda c, v: c > v, 'gte': lambda c, v: c >= v,
    'lt': lambda c, v: c < v, 'lte': lambda c, v: c <= v,
    'in': lambda c, v: c.in_(v),
}
_IMAGE_FIELDS = ('id', 'owner') + records.BASE_ATTRIBUTES + (
    'location', 'created_at', 'updated_at')
# What a metadata update may write: data fields change only through the
# upload path, so a PATCH racing an upload cannot undo it.
_DATA_FIELDS = ('status', 'size', 'virtual_size', 'checksum', 'os_hash_algo',
                'os_hash_value', 'location')


class Prepared:
    """A read whose SQL peewee builds once per kind of database, then runs
    with new parameters: building SQL text was the largest cost of a member
    list. `build(*params)` makes the query; its selected fields convert the
    row values (SQLite hands back text for datetimes, 0/1 for booleans)."""

    def __init__(self, build, arity):
        self.build = build
        self.arity = arity
        self.compiled = {}

    def _compile(self, database):
        markers = ['\x00gm-param-%d\x00' % i for i in range(self.arity)]
        query = self.build(*markers).bind(database)
        sql, params = query.sql()
        # Each SQL parameter is one of ours (by position) or a constant of
        # the query itself (such as deleted = False).
        order = [(True, markers.index(p)) if p in markers else (False, p)
                 for p in params]
        converters = [getattr(c, 'python_value', None)
                      for c in query._returning]
        return sql, order, converters

    def rows(self, database, *params):
        compiled = self.compiled.get(type(database))
        if compiled is None:
            compiled = self.compiled[type(database)] = self._compile(database)
        sql, order, converters = compiled
        cursor = database.execute_sql(
            sql, [params[v] if ours else v for ours, v in order])
        return [tuple(value if convert is None or value is None
                      else convert(value)
                      for convert, value in zip(converters, row))
                for row in cursor.fetchall()]


def _translate_db_errors(func):
    """A database that is down or locked past its timeout is a 503."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except peewee.DataError as e:
            # A value the database refuses (the API layer should have): a
            # client error, never a 500.
            raise exception.Invalid('Invalid value: %s' % e) from e
        except (peewee.OperationalError, peewee.InterfaceError) as e:
            # Drop the connection: the next request opens a fresh one, so
            # the service recovers by itself when the database returns.
            args[0].discard_connection()
            raise exception.ServiceUnavailable(
                'The image database is unavailable: %s' % e) from e
    return wrapper


class Repository:
    """Images, their properties, tags and members."""

    def __init__(self, database):
        self.database = database

    def discard_connection(self):
        try:
            self.database.close()
        except Exception:  # noqa: BLE001 - it is broken; forget it anyway
            self.database._state.reset()

    def release(self):
        """End of a request: a pooled connection goes back to its pool;
        SQLite keeps its one connection per worker (reopening costs)."""
        if not isinstance(self.database, peewee.SqliteDatabase) and \
                not self.database.is_closed():
            self.database.close()

    def _write(self):
        if isinstance(self.database, peewee.SqliteDatabase):
            return self.database.atomic('IMMEDIATE')
        return self.database.atomic()

    def _lock_image(self, image_id):
        """The image row, locked for the rest of the transaction."""
        query = models.Image.select(models.Image.id).where(
            models.Image.id == image_id)
        if not isinstance(self.database, peewee.SqliteDatabase):
            query = query.for_update()
        return query.first() is not None

    # --- images -----------------------------------------------------------

    _IMAGE_BY_ID = Prepared(lambda image_id: models.Image.select(
        *[getattr(models.Image, f) for f in _IMAGE_FIELDS]).where(
        models.Image.id == image_id), 1)
    _PROPERTIES_OF = Prepared(lambda image_id: models.ImageProperty.select(
        models.ImageProperty.name, models.ImageProperty.value).where(
        models.ImageProperty.image == image_id).order_by(
        models.ImageProperty.id), 1)
    _TAGS_OF = Prepared(lambda image_id: models.ImageTag.select(
        models.ImageTag.value).where(models.ImageTag.image == image_id)
        .order_by(models.ImageTag.value), 1)

    @_translate_db_errors
    def get_image(self, image_id):
        rows = self._IMAGE_BY_ID.rows(self.database, image_id)
        if not rows:
            return None
        image = records.Image(**dict(zip(_IMAGE_FIELDS, rows[0])))
        image.properties = dict(self._PROPERTIES_OF.rows(self.database,
                                                         image_id))
        image.tags = [t for (t,) in self._TAGS_OF.rows(self.database,
                                                       image_id)]
        return image

    @_translate_db_errors
    def list_images(self, query, project_id, is_admin, marker=None):
        """One page of `query`; `marker` is the record of query.marker,
        which the caller has already looked up (and checked)."""
        Image = models.Image
        conditions = [Image.status.not_in(['killed', 'deleted'])]
        if not is_admin:
            conditions.append(self._listable_by(project_id,
                                                query.member_status))
        if query.visibility not in (None, 'all'):
            conditions.append(Image.visibility == query.visibility)
        elif query.visibility is None:
            # Community images are listed only on request, or to the owner.
            not_community = Image.visibility != 'community'
            conditions.append(not_community if project_id is None else
                              (not_community | (Image.owner == project_id)))
        for name, op, value in query.column_filters:
            conditions.append(_OPERATORS[op](_FILTER_COLUMNS[name], value))
        for name, value in query.property_filters.items():
            conditions.append(peewee.fn.EXISTS(
                models.ImageProperty.select(peewee.SQL('1')).where(
                    (models.ImageProperty.image == Image.id) &
                    (models.ImageProperty.name == name) &
                    (models.ImageProperty.value == value))))
        for tag in query.tags:
            conditions.append(peewee.fn.EXISTS(
                models.ImageTag.select(peewee.SQL('1')).where(
                    (models.ImageTag.image == Image.id) &
                    (models.ImageTag.value == tag))))
        keys, dirs = _sort_spec(query.sort_keys, query.sort_dirs)
        if marker is not None:
            conditions.append(_after(marker, keys, dirs))
        order = [_SORT_COLUMNS[k].asc() if d == 'asc' else
                 _SORT_COLUMNS[k].desc() for k, d in zip(keys, dirs)]
        rows = list(Image.select().where(*conditions).order_by(*order)
                    .limit(query.limit).dicts())
        return self._with_children(rows)

    @staticmethod
    def _listable_by(project_id, member_status):
        """Glance's union for a non-admin: public and community images, the
        caller's own, and shared images it is a member of in the status
        asked for."""
        Image, Member = models.Image, models.ImageMember
        listable = Image.visibility.in_(['public', 'community'])
        if project_id is None:
            return listable
        # An uncorrelated IN, not a correlated EXISTS: the database reads
        # the caller's memberships once through their index and looks the
        # images up by id, instead of probing memberships for every shared
        # image of every project.
        membership = Member.select(Member.image).where(
            (Member.member == project_id) &
            (Member.deleted == False))  # noqa: E712 (SQL, not Python)
        if member_status != 'all':
            membership = membership.where(Member.status == member_status)
        return (listable | (Image.owner == project_id) |
                ((Image.visibility == 'shared') &
                 Image.id.in_(membership)))

    def _with_children(self, rows):
        """Records for image rows, with properties and tags: two queries
        for the whole page, never one per image."""
        images = {r['id']: records.Image(**{f: r[f] for f in _IMAGE_FIELDS})
                  for r in rows}
        if images:
            ids = list(images)
            for image_id, name, value in models.ImageProperty.select(
                    models.ImageProperty.image, models.ImageProperty.name,
                    models.ImageProperty.value).where(
                    models.ImageProperty.image.in_(ids)).order_by(
                    models.ImageProperty.id).tuples():
                images[image_id].properties[name] = value
            for image_id, value in models.ImageTag.select(
                    models.ImageTag.image, models.ImageTag.value).where(
                    models.ImageTag.image.in_(ids)).order_by(
                    models.ImageTag.value).tuples():
                images[image_id].tags.append(value)
        return [images[r['id']] for r in rows]

    @_translate_db_errors
    def create_image(self, image):
        now = records.utcnow()
        image.created_at = image.updated_at = now
        try:
            with self._write():
                if models.DeletedImage.select().where(
                        models.DeletedImage.id == image.id).exists():
                    raise exception.Duplicate()
                models.Image.insert(
                    **{f: getattr(image, f) for f in _IMAGE_FIELDS}).execute()
                self._write_children(image)
        except peewee.IntegrityError as e:
            raise exception.Duplicate() from e
        return image

    @_translate_db_errors
    def update_image(self, image):
        """Store every field of `image`; None if it was deleted meanwhile."""
        image.updated_at = records.utcnow()
        fields = {f: getattr(image, f) for f in _IMAGE_FIELDS
                  if f not in ('id', 'created_at') + _DATA_FIELDS}
        with self._write():
            updated = models.Image.update(**fields).where(
                models.Image.id == image.id).execute()
            if not updated:
                return None
            models.ImageProperty.delete().where(
                models.ImageProperty.image == image.id).execute()
            models.ImageTag.delete().where(
                models.ImageTag.image == image.id).execute()
            self._write_children(image)
        return image

    @staticmethod
    def _write_children(image):
        image.tags = sorted(set(image.tags))  # Glance lists them so
        if image.properties:
            models.ImageProperty.insert_many(
                [(image.id, k, v) for k, v in image.properties.items()],
                fields=[models.ImageProperty.image, models.ImageProperty.name,
                        models.ImageProperty.value]).execute()
        if image.tags:
            models.ImageTag.insert_many(
                [(image.id, t) for t in image.tags],
                fields=[models.ImageTag.image, models.ImageTag.value]).execute()

    @_translate_db_errors
    def delete_image(self, image_id):
        """Delete the image with its members, properties and tags; return
        the store location of its data (or None), or False if it was gone."""
        with self._write():
            row = models.Image.select(models.Image.location).where(
                models.Image.id == image_id).tuples().first()
            if row is None:
                return False
            for model in (models.ImageMember, models.ImageProperty,
                          models.ImageTag):
                model.delete().where(model.image == image_id).execute()
            models.Image.delete().where(models.Image.id == image_id).execute()
            models.DeletedImage.insert(
                id=image_id, deleted_at=records.utcnow()).execute()
        return row[0]

    @_translate_db_errors
    def change_status(self, image_id, from_status, to_status, **data):
        """Compare-and-set the status (and data fields); True if it was
        `from_status` and now is `to_status`. Upload and (de)activation go
        through here so that two of them can never both win."""
        data.update(status=to_status, updated_at=records.utcnow())
        with self._write():
            return bool(models.Image.update(**data).where(
                (models.Image.id == image_id) &
                (models.Image.status == from_status)).execute())

    # --- members ----------------------------------------------------------

    _MEMBER_FIELDS = (models.ImageMember.image, models.ImageMember.member,
                      models.ImageMember.status,
                      models.ImageMember.created_at,
                      models.ImageMember.updated_at)

    _MEMBER = Prepared(lambda image_id, member_id: models.ImageMember.select(
        *Repository._MEMBER_FIELDS).where(
        (models.ImageMember.deleted == False) &  # noqa: E712
        (models.ImageMember.image == image_id) &
        (models.ImageMember.member == member_id)), 2)
    _MEMBERS_OF = Prepared(lambda image_id: models.ImageMember.select(
        *Repository._MEMBER_FIELDS).where(
        (models.ImageMember.deleted == False) &  # noqa: E712
        (models.ImageMember.image == image_id)).order_by(
        models.ImageMember.id), 1)

    @_translate_db_errors
    def get_member(self, image_id, member_id):
        rows = self._MEMBER.rows(self.database, image_id, member_id)
        return records.Member(*rows[0]) if rows else None

    @_translate_db_errors
    def list_members(self, image_id):
        return [records.Member(*row)
                for row in self._MEMBERS_OF.rows(self.database, image_id)]

    @_translate_db_errors
    def add_member(self, image_id, member_id, quota):
        """Add (or revive, as pending) a membership.

        Raises NotFound if the image went away, OverLimit (with
        `attempted`) past `quota` (negative: unlimited), Duplicate if the
        membership exists. Quota is checked before duplicates, as Glance.
        """
        Member = models.ImageMember
        now = records.utcnow()
        with self._write():
            if not self._lock_image(image_id):
                raise exception.NotFound()
            count = Member.select().where(
                (Member.image == image_id) &
                (Member.deleted == False)).count()  # noqa: E712
            if 0 <= quota < count + 1:
                raise exception.OverLimit(attempted=count + 1)
            existing = Member.select(Member.deleted).where(
                (Member.image == image_id) &
                (Member.member == member_id)).tuples().first()
            if existing is not None and not existing[0]:
                raise exception.Duplicate()
            if existing is not None:
                Member.update(status='pending', deleted=False,
                              updated_at=now).where(
                    (Member.image == image_id) &
                    (Member.member == member_id)).execute()
            else:
                Member.insert(image=image_id, member=member_id,
                              status='pending', created_at=now,
                              updated_at=now).execute()
            # Read it back before commit: once committed, a racing image
            # delete may take it at once.
            return self.get_member(image_id, member_id)

    @_translate_db_errors
    def update_member_status(self, image_id, member_id, status):
        """None if the membership is gone: an update never revives it."""
        Member = models.ImageMember
        with self._write():
            updated = Member.update(
                status=status, updated_at=records.utcnow()).where(
                (Member.image == image_id) & (Member.member == member_id) &
                (Member.deleted == False)).execute()  # noqa: E712
            return self.get_member(image_id, member_id) if updated else None

    # --- operator tools ----------------------------------------------------

    def _memberships(self, image_id, project_id):
        Member = models.ImageMember
        query = Member.select(*self._MEMBER_FIELDS)
        if image_id is not None:
            query = query.where(Member.image == image_id)
        if project_id is not None:
            query = query.where(Member.member == project_id)
        return query

    @_translate_db_errors
    def find_memberships(self, image_id=None, project_id=None):
        """Current memberships of an image and/or a project, oldest first."""
        Member = models.ImageMember
        query = self._memberships(image_id, project_id).where(
            Member.deleted == False).order_by(Member.id)  # noqa: E712
        return [records.Member(*row) for row in query.tuples()]

    @_translate_db_errors
    def purge_memberships(self, image_id=None, project_id=None):
        """Remove every membership row (current or revoked) of an image
        and/or a project; return how many went."""
        Member = models.ImageMember
        with self._write():
            query = Member.delete()
            if image_id is not None:
                query = query.where(Member.image == image_id)
            if project_id is not None:
                query = query.where(Member.member == project_id)
            return query.execute()

    @_translate_db_errors
    def delete_member(self, image_id, member_id):
        Member = models.ImageMember
        with self._write():
            deleted = Member.update(
                deleted=True, updated_at=records.utcnow()).where(
                (Member.image == image_id) & (Member.member == member_id) &
                (Member.deleted == False)).execute()  # noqa: E712
        return bool(deleted)


def _sort_spec(sort_keys, sort_dirs):
    """Glance's sort: one direction per key (one given applies to all),
    then created_at and id as tie-breakers in the default direction."""
    keys = list(sort_keys)
    default_dir = sort_dirs[0] if len(sort_dirs) == 1 else 'desc'
    dirs = list(sort_dirs) if len(sort_dirs) == len(keys) else \
        [default_dir] * len(keys)
    for key in ('created_at', 'id'):
        if key not in keys:
            keys.append(key)
            dirs.append(default_dir)
    return keys, dirs


def _after(marker, keys, dirs):
    """Rows strictly after `marker` in the (keys, dirs) order."""
    values = [_SORT_VALUES.get(k, lambda i, k=k: getattr(i, k))(marker)
              for k in keys]
    clauses = []
    for i, (key, direction) in enumerate(zip(keys, dirs)):
        column = _SORT_COLUMNS[key]
        step = column > values[i] if direction == 'asc' else \
            column < values[i]
        for prev_key, prev_value in zip(keys[:i], values[:i]):
            step = step & (_SORT_COLUMNS[prev_key] == prev_value)
        clauses.append(step)
    return functools.reduce(lambda a, b: a | b, clauses)
