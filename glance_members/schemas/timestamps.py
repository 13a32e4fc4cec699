"""Glance's timestamp format and small string checks shared by the schemas."""

import re

from marshmallow import fields

ISO_FORMAT = '%Y-%m-%dT%H:%M:%SZ'
_FOUR_BYTE = re.compile('[\U00010000-\U0010ffff]')


def isotime(value):
    """UTC, whole seconds, trailing Z: 2013-09-20T19:22:19Z."""
    return value.strftime(ISO_FORMAT)


class IsoTime(fields.Field):
    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else isotime(value)


def has_4byte_unicode(value):
    return isinstance(value, str) and bool(_FOUR_BYTE.search(value))
