"""Image data wire format: the upload media type and Range requests."""

import webob.byterange

from glance_members import exception

OCTET_STREAM = 'application/octet-stream'


def check_upload_type(mimetype):
    if mimetype != OCTET_STREAM:
        raise exception.UnsupportedMediaType(
            detail='Invalid content type %s' % (mimetype or None))


def range_parser(header, content_range=None):
    """None, or a function of the image size giving (offset, length) with
    Glance's reading of a single `Range: bytes=...` (or, as Glance also
    takes it on a download, a `Content-Range: bytes a-b/n`)."""
    if header is None:
        return _content_range_parser(content_range)
    if ',' in header:
        raise exception.Invalid(
            'Requests with multiple ranges are not supported in Glance. You '
            'may make multiple single-range requests instead.')
    requested = webob.byterange.Range.parse(header)
    if requested is None:
        raise exception.RangeNotSatisfiable(detail='Invalid Range header.')

    def byte_range(size):
        if requested.start >= size:
            raise exception.RangeNotSatisfiable(
                detail='Invalid start position in Range header. Start '
                       'position MUST be in the inclusive range [0, %s].'
                       % (size - 1))
        offset = requested.start
        if offset < 0:
            offset = size + offset if -offset < size else 0
        end = requested.end if requested.end is not None and \
            requested.end < size else size
        return offset, end - offset
    return byte_range


def _content_range_parser(header):
    if header is None:
        return None
    requested = webob.byterange.ContentRange.parse(header)
    if requested is None:
        raise exception.RangeNotSatisfiable(
            detail='Invalid Content-Range header.')

    def byte_range(size):
        if requested.length is None and requested.stop > size:
            raise exception.RangeNotSatisfiable(
                detail='Invalid stop position in Content-Range header. The '
                       'stop position MUST be in the inclusive range [0, %s].'
                       % (size - 1))
        if requested.start >= size:
            raise exception.RangeNotSatisfiable(
                detail='Invalid start position in Content-Range header. '
                       'Start position MUST be in the inclusive range [0, '
                       '%s].' % (size - 1))
        return requested.start, min(requested.stop, size) - requested.start
    return byte_range
