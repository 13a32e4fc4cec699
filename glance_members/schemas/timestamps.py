"""Glance's timestamp format and small string checks shared by the schemas."""

import datetime
import re

from marshmallow import fields

ISO_FORMAT = '%Y-%m-%dT%H:%M:%SZ'
_FOUR_BYTE = re.compile('[\U00010000-\U0010ffff]')
_DATETIME = datetime.datetime


def isotime(value):
    """UTC, whole seconds, trailing Z: 2013-09-20T19:22:19Z.

    Exactly value.strftime(ISO_FORMAT), a hot spot of member lists, at a
    lower price: a naive datetime's isoformat
    to the second is the same text without the Z. Anything else goes to
    strftime: aware values (isoformat would add the offset; strftime
    ignores it), years before 1000 (isoformat pads them to four digits;
    strftime's padding depends on the Python version and the C library)
    and other types, subclasses included.
    """
    if type(value) is _DATETIME:
        text = value.isoformat('T', 'seconds')
        if len(text) == 19 and text[0] != '0':
            return text + 'Z'
    return value.strftime(ISO_FORMAT)


def isotimes(created, updated):
    """(isotime(created), isotime(updated)), formatting once when they are
    equal, as they are until a row is first updated.

    Equal datetimes with the same tzinfo (None for naive ones) have the
    same fields, so the same text; equal aware ones in different zones
    need not, so they are formatted apart.
    """
    created_text = isotime(created)
    if (type(updated) is _DATETIME and updated == created
            and updated.tzinfo is created.tzinfo):
        return created_text, created_text
    return created_text, isotime(updated)


class IsoTime(fields.Field):
    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else isotime(value)


def has_4byte_unicode(value):
    return isinstance(value, str) and bool(_FOUR_BYTE.search(value))
