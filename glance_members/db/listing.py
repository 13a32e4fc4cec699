"""The image list in SQL: GET /v2/images' filters, sort and keyset pages.

A caller's list is Glance's union (public, community, its own, shared with
it), built as one sorted, limited query per branch that an index serves in
order, their union sorted and limited again. Plain lists (the default
order, no filter but os_hidden) run as prepared statements.
"""

import dataclasses
import functools
import operator
import types

import peewee

from glance_members.db import models
from glance_members.db import prepared
from glance_members import records

# The columns of an image row, as every image read selects them.
IMAGE_FIELDS = ('id',) + records.BASE_ATTRIBUTES + (
    'location', 'created_at', 'updated_at')
_IMAGE_COLUMNS = [getattr(models.Image, f) for f in IMAGE_FIELDS]
# Image rows read in plain SQL come back raw (SQLite: text datetimes, 0/1
# booleans): the fields convert as the model's; a list's sort keys after
# them are dropped.
IMAGE_CONVERTERS = [prepared.converter(models.Image._meta.fields[f])
                    for f in IMAGE_FIELDS]
_DEFAULT_KEYS = ['created_at', 'id']
# Filters a plain list may have (Glance hides os_hidden images by default).
_PLAIN_FILTERS = [('os_hidden', 'eq', False), ('os_hidden', 'eq', True)]

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
_FILTER_COLUMNS = {name: getattr(models.Image, name) for name in (
    'name', 'id', 'status', 'owner', 'container_format', 'disk_format',
    'created_at', 'updated_at', 'size', 'virtual_size', 'min_ram',
    'min_disk', 'checksum', 'os_hash_value', 'protected', 'os_hidden')}
_OPERATORS = {
    'eq': lambda c, v: c == v, 'neq': lambda c, v: c != v,
    'gt': lambda c, v: c > v, 'gte': lambda c, v: c >= v,
    'lt': lambda c, v: c < v, 'lte': lambda c, v: c <= v,
    'in': lambda c, v: c.in_(v),
}


def page_rows(database, query, project_id, is_admin, marker=None):
    """The rows (IMAGE_FIELDS, converted) of one page of `query`; `marker`
    is the record of query.marker, already looked up and checked."""
    keys, dirs = _sort_spec(query.sort_keys, query.sort_dirs)
    if _is_plain(query, keys, dirs):
        return _plain_rows(database, query, project_id, is_admin, keys,
                           dirs, marker)
    # Values come back raw or converted depending on the query's shape:
    # typed() takes both (the generated readers expect raw rows).
    return [prepared.typed(row, IMAGE_CONVERTERS) for row in _list_query(
        query, project_id, is_admin, keys, dirs, marker,
        records.utcnow()).tuples().execute(database)]


# Plain lists by shape: every default GET /v2/images and page walk.
_PLAIN_LISTS = {}


def _plain_rows(database, query, project_id, is_admin, keys, dirs, marker):
    """Rows of a plain list, whose SQL is built once per shape and
    database, as the hot reads' (building it cost more than running it)."""
    shape = (is_admin, project_id is None, query.visibility,
             query.member_status == 'all', dirs[0], marker is None,
             tuple(query.column_filters))
    statement = _PLAIN_LISTS.get(shape)
    if statement is None:
        def build(project, status, created_at, image_id, limit, now):
            shaped = dataclasses.replace(query, limit=limit)
            if query.member_status != 'all':
                shaped.member_status = status
            mark = None if marker is None else types.SimpleNamespace(
                created_at=created_at, id=image_id)
            return _list_query(shaped, project, is_admin, keys, dirs, mark,
                               now)
        statement = _PLAIN_LISTS[shape] = prepared.Prepared(
            build, 6, IMAGE_CONVERTERS)
    return statement.rows(
        database, project_id, query.member_status,
        *((None, None) if marker is None else
          (marker.created_at, marker.id)), query.limit, records.utcnow())


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


def _list_query(query, project_id, is_admin, keys, dirs, marker, now):
    """The page's query: one sorted, limited query per branch of what the
    caller may list, their union sorted and limited again; memberships
    past their expiry (as of `now`) are gone."""
    conditions = _list_conditions(query, project_id)
    if is_admin:
        branches = [models.Image.select(*_IMAGE_COLUMNS).where(*conditions)]
    else:
        branches = _listable_branches(query, project_id, conditions, now)
    pages = [_page(b, keys, dirs, marker, query.limit) for b in branches]
    if len(pages) == 1:
        return pages[0]
    union = functools.reduce(operator.or_, [
        peewee.Select([page.alias('b%d' % i)], [peewee.SQL('*')])
        for i, page in enumerate(pages)])
    return union.order_by(*[peewee.SQL('sort_%d %s' % (i, d.upper()))
                            for i, d in enumerate(dirs)]).limit(query.limit)


def _listable_branches(query, project_id, conditions, now):
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
                  Member.deleted == False,  # noqa: E712 (SQL, not Python)
                  (Member.expires_at.is_null() | (Member.expires_at > now))]
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
