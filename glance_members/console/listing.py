"""What the image list and the review page show, from the API's answers:
plain rows for the templates (no Flask here, so the render benchmark and the
unit tests can build them)."""

import dataclasses
import urllib.parse

MINE = 'Mine'
# Rows per page of the image list: a page stays far under 100 KB of HTML.
IMAGES_PER_PAGE = 100
SHARED_IMAGE = 'Shared Image'
MEMBER_STATUS_LABELS = {'accepted': 'Accepted', 'rejected': 'Rejected',
                        'pending': 'Pending Acceptance'}


@dataclasses.dataclass
class ImageRow:
    region: str
    id: str
    name: str
    status: str
    source: str  # MINE or SHARED_IMAGE
    producer: str  # the owner project's id (or name, when known)
    size: object
    created_at: str
    href: str  # the image's page


@dataclasses.dataclass
class PendingShare:
    region: str
    image_id: str
    name: str
    producer: str
    size: object
    shared_at: str  # None when the API (stock /v2) does not tell it

    @property
    def key(self):
        """The form value naming this share: region/image id."""
        return '%s/%s' % (self.region, self.image_id)


def split_key(key):
    """(region, image_id) from a PendingShare.key (region names may hold a
    slash, image ids do not)."""
    region, _, image_id = (key or '').rpartition('/')
    return region, image_id


def image_rows(images, region, project_id, project_names, link_prefix=''):
    """The caller's images and the shares it accepted, in the API's order;
    each page's URL is `link_prefix` + the quoted image id.

    Glance's default list also holds public and community images of other
    projects: the console's list, as the seed's, is the caller's own."""
    rows = []
    for image in images:
        owner = image.get('owner') or ''
        if owner == project_id:
            source, producer = MINE, ''
        elif image.get('visibility') == 'shared':
            source = SHARED_IMAGE
            producer = project_names.get(owner, owner)
        else:
            continue
        rows.append(ImageRow(region, image['id'], image.get('name') or '',
                             image.get('status', ''), source, producer,
                             image.get('size'), image.get('created_at', ''),
                             link_prefix + urllib.parse.quote(image['id'],
                                                              safe='')))
    return rows


@dataclasses.dataclass
class Page:
    rows: list
    number: int  # from 1
    count: int   # pages in all (at least 1)
    total: int   # rows in all
    first: int   # 1-based position of rows[0] (0 when there is none)


def page_of(rows, number, size=None):
    """Page `number` (from 1; past the end: the last page) of `rows`."""
    size = size or IMAGES_PER_PAGE
    count = max(1, -(-len(rows) // size))
    number = min(max(number, 1), count)
    start = (number - 1) * size
    return Page(rows[start:start + size], number, count, len(rows),
                start + 1 if rows else 0)


def producer_names(shares):
    """{owner id: name} the inbox's shares tell."""
    return {(s.get('image') or {}).get('owner'): s['producer_name']
            for s in shares if s.get('producer_name')}


def pending_from_inbox(shares, region, project_names):
    names = dict(project_names, **producer_names(shares))
    return [PendingShare(region, s['image_id'],
                         (s.get('image') or {}).get('name') or '',
                         _name(names, (s.get('image') or {}).get('owner')),
                         (s.get('image') or {}).get('size'),
                         s.get('created_at'))
            for s in shares]


def pending_from_images(images, region, project_id, project_names):
    """Stock /v2: `?visibility=shared&member_status=pending` lists the
    caller's own shared images too; those are not shares to decide."""
    return [PendingShare(region, i['id'], i.get('name') or '',
                         _name(project_names, i.get('owner')),
                         i.get('size'), None)
            for i in images if i.get('owner') != project_id]


def _name(project_names, project_id):
    project_id = project_id or ''
    return project_names.get(project_id, project_id)


def count_of(number, noun):
    """'1 image', '2 images': the plural as English wants it."""
    return '%d %s' % (number, noun if number == 1 else noun + 's')


def human_size(size):
    """1536 -> '1.5 KiB'; None -> '' (an image without data)."""
    if size is None:
        return ''
    value = float(size)
    for unit in ('B', 'KiB', 'MiB', 'GiB', 'TiB'):
        if value < 1024 or unit == 'TiB':
            return ('%d %s' % (value, unit)) if unit == 'B' else \
                '%.1f %s' % (value, unit)
        value /= 1024


def short_time(stamp):
    """'2026-12-04T02:32:28Z' -> '2026-12-04 02:32 UTC'."""
    if not stamp:
        return ''
    stamp = str(stamp)
    if len(stamp) >= 16 and stamp[10] == 'T':
        return '%s %s UTC' % (stamp[:10], stamp[11:16])
    return stamp


def member_status_label(status):
    return MEMBER_STATUS_LABELS.get(status, status)
