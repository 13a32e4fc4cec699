"""Moving in from Glance: read a Glance 33 database (SQLite, MariaDB/MySQL
or PostgreSQL) and import its images and members, data left where it is.

Every image that is not deleted comes with its id, owner, visibility,
status, properties, tags, checksums, timestamps, its location (the same
glance_store URL: downloads read the same bytes) and its members with
their statuses; the ids of deleted images are recorded so that they are
never given out again (as Glance). Nothing is written unless every row
maps: what cannot is refused, named. An image whose id exists here is left
alone (and counted), so a second run changes nothing. Glance's duplicate
member rows (its unique key holds only once `deleted_at` is set) are
collapsed to the most recently updated one.
"""

import collections
import dataclasses
import urllib.parse

import peewee

from glance_members import records
from glance_members.db import prepared

# Statuses an image keeps here as they are.
IMPORTABLE_STATUSES = ('queued', 'active', 'killed', 'deactivated')
# Statuses of a deleted image (Glance marks it deleted too).
DELETED_STATUSES = ('deleted', 'pending_delete')
# Statuses whose bytes must be somewhere.
STATUSES_WITH_DATA = ('active', 'deactivated')
# Column widths of this service's schema (db/models.py).
_WIDTHS = {'name': 255, 'owner': 255, 'disk_format': 20,
           'container_format': 20, 'checksum': 32, 'os_hash_algo': 64,
           'os_hash_value': 128}
_IMAGE_COLUMNS = ('id', 'name', 'disk_format', 'container_format',
                  'visibility', 'size', 'virtual_size', 'status', 'checksum',
                  'protected', 'min_ram', 'min_disk', 'owner', 'os_hidden',
                  'os_hash_algo', 'os_hash_value', 'created_at',
                  'updated_at', 'deleted', 'deleted_at')


@dataclasses.dataclass
class Report:
    """What an import did (or, dry, would do)."""
    images: int = 0            # imported
    existing: int = 0          # already here: left alone
    members: int = 0           # imported, with the images
    properties: int = 0
    tags: int = 0
    deleted_images: int = 0    # ids recorded as never to be reused
    deleted_members: int = 0   # Glance rows of removed members: skipped
    collapsed: list = dataclasses.field(default_factory=list)
    refused: list = dataclasses.field(default_factory=list)
    by_status: collections.Counter = dataclasses.field(
        default_factory=collections.Counter)


def open_glance(url):
    """A peewee database on Glance's `[database] connection` URL (SQLite
    is opened read only)."""
    parsed = urllib.parse.urlsplit(url)
    scheme = parsed.scheme.split('+')[0]
    if scheme == 'sqlite':
        path = urllib.parse.unquote(parsed.path)[1:]
        return peewee.SqliteDatabase('file:%s?mode=ro' % path, uri=True)
    kwargs = dict(
        user=urllib.parse.unquote(parsed.username or '') or None,
        password=urllib.parse.unquote(parsed.password or '') or None,
        host=parsed.hostname, port=parsed.port)
    name = urllib.parse.unquote(parsed.path.lstrip('/'))
    if scheme in ('postgresql', 'postgres'):
        return peewee.PostgresqlDatabase(name, **kwargs)
    if scheme in ('mysql', 'mariadb'):
        kwargs['password'] = kwargs['password'] or ''
        return peewee.MySQLDatabase(name, charset='utf8mb4', **kwargs)
    raise ValueError('Unsupported database URL scheme %r' % parsed.scheme)


def _rows(database, sql, params=()):
    cursor = database.execute_sql(sql.replace('?', database.param), params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _when(value):
    return None if value is None else prepared._datetime(value)


def _by_image(rows):
    grouped = collections.defaultdict(list)
    for row in rows:
        grouped[row['image_id']].append(row)
    return grouped


def _live_rows(database, table, columns, condition=''):
    """{image_id: [row]} of a child table's rows not deleted, oldest
    first."""
    return _by_image(_rows(
        database, 'SELECT id, image_id, %s FROM %s WHERE NOT deleted%s '
        'ORDER BY id' % (columns, table, condition)))


def read_glance(database, report):
    """[(records.Image, [records.Member])] of the images to import and the
    [(id, deleted_at)] of the deleted ones; rows that cannot be mapped go
    to report.refused."""
    images = _rows(database, 'SELECT %s FROM images ORDER BY created_at, id'
                   % ', '.join(_IMAGE_COLUMNS))
    properties = _live_rows(database, 'image_properties', 'name, value')
    tags = _live_rows(database, 'image_tags', 'value')
    locations = _live_rows(database, 'image_locations', 'value, status',
                           " AND status = 'active'")
    members = _by_image(_rows(
        database, 'SELECT id, image_id, member, status, deleted, '
        'created_at, updated_at FROM image_members ORDER BY id'))
    wanted, deleted = [], []
    for row in images:
        if row['deleted'] or row['status'] in DELETED_STATUSES:
            deleted.append((row['id'], _when(row['deleted_at'] or
                                             row['updated_at'])))
            continue
        problems = _image_problems(row, locations.get(row['id'], []))
        image = records.Image(
            id=row['id'], owner=row['owner'], name=row['name'],
            disk_format=row['disk_format'],
            container_format=row['container_format'],
            visibility=row['visibility'], size=row['size'],
            virtual_size=row['virtual_size'], status=row['status'],
            checksum=row['checksum'], protected=bool(row['protected']),
            min_ram=row['min_ram'] or 0, min_disk=row['min_disk'] or 0,
            os_hidden=bool(row['os_hidden']),
            os_hash_algo=row['os_hash_algo'],
            os_hash_value=row['os_hash_value'],
            location=(locations.get(row['id']) or [{}])[0].get('value'),
            created_at=_when(row['created_at']),
            updated_at=_when(row['updated_at'] or row['created_at']))
        for prop in properties.get(row['id'], []):
            if len(prop['name']) > 255:
                problems.append('image_properties row id=%s: name longer '
                                'than 255' % prop['id'])
            image.properties[prop['name']] = prop['value']
        for tag in tags.get(row['id'], []):
            if len(tag['value']) > 255:
                problems.append('image_tags row id=%s: longer than 255'
                                % tag['id'])
            image.tags.append(tag['value'])
        image_members = _members(row['id'], members.get(row['id'], []),
                                 problems, report)
        if problems:
            report.refused.extend(problems)
        else:
            wanted.append((image, image_members))
    return wanted, deleted


def _image_problems(row, locations):
    where = 'images row id=%s' % row['id']
    problems = []
    if row['status'] not in IMPORTABLE_STATUSES:
        problems.append('%s: status %r (finish or stop that operation in '
                        'Glance first)' % (where, row['status']))
    if row['visibility'] not in ('public', 'community', 'shared',
                                 'private'):
        problems.append('%s: visibility %r' % (where, row['visibility']))
    for column, width in _WIDTHS.items():
        if row[column] is not None and len(row[column]) > width:
            problems.append('%s: %s longer than %d' % (where, column, width))
    if len(locations) > 1:
        problems.append('%s: %d active locations (image_locations ids %s); '
                        'this service keeps one' % (
                            where, len(locations),
                            ', '.join(str(loc['id']) for loc in locations)))
    if row['status'] in STATUSES_WITH_DATA and not locations:
        problems.append('%s: status %s without an active location'
                        % (where, row['status']))
    return problems


def _members(image_id, rows, problems, report):
    """The image's current members, one per member id (the most recently
    updated of Glance's duplicate rows)."""
    current = collections.OrderedDict()
    for row in rows:
        if row['deleted']:
            report.deleted_members += 1
            continue
        if row['status'] not in records.MEMBER_STATUSES:
            problems.append('image_members row id=%s: status %r'
                            % (row['id'], row['status']))
            continue
        if len(row['member']) > 255:
            problems.append('image_members row id=%s: member longer than '
                            '255' % row['id'])
            continue
        current.setdefault(row['member'], []).append(row)
    members = []
    for member_id, duplicates in current.items():
        kept = max(duplicates, key=lambda r: (_when(r['updated_at']),
                                              r['id']))
        if len(duplicates) > 1:
            report.collapsed.append(
                'image %s member %s: image_members rows %s collapsed to '
                'row %s (%s)' % (image_id, member_id,
                                 ', '.join(str(r['id']) for r in duplicates),
                                 kept['id'], kept['status']))
        members.append(records.Member(
            image_id, member_id, kept['status'],
            _when(min(r['created_at'] for r in duplicates)),
            _when(kept['updated_at'] or kept['created_at'])))
    return members


def import_glance(glance_database, repo, dry_run=False):
    """Read Glance's database and (unless `dry_run`, or a row cannot be
    mapped) import it through `repo`; the Report."""
    report = Report()
    wanted, deleted = read_glance(glance_database, report)
    if report.refused:
        return report
    for image, members in wanted:
        if repo.get_image(image.id) is not None or \
                repo.is_deleted_image(image.id):
            report.existing += 1
            continue
        if not dry_run and not repo.import_image(image, members):
            report.existing += 1
            continue
        report.images += 1
        report.members += len(members)
        report.properties += len(image.properties)
        report.tags += len(set(image.tags))
        report.by_status[image.status] += 1
    for image_id, deleted_at in deleted:
        if repo.get_image(image_id) is not None or \
                repo.is_deleted_image(image_id):
            continue
        if dry_run or repo.record_deleted_image(image_id, deleted_at):
            report.deleted_images += 1
    return report
