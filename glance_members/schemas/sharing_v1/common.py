"""Fields shared by the /sharing/v1 schemas."""

import datetime
import urllib.parse

from marshmallow import fields
from marshmallow import validate
import marshmallow

from glance_members.schemas import timestamps

ID_MAX_LENGTH = 255
MAX_LIMIT = 1000


class UtcDateTime(fields.DateTime):
    """ISO 8601 in, naive UTC inside (an offset is converted; none means
    UTC), Glance's 2013-09-20T19:22:19Z out."""

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(datetime.timezone.utc).replace(
                tzinfo=None)
        return parsed.replace(microsecond=0)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else timestamps.isotime(value)


def project_id(**kwargs):
    """A project id: a non-empty string of at most 255 characters."""
    return fields.String(validate=[validate.Length(1, ID_MAX_LENGTH),
                                   _no_4byte], **kwargs)


def _no_4byte(value):
    if timestamps.has_4byte_unicode(value):
        raise marshmallow.ValidationError(
            "Can't contain 4 byte unicode characters.")


class PageQuery(marshmallow.Schema):
    class Meta:
        unknown = marshmallow.EXCLUDE

    limit = fields.Integer(validate=validate.Range(1, MAX_LIMIT),
                           metadata={'description': 'Page size (default '
                                     '[DEFAULT] limit_param_default).'})


def next_link(path, args, marker):
    """The next page's URL: the same query with the new marker."""
    query = {k: v for k, v in args.items() if v is not None}
    query['marker'] = marker
    return '%s?%s' % (path, urllib.parse.urlencode(sorted(query.items())))
