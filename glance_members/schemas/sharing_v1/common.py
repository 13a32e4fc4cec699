"""Fields and the argument parser shared by the /sharing/v1 schemas."""

import datetime
import urllib.parse

import flask
import flask_smorest
from webargs import flaskparser
from marshmallow import fields
from marshmallow import validate
import marshmallow

from glance_members.api import body
from glance_members import exception
from glance_members.schemas import timestamps

ID_MAX_LENGTH = 255
MAX_LIMIT = 1000


def _flatten(messages, prefix=''):
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key in ('json', 'query'):
                yield from _flatten(value, prefix)
            else:
                yield from _flatten(value, '%s%s.' % (prefix, key))
    elif isinstance(messages, list) and all(isinstance(m, str)
                                            for m in messages):
        yield '%s %s' % (prefix.rstrip('.') + ':' if prefix else '',
                         ' '.join(messages))
    else:
        for index, value in enumerate(messages):
            yield from _flatten(value, '%s%d.' % (prefix, index))


class Parser(flaskparser.FlaskParser):
    """webargs, with Glance's body rules and 400s instead of 422s."""

    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req):
        # Glance reads a body whatever its Content-Type.
        if not body.has_body(req):
            return {}
        size = flask.current_app.extensions['glance_members'].conf \
            .max_request_body_size
        document = body.json_body(req, size)
        if not isinstance(document, dict):
            raise exception.Invalid('Expected a JSON object in the body.')
        return document

    def handle_error(self, error, req, schema, *, error_status_code,
                     error_headers):
        raise exception.Invalid('Invalid request: %s' % '; '.join(
            m.strip() for m in _flatten(error.messages)))


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = Parser()


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
