"""The repository: every read and write of images and members, in SQL.

Functions return records (plain dataclasses); peewee stays in here. Each
write is one transaction that takes the write lock first (SQLite
`BEGIN IMMEDIATE`; a row lock on the image elsewhere), so quota,
uniqueness and delete-vs-add races are decided by the database, not by luck.
"""

import dataclasses
import datetime
import functools
import operator
import types

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
_IMAGE_FIELDS = ('id',) + records.BASE_ATTRIBUTES + (
    'location', 'created_at', 'updated_at')
# What a metadata update may write: data fields change only through the
# upload path, so a PATCH racing an upload cannot undo it.
_DATA_FIELDS = ('status', 'size', 'virtual_size', 'checksum', 'os_hash_algo',
                'os_hash_value', 'location')


class Prepared:
    """A statement whose SQL peewee builds once per kind of database, then
    runs with new parameters: building SQL text cost more than running it.
    `build(*params)` makes the query; for a read, its selected fields
    convert the row values (SQLite hands back text for datetimes, 0/1 for
    booleans)."""

    def __init__(self, build, arity, converters=None):
        self.build = build
        self.arity = arity
        self.converters = converters  # when the query's own cannot say
        self.compiled = {}

    def _compile(self, database):
        tags = ['\x00gm-param-%d\x00' % i for i in range(self.arity)]
        # converter=False: a column's converter would fold the marker into
        # a constant (a boolean column's turns any marker into TRUE).
        markers = [peewee.Value(tag, converter=False) for tag in tags]
        query = self.build(*markers).bind(database)
        sql, params = query.sql()
        # Each SQL parameter is one of ours (by position) or a constant of
        # the query itself (such as deleted = False).
        order = [(True, tags.index(p)) if p in tags else (False, p)
                 for p in params]
        converters = self.converters or [
            _converter(c) for c in getattr(query, '_returning', None) or ()]
        return sql, order, converters

    def _execute(self, database, params):
        compiled = self.compiled.get(type(database))
        if compiled is None:
            compiled = self.compiled[type(database)] = self._compile(database)
        sql, order, converters = compiled
        return database.execute_sql(
            sql, [params[v] if ours else v for ours, v in order]), converters

    def rows(self, database, *params):
        cursor, converters = self._execute(database, params)
        return [_typed(row, converters) for row in cursor.fetchall()]

    def run(self, database, *params):
        """A write: how many rows it changed."""
        return self._execute(database, params)[0].rowcount


def _typed(row, converters):
    """A raw row with each value converted (None stays None); values past
    the converters are dropped."""
    return tuple(value if convert is None or value is None
                 else convert(value)
                 for convert, value in zip(converters, row))


def _datetime(value):
    """SQLite's text for a datetime (PostgreSQL hands back datetimes);
    peewee's own parser tries formats one by one, 5x slower."""
    if isinstance(value, datetime.datetime):
        return value
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return models.Image.created_at.python_value(value)


def _converter(column):
    """How a selected column's raw value becomes Python: None when the
    database already hands back the right type (text, integers)."""
    if isinstance(column, peewee.DateTimeField):
        return _datetime
    if isinstance(column, peewee.BooleanField):
        return bool
    if isinstance(column, peewee.Field) and not isinstance(
            column, (peewee.CharField, peewee.TextField,
                     peewee.IntegerField, peewee.ForeignKeyField)):
        return column.python_value
    return None  # text, integers, and SQL functions such as COUNT


def _translate_db_errors(func, retries=0):
    """A database that is down or locked past its timeout is a 503. A read
    outside a transaction is retried once on a fresh connection: a pooled
    one may have died unnoticed (PostgresqlPool does not probe each one)."""
    @functools.wraps(func)
    def wrapper(repo, *args, **kwargs):
        for attempt in range(retries + 1):
            in_transaction = repo.database.in_transaction()
            try:
                return func(repo, *args, **kwargs)
            except peewee.DataError as e:
                # A value the database refuses (the API layer should have):
                # a client error, never a 500.
                raise exception.Invalid('Invalid value: %s' % e) from e
            except (peewee.OperationalError, peewee.InterfaceError) as e:
                # Drop the connection: the next request opens a fresh one,
                # so the service recovers by itself when the database is
                # back.
                repo.discard_connection()
                if attempt < retries and not in_transaction and not \
                        isinstance(repo.database, peewee.SqliteDatabase):
                    continue
                raise exception.ServiceUnavailable(
                    'The image database is unavailable: %s' % e) from e
    return wrapper


_read = functools.partial(_translate_db_errors, retries=1)


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
        """A write transaction: on SQLite, writers in turn (db.Sqlite); on
        PostgreSQL, row locks decide."""
        if hasattr(self.database, 'writing'):
            return self.database.writing()
        return self.database.atomic()

    _IMAGE_CREATED_AT = Prepared(lambda image_id: models.Image.select(
        models.Image.created_at).where(models.Image.id == image_id), 1)
    _IMAGE_CREATED_AT_LOCKED = Prepared(
        lambda image_id: models.Image.select(models.Image.created_at).where(
            models.Image.id == image_id).for_update(), 1)

    def _lock_image(self, image_id):
        """The image's created_at (None if it is gone), its row locked for
        the rest of the transaction (SQLite: the write lock is taken)."""
        query = self._IMAGE_CREATED_AT if isinstance(
            self.database, peewee.SqliteDatabase) else \
            self._IMAGE_CREATED_AT_LOCKED
        rows = query.rows(self.database, image_id)
        return rows[0][0] if rows else None

    # --- images -----------------------------------------------------------

    @_read
    def get_image(self, image_id):
        """The image with its properties and tags, in one round trip (the
        start of nearly every request: PostgreSQL's round trips were a
        third of a member request)."""
        sql = _IMAGE_AND_CHILDREN % {'p': self.database.param}
        rows = self.database.execute_sql(sql, [image_id] * 3).fetchall()
        if not rows or rows[0][0] != 0:
            return None
        image = records.Image(**dict(zip(
            _IMAGE_FIELDS, _typed(rows[0][1:], _IMAGE_CONVERTERS))))
        for row in rows[1:]:
            kind, name, value = row[0], row[-3], row[-2]
            if kind == 1:
                image.properties[name] = value
            else:
                image.tags.append(name)
        return image

    @_read
    def list_images(self, query, project_id, is_admin, marker=None):
        """One page of `query`; `marker` is the record of query.marker,
        which the caller has already looked up (and checked)."""
        keys, dirs = _sort_spec(query.sort_keys, query.sort_dirs)
        if _is_plain(query, keys, dirs):
            rows = self._plain_list(query, project_id, is_admin, keys, dirs,
                                    marker)
        else:
            rows = [_typed(row, _IMAGE_CONVERTERS)
                    for row in _list_query(query, project_id, is_admin, keys,
                                           dirs, marker).tuples()
                    .execute(self.database)]
        return self._with_children(rows)

    # Plain lists by shape: every default GET /v2/images and page walk.
    _PLAIN_LISTS = {}

    def _plain_list(self, query, project_id, is_admin, keys, dirs, marker):
        """Rows of a plain list, whose SQL is built once per shape and
        database, as the hot reads' (building it cost more than running
        it)."""
        shape = (is_admin, project_id is None, query.visibility,
                 query.member_status == 'all', dirs[0], marker is None,
                 tuple(query.column_filters))
        prepared = self._PLAIN_LISTS.get(shape)
        if prepared is None:
            def build(project, status, created_at, image_id, limit):
                shaped = dataclasses.replace(query, limit=limit)
                if query.member_status != 'all':
                    shaped.member_status = status
                mark = None if marker is None else types.SimpleNamespace(
                    created_at=created_at, id=image_id)
                return _list_query(shaped, project, is_admin, keys, dirs,
                                   mark)
            prepared = self._PLAIN_LISTS[shape] = Prepared(
                build, 5, _IMAGE_CONVERTERS)
        return prepared.rows(
            self.database, project_id, query.member_status,
            *((None, None) if marker is None else
              (marker.created_at, marker.id)), query.limit)

    def _with_children(self, rows):
        """Records for image rows (the fields, then the sort keys), with
        their properties and tags."""
        images = {row[0]: records.Image(**dict(zip(_IMAGE_FIELDS, row)))
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
        for image_id, is_tag, name, value, _ in self.database.execute_sql(
                'SELECT image_id, 0, name, value, id FROM image_properties '
                'WHERE image_id IN (%s) UNION ALL '
                'SELECT image_id, 1, value, NULL, 0 FROM image_tags '
                'WHERE image_id IN (%s) ORDER BY 2, 5, 3' % (marks, marks),
                ids + ids):
            if is_tag:
                images[image_id].tags.append(name)
            else:
                images[image_id].properties[name] = value

    @_translate_db_errors
    def create_image(self, image):
        now = records.utcnow()
        image.created_at = image.updated_at = now
        try:
            with self._write():
                if models.DeletedImage.select().where(
                        models.DeletedImage.id == image.id).exists(
                            self.database):
                    raise exception.Duplicate()
                models.Image.insert(**{
                    f: getattr(image, f) for f in _IMAGE_FIELDS}).execute(
                    self.database)
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
                models.Image.id == image.id).execute(self.database)
            if not updated:
                return None
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

    @_translate_db_errors
    def delete_image(self, image_id):
        """Delete the image with its members, properties and tags; return
        the store location of its data (or None), or False if it was gone."""
        with self._write():
            row = models.Image.select(models.Image.location).where(
                models.Image.id == image_id).tuples().first(self.database)
            if row is None:
                return False
            for model in (models.ImageMember, models.ImageProperty,
                          models.ImageTag, models.Image):
                column = model.id if model is models.Image else model.image
                model.delete().where(column == image_id).execute(
                    self.database)
            models.DeletedImage.insert(
                id=image_id, deleted_at=records.utcnow()).execute(
                self.database)
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
                (models.Image.status == from_status)).execute(self.database))

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

    @_read
    def get_member(self, image_id, member_id):
        rows = self._MEMBER.rows(self.database, image_id, member_id)
        return records.Member(*rows[0]) if rows else None

    @_read
    def list_members(self, image_id):
        return [records.Member(*row)
                for row in self._MEMBERS_OF.rows(self.database, image_id)]

    _MEMBER_COUNT = Prepared(lambda image_id: models.ImageMember.select(
        peewee.fn.COUNT(models.ImageMember.id)).where(
        (models.ImageMember.image == image_id) &
        (models.ImageMember.deleted == False)), 1)  # noqa: E712
    _MEMBER_DELETED = Prepared(
        lambda image_id, member_id: models.ImageMember.select(
            models.ImageMember.deleted).where(
            (models.ImageMember.image == image_id) &
            (models.ImageMember.member == member_id)), 2)
    _INSERT_MEMBER = Prepared(
        lambda image_id, member_id, now, image_created_at:
        models.ImageMember.insert(
            image=image_id, member=member_id, status='pending',
            deleted=False, created_at=now, updated_at=now,
            image_created_at=image_created_at), 4)
    _REVIVE_MEMBER = Prepared(
        lambda image_id, member_id, now: models.ImageMember.update(
            status='pending', deleted=False, updated_at=now).where(
            (models.ImageMember.image == image_id) &
            (models.ImageMember.member == member_id)), 3)
    _SET_MEMBER_STATUS = Prepared(
        lambda image_id, member_id, status, now: models.ImageMember.update(
            status=status, updated_at=now).where(
            (models.ImageMember.image == image_id) &
            (models.ImageMember.member == member_id) &
            (models.ImageMember.deleted == False)), 4)  # noqa: E712
    _DELETE_MEMBER = Prepared(
        lambda image_id, member_id, now: models.ImageMember.update(
            deleted=True, updated_at=now).where(
            (models.ImageMember.image == image_id) &
            (models.ImageMember.member == member_id) &
            (models.ImageMember.deleted == False)), 3)  # noqa: E712

    @_translate_db_errors
    def add_member(self, image_id, member_id, quota):
        """Add (or revive, as pending) a membership.

        Raises NotFound if the image went away, OverLimit (with
        `attempted`) past `quota` (negative: unlimited), Duplicate if the
        membership exists. Quota is checked before duplicates, as Glance.
        """
        now = records.utcnow()
        with self._write():
            image_created_at = self._lock_image(image_id)
            if image_created_at is None:
                raise exception.NotFound()
            [(count,)] = self._MEMBER_COUNT.rows(self.database, image_id)
            if 0 <= quota < count + 1:
                raise exception.OverLimit(attempted=count + 1)
            existing = self._MEMBER_DELETED.rows(self.database, image_id,
                                                 member_id)
            if existing and not existing[0][0]:
                raise exception.Duplicate()
            if existing:
                self._REVIVE_MEMBER.run(self.database, image_id, member_id,
                                        now)
            else:
                self._INSERT_MEMBER.run(self.database, image_id, member_id,
                                        now, image_created_at)
            # Read it back before commit: once committed, a racing image
            # delete may take it at once.
            return self.get_member(image_id, member_id)

    @_translate_db_errors
    def update_member_status(self, image_id, member_id, status):
        """None if the membership is gone: an update never revives it."""
        with self._write():
            updated = self._SET_MEMBER_STATUS.run(
                self.database, image_id, member_id, status, records.utcnow())
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

    @_read
    def find_memberships(self, image_id=None, project_id=None):
        """Current memberships of an image and/or a project, oldest first."""
        Member = models.ImageMember
        query = self._memberships(image_id, project_id).where(
            Member.deleted == False).order_by(Member.id)  # noqa: E712
        return [records.Member(*row)
                for row in query.tuples().execute(self.database)]

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
            return query.execute(self.database)

    @_translate_db_errors
    def delete_member(self, image_id, member_id):
        with self._write():
            deleted = self._DELETE_MEMBER.run(self.database, image_id,
                                              member_id, records.utcnow())
        return bool(deleted)


_IMAGE_COLUMNS = [getattr(models.Image, f) for f in _IMAGE_FIELDS]
# Image rows read in plain SQL come back raw (SQLite: text datetimes, 0/1
# booleans): the fields convert as the model's; a list's sort keys after
# them are dropped.
_IMAGE_CONVERTERS = [_converter(models.Image._meta.fields[f])
                     for f in _IMAGE_FIELDS]
_DEFAULT_KEYS = ['created_at', 'id']
# An image row (kind 0), then its properties in the order they were added
# (1) and its tags sorted (2), as rows of one shape; %(p)s: the parameter
# mark of the database.
_IMAGE_AND_CHILDREN = (
    'SELECT 0, {columns}, NULL, NULL, 0 FROM images WHERE id = %(p)s '
    'UNION ALL SELECT 1, {nulls}, name, value, id FROM image_properties '
    'WHERE image_id = %(p)s '
    'UNION ALL SELECT 2, {nulls}, value, NULL, 0 FROM image_tags '
    'WHERE image_id = %(p)s ORDER BY 1, {order}, {name}').format(
    columns=', '.join('"%s"' % f for f in _IMAGE_FIELDS),
    nulls=', '.join(['NULL'] * len(_IMAGE_FIELDS)),
    order=len(_IMAGE_FIELDS) + 4, name=len(_IMAGE_FIELDS) + 2)
# Filters a plain list may have (Glance hides os_hidden images by default).
_PLAIN_FILTERS = [('os_hidden', 'eq', False), ('os_hidden', 'eq', True)]


def _is_plain(query, keys, dirs):
    """The default order, and no filter but os_hidden."""
    return (keys == _DEFAULT_KEYS and dirs[0] == dirs[1] and
            not query.property_filters and not query.tags and
            all(f in _PLAIN_FILTERS for f in query.column_filters))


def _list_conditions(query, project_id):
    """The query's filters, for every branch of the list."""
    Image = models.Image
    conditions = [Image.status.not_in(['killed', 'deleted'])]
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
    return conditions


def _list_query(query, project_id, is_admin, keys, dirs, marker):
    """The page's query: one sorted, limited query per branch of what the
    caller may list, their union sorted and limited again."""
    conditions = _list_conditions(query, project_id)
    if is_admin:
        branches = [models.Image.select(*_IMAGE_COLUMNS).where(*conditions)]
    else:
        branches = _listable_branches(query, project_id, conditions)
    pages = [_page(b, keys, dirs, marker, query.limit) for b in branches]
    if len(pages) == 1:
        return pages[0]
    union = functools.reduce(operator.or_, [
        peewee.Select([page.alias('b%d' % i)], [peewee.SQL('*')])
        for i, page in enumerate(pages)])
    return union.order_by(*[peewee.SQL('sort_%d %s' % (i, d.upper()))
                            for i, d in enumerate(dirs)]).limit(query.limit)


def _listable_branches(query, project_id, conditions):
    """Glance's union for a non-admin (public and community images, the
    caller's own, and shared images it is a member of in the status asked
    for) as separate queries, each of which one index serves in order; a
    branch the visibility filter rules out is left out."""
    Image, Member = models.Image, models.ImageMember
    visibility = query.visibility
    branches = [Image.select(*_IMAGE_COLUMNS).where(
        Image.visibility == v, *conditions)
        for v in ('public', 'community')
        if visibility in ('all', v) or (visibility, v) == (None, 'public')]
    if project_id is None:
        return branches
    branches.append(Image.select(*_IMAGE_COLUMNS).where(
        Image.owner == project_id, *conditions))
    if visibility in (None, 'all', 'shared'):
        # Driven from the caller's memberships: a consumer with 10,000
        # shares reads one page of them, not all of them.
        shares = [Member.member == project_id,
                  Member.deleted == False]  # noqa: E712 (SQL, not Python)
        if query.member_status != 'all':
            shares.append(Member.status == query.member_status)
        branches.append(Member.select(*_IMAGE_COLUMNS).join(
            Image, on=(Member.image == Image.id)).where(
            *shares, Image.visibility == 'shared', *conditions))
    return branches


def _page(branch, keys, dirs, marker, limit):
    """`branch` sorted, after `marker`, cut to `limit`; it also selects
    the sort keys as sort_0, sort_1... for the union's outer sort."""
    default = keys == _DEFAULT_KEYS and dirs[0] == dirs[1]
    if default and branch.model is models.ImageMember:
        # The shares branch sorts on its index's copy of created_at.
        ordered_by = [models.ImageMember.image_created_at,
                      models.ImageMember.image]
    else:
        ordered_by = [_SORT_COLUMNS[k] for k in keys]
    if marker is not None:
        if default:
            # A row value: both databases seek an index with it.
            after = peewee.Tuple(*ordered_by)
            before = peewee.Tuple(marker.created_at, marker.id)
            branch = branch.where(after > before if dirs[0] == 'asc' else
                                  after < before)
        else:
            branch = branch.where(_after(marker, keys, dirs))
    sort_keys = [_SORT_COLUMNS[k].alias('sort_%d' % i)
                 for i, k in enumerate(keys)]
    return branch.select_extend(*sort_keys).order_by(
        *[c.asc() if d == 'asc' else c.desc()
          for c, d in zip(ordered_by, dirs)]).limit(limit)


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
