"""Image wire format: Glance's image view, and the create, patch and list
requests parsed with Glance's rules and messages."""

import functools
import json
import re

import jsonschema
from marshmallow import fields
import marshmallow
from oslo_utils import timeutils

from glance_members import exception
from glance_members import records
from glance_members.schemas import documents
from glance_members.schemas import timestamps

# glance.api.v2.images.RequestDeserializer
DISALLOWED = ('direct_url', 'self', 'file', 'schema', 'stores')
READONLY = ('created_at', 'updated_at', 'status', 'checksum', 'size',
            'virtual_size', 'direct_url', 'self', 'file', 'schema', 'id',
            'os_hash_algo', 'os_hash_value')
RESERVED = ('location', 'deleted', 'deleted_at')
RESERVED_NAMESPACE = 'os_glance'
SETTABLE = records.SETTABLE_ATTRIBUTES
SORT_KEYS = ('name', 'status', 'container_format', 'disk_format', 'size',
             'id', 'created_at', 'updated_at')
PATCH_TYPES = {'application/openstack-images-v2.0-json-patch': 4,
               'application/openstack-images-v2.1-json-patch': 10}
OPERATIONS = ('add', 'remove', 'replace')
INT_MAX = 2 ** 31 - 1  # Glance's min_ram/min_disk columns are INTEGER


def _text(**kwargs):
    return fields.String(required=True, **kwargs)


def _nullable_text():
    return fields.String(required=True, allow_none=True)


class ImageSchema(marshmallow.Schema):
    """Glance's image view: user properties (strings) first, then these
    keys, every one always present."""

    class Meta:
        unknown = marshmallow.INCLUDE  # documents the user properties

    name = _nullable_text()
    disk_format = _nullable_text()
    container_format = _nullable_text()
    visibility = _text()
    size = fields.Integer(required=True, allow_none=True)
    virtual_size = fields.Integer(required=True, allow_none=True)
    status = _text()
    checksum = _nullable_text()
    protected = fields.Boolean(required=True)
    min_ram = fields.Integer(required=True)
    min_disk = fields.Integer(required=True)
    owner = _nullable_text()
    os_hidden = fields.Boolean(required=True)
    os_hash_algo = _nullable_text()
    os_hash_value = _nullable_text()
    id = _text()
    created_at = timestamps.IsoTime(required=True)
    updated_at = timestamps.IsoTime(required=True)
    tags = fields.List(fields.String(), required=True)
    self = fields.Function(lambda image: '/v2/images/%s' % image.id,
                           required=True, metadata={'type': 'string'})
    file = fields.Function(lambda image: '/v2/images/%s/file' % image.id,
                           required=True, metadata={'type': 'string'})
    schema = fields.Constant('/v2/schemas/image', required=True)

    @marshmallow.post_dump(pass_original=True)
    def _properties_first(self, data, image, **kwargs):
        view = dict(image.properties)
        view.update(data)
        return view


def image_view(image):
    """What ImageSchema dumps (a unit test holds them equal), built by hand
    because image lists are on every boot's path."""
    image_id = image.id
    link = '/v2/images/%s' % image_id
    created_at, updated_at = timestamps.isotimes(image.created_at,
                                                 image.updated_at)
    # Like dict(properties).update(...): the view's keys win, in place.
    return {**image.properties,
            'name': image.name, 'disk_format': image.disk_format,
            'container_format': image.container_format,
            'visibility': image.visibility, 'size': image.size,
            'virtual_size': image.virtual_size, 'status': image.status,
            'checksum': image.checksum, 'protected': image.protected,
            'min_ram': image.min_ram, 'min_disk': image.min_disk,
            'owner': image.owner, 'os_hidden': image.os_hidden,
            'os_hash_algo': image.os_hash_algo,
            'os_hash_value': image.os_hash_value, 'id': image_id,
            'created_at': created_at, 'updated_at': updated_at,
            'tags': list(image.tags), 'self': link, 'file': link + '/file',
            'schema': '/v2/schemas/image'}


class ImagesSchema(marshmallow.Schema):
    """Documents GET /v2/images (the body is built by api.images)."""
    images = fields.List(fields.Nested(ImageSchema), required=True)
    first = _text()
    next = fields.String()  # when the page was full
    schema = fields.Constant('/v2/schemas/images', required=True)


class ImageCreateSchema(marshmallow.Schema):
    """Documents POST /v2/images; parse_create applies Glance's rules."""
    name = fields.String(allow_none=True)
    visibility = fields.String()
    container_format = fields.String(allow_none=True)
    disk_format = fields.String(allow_none=True)
    tags = fields.List(fields.String())


@functools.cache
def _image_validator():
    """What jsonschema.validate(document, image schema) builds on every
    call (much of image-create's CPU), built once: the class
    the schema implies, its check_schema, and no format checker."""
    schema = documents.parsed('image')
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _validate(document):
    # jsonschema.validate raises the best match of all errors: so do we,
    # keeping the messages byte for byte.
    error = jsonschema.exceptions.best_match(
        _image_validator().iter_errors(document))
    if error is not None:
        raise exception.Invalid(
            "Provided object does not match schema 'image': %s" % error)


def _check_strings(image_fields):
    """Glance's no_4byte_params, plus the bounds its columns impose."""
    for key, value in image_fields.items():
        if timestamps.has_4byte_unicode(key):
            raise exception.Invalid("Property names can't contain 4 byte "
                                    "unicode.")
        if timestamps.has_4byte_unicode(value):
            raise exception.Invalid("%s can't contain 4 byte unicode "
                                    "characters." % key.title())
    for key in ('min_ram', 'min_disk'):
        value = image_fields.get(key)
        if value is not None and not 0 <= value <= INT_MAX:
            raise exception.Invalid('%s must be between 0 and %d.'
                                    % (key, INT_MAX))


def _check_property_name(key):
    if len(key) > 255:
        raise exception.Invalid(
            'Custom property should not be greater than 255 characters.')
    if key in RESERVED or key.startswith(RESERVED_NAMESPACE):
        raise exception.Forbidden(detail="Attribute '%s' is reserved." % key)


def parse_create(document):
    """A records.Image (id and owner None when not given) from the body."""
    if not isinstance(document, dict):
        # Glance's image schema has no top-level type and it answers 500.
        raise exception.Invalid("Provided object does not match schema "
                                "'image': %s is not of type 'object'"
                                % json.dumps(document)[:200])
    for key in DISALLOWED:
        if key in document:
            raise exception.Forbidden("Attribute '%s' is read-only." % key)
    _validate(document)
    if 'locations' in document:
        raise exception.Forbidden("Attribute 'locations' is reserved.")
    body = dict(document)
    tags = body.pop('tags', [])
    base = {key: body.pop(key) for key in
            SETTABLE + ('id',) + READONLY if key in body}
    for key in body:
        _check_property_name(key)
    for key in READONLY:
        if key in base and key != 'id':
            raise exception.Forbidden("Attribute '%s' is read-only." % key)
    _check_strings(base)
    _check_strings(body)
    for tag in tags:
        _check_strings({'tags': tag})
    image = records.Image(id=base.pop('id', None),
                          owner=base.pop('owner', None),
                          properties=body, tags=list(dict.fromkeys(tags)))
    for key, value in base.items():
        setattr(image, key, value)
    if image.id is not None:
        image.id = image.id.lower()
    return image


# --- PATCH -----------------------------------------------------------------

def _decode_pointer(pointer):
    if not isinstance(pointer, str):
        raise exception.Invalid('Pointer `%s` does not start with "/".'
                                % (pointer,))
    if not pointer.startswith('/'):
        raise exception.Invalid('Pointer `%s` does not start with "/".'
                                % pointer)
    if re.search(r'/\s*?/', pointer[1:]):
        raise exception.Invalid('Pointer `%s` contains adjacent "/".'
                                % pointer)
    if len(pointer) > 1 and pointer.endswith('/'):
        raise exception.Invalid('Pointer `%s` end with "/".' % pointer)
    if pointer[1:].strip() == '/':
        raise exception.Invalid('Pointer `%s` does not contains valid token.'
                                % pointer)
    if re.search('~[^01]', pointer) or pointer.endswith('~'):
        raise exception.Invalid('Pointer `%s` contains "~" not part of a '
                                'recognized escape sequence.' % pointer)
    return [part.replace('~1', '/').replace('~0', '~').strip()
            for part in pointer.lstrip('/').split('/')]


def _operation(change, draft):
    if draft == 10:
        op = change.get('op')
        if op is None:
            raise exception.Invalid(
                'Unable to find `op` in JSON Schema change. It must be one '
                'of the following: add, remove, replace.')
        if op not in OPERATIONS:
            raise exception.Invalid(
                'Invalid operation: `%s`. It must be one of the following: '
                'add, remove, replace.' % (op,))
        if 'path' not in change:
            raise exception.Invalid("Unable to find 'path' in JSON Schema "
                                    "change")
        return op, change['path']
    present = [op for op in OPERATIONS if op in change]
    if len(present) > 1:
        raise exception.Invalid('Operation objects must contain only one '
                                'member named "add", "remove", or "replace".')
    if not present:
        raise exception.Invalid('Operation objects must contain exactly one '
                                'member named "add", "remove", or '
                                '"replace".')
    return present[0], change[present[0]]


def parse_patch(content_type, document_reader):
    """[(op, path, value)] from a JSON-patch body of either Glance dialect.

    `document_reader()` reads the body; it is called only once the media
    type is known to be right (Glance checks the type first). A v2.0 `add`
    of something present is a conflict: its op comes back as 'add-new'.
    """
    if content_type not in PATCH_TYPES:
        allowed = ', '.join(sorted(PATCH_TYPES))
        raise exception.UnsupportedMediaType(
            headers={'Accept-Patch': allowed},
            detail='Image PATCH expects Content-Type one of: %s' % allowed)
    draft = PATCH_TYPES[content_type]
    document = document_reader()
    if not isinstance(document, list):
        raise exception.Invalid('Request body must be a JSON array of '
                                'operation objects.')
    changes = []
    for raw in document:
        if not isinstance(raw, dict):
            raise exception.Invalid('Operations must be JSON objects.')
        op, pointer = _operation(raw, draft)
        path = _decode_pointer(pointer)
        if len(path) != (2 if path[0] == 'locations' and op != 'replace'
                         else 1):
            raise exception.Invalid(
                "Invalid JSON pointer for this resource: '/%s'"
                % '/'.join(path))
        value = None
        if op != 'remove':
            if 'value' not in raw:
                raise exception.Invalid(
                    'Operation "%s" requires a member named "value".' % op)
            value = raw['value']
        _validate_change(op, path, value)
        if op == 'add' and draft == 4:
            op = 'add-new'
        changes.append((op, path, value))
    return changes


def _validate_change(op, path, value):
    name = path[0]
    if name in READONLY:
        raise exception.Forbidden("Attribute '%s' is read-only." % name)
    if name in RESERVED or name.startswith(RESERVED_NAMESPACE):
        raise exception.Forbidden("Attribute '%s' is reserved." % name)
    if op == 'remove':
        return
    if len(path) == 1:
        _validate({name: value})
        if name not in SETTABLE and name not in ('tags', 'locations'):
            _check_property_name(name)
        _check_strings({name: value})
        if name == 'tags':
            for tag in value:
                _check_strings({'tags': tag})


def parse_tag(tag):
    """The tag of PUT /v2/images/{id}/tags/{tag}, checked as Glance checks
    it (against the image schema's tags) before the image is looked up."""
    _validate({'tags': [tag]})
    _check_strings({'tags': tag})
    return tag


# --- GET /v2/images --------------------------------------------------------

_INT_COLUMNS = ('size', 'virtual_size', 'min_ram', 'min_disk')
_OP_COLUMNS = ('name', 'id', 'status', 'container_format', 'disk_format')
_EQ_COLUMNS = ('owner', 'checksum', 'os_hash_value')
_TIME_OPS = ('gt', 'gte', 'lt', 'lte', 'neq', 'eq')


def _split_op(expression):
    """glance.common.utils.split_filter_op: 'op:value', an ISO time alone,
    or a bare value (eq)."""
    left, sep, right = expression.partition(':')
    if not sep:
        return 'eq', left.strip()
    if _parse_isotime(expression) is not None:
        return 'eq', expression.strip()
    return left, right.strip()


def _parse_isotime(value):
    """oslo.utils' ISO 8601 parsing, as Glance's filters use; naive UTC."""
    try:
        return timeutils.normalize_time(timeutils.parse_isotime(value.strip()))
    except (ValueError, OverflowError):  # e.g. year 1 at UTC+23:59
        return None


def _split_quoted(value):
    """Comma-separated values, double quotes protecting commas (api-wg)."""
    open_quote = True
    for i, char in enumerate(value):
        if char != '"' or (i and value[i - 1] == '\\'):
            continue
        if open_quote and i and value[i - 1] != ',':
            raise exception.Invalid('Invalid filter value %s. There is no '
                                    'comma before opening quotation mark.'
                                    % value)
        if not open_quote and i + 1 != len(value) and value[i + 1] != ',':
            raise exception.Invalid('Invalid filter value %s. There is no '
                                    'comma after closing quotation mark.'
                                    % value)
        open_quote = not open_quote
    if not open_quote:
        raise exception.Invalid('Invalid filter value %s. The quote is not '
                                'closed.' % value)
    pattern = re.compile(r'"([^\"\\]*(?:\\.[^\"\\]*)*)",?|([^,]+),?|,')
    return [a or b for a, b in pattern.findall(value)]


def _sorting(params):
    if 'sort' in params:
        if 'sort_key' in params or 'sort_dir' in params:
            raise exception.Invalid('Old and new sorting syntax cannot be '
                                    'combined')
        keys, dirs = [], []
        for item in params.pop('sort')[0].strip().split(','):
            key, _, direction = item.partition(':')
            keys.append(_sort_key(key.strip()))
            dirs.append(_sort_dir(direction.strip() or 'desc'))
        return keys, dirs
    keys = [_sort_key(k.strip()) for k in params.pop('sort_key', [])]
    dirs = [_sort_dir(d.strip()) for d in params.pop('sort_dir', [])]
    if len(dirs) > 1 and len(dirs) != len(keys):
        raise exception.Invalid('Number of sort dirs does not match the '
                                'number of sort keys')
    return keys or ['created_at'], dirs or ['desc']


def _sort_key(key):
    if key not in SORT_KEYS:
        raise exception.Invalid('Invalid sort key: %s. It must be one of the '
                                'following: %s.' % (key, ', '.join(SORT_KEYS)))
    return key


def _sort_dir(direction):
    if direction not in ('asc', 'desc'):
        raise exception.Invalid('Invalid sort direction: %s' % direction)
    return direction


def _boolean_filter(params, name, default=None):
    values = params.pop(name, None)
    if values is None:
        return default
    value = values[0].lower() if name == 'os_hidden' else values[0]
    if value not in ('true', 'false'):
        raise exception.Invalid("Invalid value '%s' for '%s' filter. Valid "
                                "values are 'true' or 'false'."
                                % (values[0], name))
    return value == 'true'


def _int(value, message):
    try:
        number = int(value)
    except ValueError:
        raise exception.Invalid(message)
    if abs(number) > 2 ** 63 - 1:
        raise exception.Invalid(message)
    return number


def parse_list_query(args, limit_default, limit_max):
    """records.ImageQuery from the query string (a MultiDict), with
    Glance's defaults, validation order and messages."""
    params = {key: args.getlist(key) for key in args.keys()}
    limit = params.pop('limit', [None])[0]
    marker = params.pop('marker', [None])[0]
    member_status = params.pop('member_status', [None])[0]
    tags = [t.strip() for t in params.pop('tag', [])]
    visibility = params.pop('visibility', [None])[0]
    if visibility and visibility not in records.VISIBILITIES + ('all',):
        raise exception.Invalid('Invalid visibility value: %s' % visibility)
    if params.get('changes-since', [''])[0]:
        raise exception.Invalid('The "changes-since" filter is no longer '
                                'available on v2.')
    params.pop('changes-since', None)
    if member_status is not None and \
            member_status not in records.MEMBER_STATUSES + ('all',):
        raise exception.Invalid('Invalid status: %s' % member_status)
    if limit is not None:
        limit = _int(limit, 'limit param must be an integer')
        if limit < 0:
            raise exception.Invalid('limit param must be positive')
    sort_keys, sort_dirs = _sorting(params)
    query = records.ImageQuery(
        limit=min(limit_max, limit_default if limit is None else limit),
        marker=marker, sort_keys=sort_keys, sort_dirs=sort_dirs,
        member_status=member_status, visibility=visibility or None,
        tags=tags)
    os_hidden = _boolean_filter(params, 'os_hidden', False)
    query.column_filters.append(('os_hidden', 'eq', os_hidden))
    protected = _boolean_filter(params, 'protected')
    if protected is not None:
        query.column_filters.append(('protected', 'eq', protected))
    for key, values in params.items():
        _add_filter(query, key, values[0])
    return query


def _add_filter(query, key, value):
    if key.endswith('_min') or key.endswith('_max'):
        column = key[:-4]
        number = _int(value, 'Unable to filter on a range with a '
                             'non-numeric value.')
        if column not in _INT_COLUMNS:
            raise exception.Invalid('Unable to filter on a range of %s.'
                                    % column)
        query.column_filters.append(
            (column, 'gte' if key.endswith('_min') else 'lte', number))
    elif key in ('created_at', 'updated_at'):
        op, text = _split_op(value)
        moment = _parse_isotime(text)
        if moment is None:
            raise exception.Invalid('Bad "%s" query filter format. Use ISO '
                                    '8601 DateTime notation.' % key)
        if op not in _TIME_OPS:  # Glance checks the time first
            raise exception.Invalid('Unable to filter on a unknown operator.')
        query.column_filters.append((key, op, moment))
    elif key in _OP_COLUMNS:
        op, text = _split_op(value)
        if op == 'in':
            query.column_filters.append((key, 'in', _split_quoted(text)))
        elif op == 'eq':
            query.column_filters.append((key, 'eq', text))
        else:
            raise exception.Invalid("Unable to filter by unknown operator "
                                    "'%s'." % op)
    elif key in _INT_COLUMNS:
        query.column_filters.append(
            (key, 'eq', _int(value, 'Invalid value for %s filter.' % key)))
    elif key in _EQ_COLUMNS:
        query.column_filters.append((key, 'eq', value))
    else:
        query.property_filters[key] = value
