"""Log lines cannot be forged: every control character a request put in a
message (CR, LF, NUL, ESC, DEL, C1) is written as \\xNN, one record one
line (issue 22, point 5)."""

import io
import logging

from glance_members import logs


def _logger():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter('%(message)s'))
    handler.addFilter(logs.RequestContextFilter())
    logger = logging.getLogger('test-log-escaping')
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_a_forged_line_stays_on_its_own_line():
    logger, stream = _logger()
    path = '/v2/images/x\r\n2026-12-06 INFO glance_members.access [- - -] ' \
        'GET /v2/images 200'
    logger.info('%s %s %d', 'GET', path, 404)
    written = stream.getvalue()
    assert written.count('\n') == 1, written
    assert '\\x0d\\x0a2026-12-06' in written


def test_nul_escape_del_and_c1_controls_are_shown():
    logger, stream = _logger()
    logger.info('member %s', 'a\x00b\x1b[31mc\x7fd\x9be')
    assert stream.getvalue() == \
        'member a\\x00b\\x1b[31mc\\x7fd\\x9be\n'


def test_printable_text_is_unchanged():
    logger, stream = _logger()
    logger.info('image %s shared with %s', 'Ubuntu 24.04 ☃', 'projet été')
    assert stream.getvalue() == \
        'image Ubuntu 24.04 ☃ shared with projet été\n'


def test_escape_is_idempotent():
    once = logs.escape('a\nb')
    assert logs.escape(once) == once == 'a\\x0ab'
