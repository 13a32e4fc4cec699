"""Image data wire format: the upload media type and Range requests."""

import webob.byterange

from glance_members import exception

OCTET_STREAM = 'application/octet-stream'


def check_upload_type(mimetype):
    if mimetype != OCTET_STREAM:
        raise exception.UnsupportedMediaType(
            detail='Invalid content type %s' % (mimetype or None))


def range_parser(header):
    """None, or a function of the image size giving (offset, length) with
    Glance's reading of a single `Range: bytes=...`."""
    if header is None:
        return None
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
