"""Logging: the request id (and who asked) on every line of a request, and
one access line per request. Configured by a standard logging config file
([DEFAULT] log_config_append, as oslo.log names it) or to stderr."""

import logging
import logging.config
import re
import sys
import time

import flask

FORMAT = ('%(asctime)s %(process)d %(levelname)s %(name)s '
          '[%(request_id)s %(user_id)s %(project_id)s] %(message)s')
ACCESS = logging.getLogger('glance_members.access')
IDS = frozenset(('request_id', 'user_id', 'project_id'))
# C0 and C1 controls and DEL: a path, a header or a name with CR, LF, NUL
# or ESC in it must not start a forged line or steer a terminal.
_CONTROLS = re.compile('[\x00-\x1f\x7f-\x9f]')


def escape(text):
    """`text` with every control character shown as \\xNN."""
    return _CONTROLS.sub(lambda m: '\\x%02x' % ord(m.group()), text)


class RequestContextFilter(logging.Filter):
    """Adds request_id, user_id and project_id ('-' outside a request),
    keeping those the call gave (extra=), and escapes the message: every
    line a record writes is one line, whatever a request put in it."""

    def filter(self, record):
        given = record.__dict__
        if not IDS <= given.keys():
            for key, value in _request_ids().items():
                given.setdefault(key, value)
        message = record.getMessage()
        escaped = escape(message)
        if escaped != message or record.args:
            record.msg, record.args = escaped, None
        return True


def _request_ids():
    ids = {'request_id': '-', 'user_id': '-', 'project_id': '-'}
    if flask.has_request_context():
        ids['request_id'] = flask.request.environ.get('openstack.request_id',
                                                      '-')
        ctx = flask.g.get('context')
        if ctx is not None:
            ids['user_id'] = ctx.user_id or '-'
            ids['project_id'] = ctx.project_id or '-'
    return ids


def setup(conf):
    if conf.log_config_append:
        logging.config.fileConfig(conf.log_config_append,
                                  disable_existing_loggers=False)
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(FORMAT))
        root = logging.getLogger()
        root.handlers[:] = [handler]
        root.setLevel(logging.DEBUG if conf.debug else logging.INFO)
        # glance_store enumerates every store plugin it knows; the ones
        # whose libraries are not installed (cinder, rbd, ...) are not
        # configured here, and their load errors are noise.
        logging.getLogger('stevedore.extension').setLevel(logging.CRITICAL)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RequestContextFilter())


def start_request():
    flask.g.started = time.monotonic()


def log_access(response):
    """`GET /v2/images?limit=1 200 0.004s 123B`; never the token."""
    if not ACCESS.isEnabledFor(logging.INFO):
        return
    started = flask.g.get('started')
    elapsed = time.monotonic() - started if started else 0.0
    request = flask.request
    path = request.full_path.rstrip('?') if request.query_string else \
        request.path
    ACCESS.info('%s %s %d %.3fs %sB', request.method, path,
                response.status_code, elapsed,
                response.content_length if response.content_length
                is not None else '-')
