"""Ids in the console's URLs: each one a single path segment.

Werkzeug's default converter leaves '/' unencoded, so a member id such as
`../../W/members/C2` built into a form's action climbed out of its segment
(the browser resolves the dots) and made one image's Remove button act on
another image. Here every id is encoded with no safe character at all, so
the browser sees one opaque segment whatever the id holds."""

import urllib.parse

import werkzeug.routing


def quote_segment(value):
    return urllib.parse.quote(str(value), safe='')


class Segment(werkzeug.routing.UnicodeConverter):
    """An id that holds no '/' (region, image id): matched in one segment,
    built fully encoded."""

    def to_url(self, value):
        return quote_segment(value)


class AnyId(werkzeug.routing.PathConverter):
    """An id the API accepts whatever it holds (a member or producer id,
    up to 255 characters): built fully encoded, and matched across the
    slashes the server has decoded, up to the route's fixed suffix."""

    def to_url(self, value):
        return quote_segment(value)


def install(app):
    """Before any blueprint: every `<name>` of every route is a Segment."""
    app.url_map.converters.update(default=Segment, string=Segment,
                                  anyid=AnyId)
