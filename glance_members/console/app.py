"""create_app(conf, local_api): the console's Flask app; mount() serves it
at /console/ in front of the API's WSGI app."""

import dataclasses
import http.cookiejar as http_cookiejar
import logging
import threading
import time
import uuid

import flask
from keystoneauth1 import session as ksa_session
from keystoneauth1 import token_endpoint
import requests
import werkzeug.exceptions

from glance_members.console import auth
from glance_members.console import client
from glance_members.console import identity
from glance_members.console import regions
from glance_members.console import security
from glance_members.console import sessions
from glance_members.console import transport
from glance_members.console import urls
from glance_members.console import views
from glance_members import conf as gm_conf
from glance_members import logs

LOG = logging.getLogger(__name__)
PREFIX = '/console'
REQUEST_ID_HEADER = 'x-openstack-request-id'
# How long an endpoint's answer to "do you serve /sharing?" is trusted.
DISCOVERY_TTL = 60.0
SERVER_ERROR = ('Something went wrong on our side. Nothing more is shown '
                'here; the service log has the details.')


@dataclasses.dataclass
class Console:
    """What the views reach through flask.current_app."""
    conf: object
    store: sessions.SessionStore
    signer: object  # identity.Keystone or identity.StaticTokens
    http: requests.Session
    local: bool  # the API of this process is reachable in-process
    _discovery: dict = dataclasses.field(default_factory=dict)
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def api(self, token, endpoint, request_id=None, sharing_endpoint=None):
        """The image API at `endpoint` (and /sharing/v1 at
        `sharing_endpoint`, when another service serves it) as the holder
        of `token`."""
        return client.ImageAPI(
            ksa_session.Session(auth=token_endpoint.Token(endpoint, token),
                                session=self.http),
            endpoint, self.conf.console.api_timeout, request_id,
            sharing_endpoint)

    def sharing_available(self, api):
        """Does `api`'s endpoint serve /sharing (remembered a minute)?"""
        now = time.monotonic()
        with self._lock:
            known = self._discovery.get(api.sharing_endpoint)
        if known is not None and known[1] > now:
            return known[0]
        available = api.sharing_available()
        with self._lock:
            self._discovery[api.sharing_endpoint] = (available,
                                                     now + DISCOVERY_TTL)
        return available


def services():
    return flask.current_app.extensions['glance_members_console']


def create_app(conf, local_api=None):
    """The console; `local_api` is the WSGI app of this process's API
    (None for `glance-members console`, which calls endpoints over HTTP)."""
    app = flask.Flask(__name__)
    app.jinja_env.autoescape = True  # every template, whatever its name
    # No indentation of template logic in pages (a 1,000-row list is ~20%
    # lighter).
    app.jinja_env.trim_blocks = app.jinja_env.lstrip_blocks = True
    app.jinja_env.filters.update(views.FILTERS)
    urls.install(app)
    http = requests.Session()
    # Shared by every user's calls: a cookie an API or a load balancer sets
    # must never travel with another user's request.
    http.cookies.set_policy(http_cookiejar.DefaultCookiePolicy(
        allowed_domains=[]))
    if local_api is not None:
        transport.mount_local(http, local_api, regions.local_prefixes(conf))
    keystone_url = identity.keystone_url(conf)
    if keystone_url:
        signer = identity.Keystone(keystone_url, http,
                                   conf.console.interface,
                                   conf.console.api_timeout)
    else:
        signer = identity.StaticTokens(gm_conf.token_file(conf))
    store = sessions.SessionStore(gm_conf.console_state_path(conf),
                                  conf.console.session_idle_timeout,
                                  conf.console.session_absolute_timeout)
    app.extensions['glance_members_console'] = Console(
        conf, store, signer, http, local_api is not None)

    # Order: the access log's clock, then the session (and CSRF on POST),
    # then the view; on the way out the session is saved and the headers
    # set on every response, errors and static files included.
    app.before_request(logs.start_request)
    app.before_request(_request_id)
    app.before_request(auth.load_session)
    app.before_request(security.check_csrf)
    app.after_request(auth.save_session)
    app.after_request(security.add_headers)
    app.after_request(_log_access)
    app.register_blueprint(auth.blp)
    app.register_blueprint(views.blp)
    app.register_error_handler(client.NotAuthenticated, auth.expired)
    app.register_error_handler(client.APIError, views.api_error)
    app.register_error_handler(werkzeug.exceptions.HTTPException,
                               views.http_error)
    app.register_error_handler(Exception, _unexpected)
    return app


def _request_id():
    """One id per console request, as the API's: in its log lines, on the
    response, and sent with each API call the page makes."""
    flask.request.environ['openstack.request_id'] = 'req-%s' % uuid.uuid4()


def _log_access(response):
    """The API's access line, with the console's full path (a URL holds no
    token, by design: none is ever put in one)."""
    request = flask.request
    response.headers[REQUEST_ID_HEADER] = request.environ.get(
        'openstack.request_id', '')
    started = flask.g.get('started')
    logs.ACCESS.info('%s %s%s %d %.3fs', request.method, request.script_root,
                     request.full_path.rstrip('?'), response.status_code,
                     time.monotonic() - started if started else 0.0)
    return response


def _unexpected(error):
    LOG.exception('Unexpected error on %s %s', flask.request.method,
                  flask.request.path)
    return views.error_page(500, SERVER_ERROR)


class Mount:
    """/console and below to the console, everything else to the API."""

    def __init__(self, api, console):
        self.api = api
        self.console = console

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        if path == PREFIX or path.startswith(PREFIX + '/'):
            environ['SCRIPT_NAME'] = environ.get('SCRIPT_NAME', '') + PREFIX
            environ['PATH_INFO'] = path[len(PREFIX):]
            return self.console(environ, start_response)
        return self.api(environ, start_response)


def mount(api_wsgi, conf):
    """`api_wsgi` with the console at /console/, calling `api_wsgi` (not
    the socket) for this process's own API."""
    return Mount(api_wsgi, create_app(conf, local_api=api_wsgi))
