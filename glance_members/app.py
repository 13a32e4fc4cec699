"""create_app(conf): the Flask app, its blueprints, error handlers and
middleware (outermost first in the order a request meets them):

    HTTPProxyToWSGI    scheme and host from X-Forwarded-* (only with
                       [oslo_middleware] enable_proxy_headers_parsing), so
                       links, Location and Secure cookies follow the proxy
    RequestBodies      one framing per request (CL+TE: 400), bodies read to
                       their end, read errors a 400/408 (api/body.py)
    console.Mount      /console/ to the web console, which calls the API
                       below in-process; everything else to the API
    RequestIds         x-openstack-request-id in, and on every response
    RequestLimits      414 for absurd request lines, before any parsing
    VersionNegotiation discovery answers with no token, like Glance's filter
    auth backend       token -> identity headers (static file or Keystone)
    Flask              context from headers (401 if none), routes, errors
"""

import dataclasses
import http
import json
import logging
import uuid

import flask
import flask.json.provider
import flask_smorest
from oslo_middleware import http_proxy_to_wsgi
import webob
import werkzeug.exceptions

from glance_members.api import body
from glance_members.api import discovery
from glance_members.api import errors
from glance_members.api import identity
from glance_members.api import image_data
from glance_members.api import image_members
from glance_members.api import image_tags
from glance_members.api import images
from glance_members.api import schemas
from glance_members.api import sharing_v1
from glance_members.api.sharing_v1 import versions as sharing_versions
from glance_members.api import versions
from glance_members.auth import projects
from glance_members.auth import static as static_auth
from glance_members import conf as gm_conf
from glance_members import context
from glance_members import db
from glance_members import exception
from glance_members import health
from glance_members import logs
from glance_members import notifications
from glance_members import policy
from glance_members import records
from glance_members.schemas import errors as error_schemas
from glance_members.schemas import timestamps
from glance_members.schemas import versions as version_schemas
from glance_members.sharing import recipients
from glance_members import store
from glance_members import uploads

LOG = logging.getLogger(__name__)
MAX_REQUEST_LINE = 16384
# Where keystonemiddleware puts the user's keystoneauth1 auth plugin.
USER_AUTH = 'keystone.token_auth'
NOT_SERVED_BESIDE = ('Not served here: this image-sharing service runs '
                     'beside Glance, which serves the image API (/v2).')
BESIDE_NEEDS_KEYSTONE = ('[DEFAULT] image_backend = glance needs [auth] '
                         'backend = keystone: writes are made on Glance '
                         'with the token of the user who asks.')
REQUEST_ID_HEADER = 'x-openstack-request-id'
OPENAPI_PATH = '/openapi.json'
# What Glance 33 answers GET /v2 with (sic: utf8, as the routes library
# writes it).
V2_REDIRECT_TYPE = 'text/plain; charset=utf8'
# "201 Created", as WebOb writes it, not werkzeug's "201 CREATED".
STATUS_LINES = {status.value: '%d %s' % (status.value, status.phrase)
                for status in http.HTTPStatus}


@dataclasses.dataclass
class Services:
    """What the views reach through flask.current_app."""
    conf: object
    repo: object
    authz: policy.Authorizer
    store: store.ImageStore
    quotas: records.Quotas
    notifier: notifications.Notifier
    heartbeat: uploads.Heartbeat
    # The recipient check's identity directory (auth.projects).
    directory: object = None


class GlanceJSON(flask.json.provider.DefaultJSONProvider):
    """json.dumps as Glance calls it: key order kept, ', ' and ': '."""

    # One encoder for every response: json.dumps with arguments builds a
    # new one on each call.
    _encoder = json.JSONEncoder(ensure_ascii=False)

    def dumps(self, obj, **kwargs):
        return self._encoder.encode(obj)

    def response(self, *args, **kwargs):
        obj = args[0] if len(args) == 1 else (args or kwargs)
        return self._app.response_class(self.dumps(obj),
                                        mimetype='application/json')


class RequestLimits:
    """Answer 414 to request lines no client sends (Glance's uwsgi just
    drops the connection) and 400 to NUL characters in them."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path, query = environ.get('PATH_INFO', ''), environ.get(
            'QUERY_STRING', '')
        error = None
        if len(query) + len(path) > MAX_REQUEST_LINE:
            error = exception.URITooLong('The request line is longer than %d '
                                         'bytes.' % MAX_REQUEST_LINE)
        elif not query.isascii():
            # A raw (not percent-encoded) byte >= 0x80: no client sends it.
            error = exception.Invalid('The query string must be '
                                      'percent-encoded ASCII.')
        elif '\x00' in path or '%00' in query:
            # No stored value can hold NUL (bodies refuse it), and
            # PostgreSQL cannot even compare with one.
            error = exception.Invalid('The request line may not contain NUL '
                                      'characters.')
        if error is not None:
            return errors.render(error, environ)(environ, start_response)
        return self.app(environ, start_response)


def create_app(conf, repo=None):
    """The app of `conf` on `repo` (a db Repository; default: the one of
    [database]). With `[DEFAULT] image_backend = glance` it runs beside an
    existing Glance: /sharing/v1 (and the console) only, on the mirror in
    `repo`, writing memberships to Glance (glance.shares); /v2 is
    Glance's and is not served here."""
    beside = is_beside_glance(conf)
    app = flask.Flask(__name__)
    app.json = GlanceJSON(app)
    app.config.update(API_TITLE='glance-members',
                      API_VERSION='sharing-v1' if beside else 'v2',
                      OPENAPI_VERSION='3.0.3')
    api = Api(app)
    api.register_field(timestamps.IsoTime, 'string', 'date-time')
    if not beside:
        for blueprint in (schemas.blp, images.blp, image_data.blp,
                          image_members.blp, image_tags.blp, discovery.blp):
            api.register_blueprint(blueprint)
    if conf.sharing.enabled or beside:
        for blueprint in sharing_v1.BLUEPRINTS:
            api.register_blueprint(blueprint)
    if conf.auth.backend == 'static':
        # No Keystone: the stock client's project lookups are refused.
        app.register_blueprint(identity.blp)

    if repo is None:
        database = db.connect(gm_conf.database_url(conf),
                              conf.database.busy_timeout)
        repo = db.make_repository(database)
    heartbeat = image_store = None
    notifier = notifications.Notifier(conf)
    if beside:
        # Imported here: the image service itself needs none of it.
        from glance_members.glance import mirror
        from glance_members.glance import shares
        glance = mirror.from_conf(conf, repo)
        repo = shares.BesideGlance(repo, glance.client, glance)
    else:
        heartbeat = uploads.Heartbeat(repo)
        if notifier.enabled:
            repo = notifications.NotifyingRepository(repo, notifier)
        image_store = store.ImageStore(conf)
        repo = uploads.ReclaimingRepository(repo, image_store)
    directory = projects.make_directory(conf, gm_conf.token_file(conf))
    if gm_conf.verify_members(conf):
        # The /v2 member create checks its member after the sharing rules'
        # image and policy checks (recipients.VerifyingRepository).
        repo = recipients.VerifyingRepository(repo, directory)
    authz = policy.Authorizer(conf)
    quotas = records.Quotas(members=conf.image_member_quota,
                            properties=conf.image_property_quota,
                            tags=conf.image_tag_quota)
    app.extensions['glance_members'] = Services(
        conf, repo, authz, image_store, quotas, notifier, heartbeat,
        directory)

    app.before_request(logs.start_request)

    @app.before_request
    def authenticate():
        ctx = context.from_environ(flask.request.environ, authz.is_admin)
        if ctx is None:
            raise exception.NotAuthenticated()
        flask.g.context = ctx
        notifications.current_context.set(ctx)
        # Who the membership history rows name, and (beside Glance) with
        # whose token a write is made there.
        records.current_actor.set(records.Actor(
            ctx.user_id, ctx.project_id, ctx.request_id,
            auth=flask.request.environ.get(USER_AUTH)))
        rule = flask.request.url_rule
        if flask.request.method == 'HEAD' and rule is not None:
            # Glance's router knows no HEAD; werkzeug adds it to every GET.
            raise errors.method_not_allowed(rule.methods)
        if flask.request.blueprint is not None:
            # A routed API call (not /v2's redirect, not a routing error).
            body.refuse_body(flask.request)

    @app.after_request
    def finish_response(response):
        ctx = flask.g.get('context')
        if ctx is not None:
            response.headers[REQUEST_ID_HEADER] = ctx.request_id
        response.status = STATUS_LINES.get(response.status_code,
                                           response.status)
        logs.log_access(response)
        return response

    @app.teardown_request
    def release_database(error=None):
        repo.release()

    if not beside:
        app.add_url_rule('/v2', view_func=_v2_root, methods=['GET'])

    app.register_error_handler(exception.GlanceMembersError,
                               _handle_domain_error)
    app.register_error_handler(werkzeug.exceptions.HTTPException,
                               _handle_http_error)
    app.register_error_handler(Exception, _handle_unexpected)

    app.wsgi_app = _auth_middleware(app.wsgi_app, conf)
    unversioned = {health.PATH: health.application(conf, repo),
                   OPENAPI_PATH: _openapi_document(api, beside)}
    extensions = ()
    if conf.sharing.enabled or beside:
        sharing_root = sharing_versions.application(conf.public_endpoint)
        unversioned.update({sharing_versions.ROOT: sharing_root,
                            sharing_versions.ROOT + '/': sharing_root})
        extensions = (sharing_versions.PREFIX + '/',)
    if conf.auth.backend == 'static':
        extensions += (identity.PREFIX + '/',)
    not_served = None
    if beside:
        # The image-sharing service's own discovery at its root; /v2 and
        # the rest are Glance's.
        unversioned['/'] = sharing_root
        not_served = _not_served
    app.wsgi_app = versions.VersionNegotiation(
        app.wsgi_app, conf.public_endpoint, unversioned=unversioned,
        extensions=extensions, not_served=not_served)
    app.wsgi_app = RequestLimits(app.wsgi_app)
    app.wsgi_app = RequestIds(app.wsgi_app)
    if conf.console.enabled:
        # Imported here: the API alone needs none of the console.
        from glance_members.console import app as console_app
        app.wsgi_app = console_app.mount(app.wsgi_app, conf)
    app.wsgi_app = body.RequestBodies(app.wsgi_app, conf.max_request_body_size)
    app.wsgi_app = ProxyHeaders(app.wsgi_app, conf)
    return app


class Api(flask_smorest.Api):
    """flask-smorest's Api, documenting the errors this service sends.

    flask-smorest documents its own error body (an integer code, status,
    errors) for every operation; ours are Glance's (schemas/errors.py).
    """

    def _register_responses(self):
        # Replaces, not extends, flask-smorest's registration: its error
        # responses describe a body nothing here sends. The test of the
        # served document fails if a flask-smorest upgrade stops calling it.
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME,
                                      error_schemas.error_response(),
                                      lazy=True)
        # @blp.arguments documents its 400 (webargs' status, set to Glance's)
        # under the status's name: the same Glance body.
        self.spec.components.response(http.HTTPStatus.BAD_REQUEST.name,
                                      error_schemas.error_response(),
                                      lazy=True)


def _openapi_document(api, beside=False):
    """The flask-smorest OpenAPI document, served outside /v2, no token,
    with the routes the middleware answers outside the blueprints (beside
    Glance, which answers the Image API's discovery: the health check and
    this document only)."""
    for name, schema in version_schemas.SCHEMAS.items():
        api.spec.components.schema(name, schema=schema)
    document = api.spec.to_dict()
    # Plain paths: flask-smorest documents only its blueprints' routes.
    document['paths'].update(
        (path, operation)
        for path, operation in version_schemas.operations().items()
        if not beside or path in (health.PATH, OPENAPI_PATH))
    body = json.dumps(document).encode()

    def serve(environ, start_response):
        start_response('200 OK', [('Content-Type', 'application/json'),
                                  ('Content-Length', str(len(body)))])
        return [body]
    return serve


class ProxyHeaders:
    """oslo.middleware's HTTPProxyToWSGI on the way in only: its options and
    its reading of X-Forwarded-* / Forwarded, without its WebOb response
    wrapper (which would rewrite every relative Location as absolute)."""

    def __init__(self, app, conf):
        self.app = app
        self.proxy = http_proxy_to_wsgi.HTTPProxyToWSGI(None, conf)

    def __call__(self, environ, start_response):
        self.proxy.process_request(webob.Request(environ))
        return self.app(environ, start_response)


class RequestIds:
    """Glance echoes a caller's request id (with `req-` added if missing);
    otherwise it makes one. oslo.context reads it from the environ; this
    middleware puts it on every response."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        given = environ.get('HTTP_X_OPENSTACK_REQUEST_ID', '')
        if given and not given.startswith('req-'):
            given = 'req-' + given
        if not given or len(given) > 64 or not given.isprintable():
            given = 'req-%s' % uuid.uuid4()
        environ['openstack.request_id'] = given

        def start_with_request_id(status, headers, exc_info=None):
            # Every response carries it, 401s and discovery included (Glance
            # omits it there; operators follow requests by it).
            if not any(k.lower() == REQUEST_ID_HEADER for k, _ in headers):
                headers = headers + [(REQUEST_ID_HEADER, given)]
            return start_response(status, headers, exc_info)
        return self.app(environ, start_with_request_id)


def _auth_middleware(app, conf):
    if conf.auth.backend == 'keystone':
        # Imported here: the embedded default needs no keystonemiddleware.
        from glance_members.auth import keystone
        return keystone.KeystoneAuth(app, conf)
    return static_auth.StaticTokenAuth(app, gm_conf.token_file(conf))


def _v2_root():
    # Glance's router (the routes library) redirects the bare version to
    # its slash form, whose listing does not exist (404), with no body
    # and this exact Content-Type (flask.redirect would send HTML).
    response = flask.Response(b'', 302, content_type=V2_REDIRECT_TYPE)
    response.headers['Location'] = flask.request.host_url + 'v2/'
    return response


def _not_served(environ, start_response):
    return errors.render(exception.NotFound(NOT_SERVED_BESIDE),
                         environ)(environ, start_response)


def is_beside_glance(conf):
    """Beside an existing Glance ([DEFAULT] image_backend = glance), which
    writes as the users who ask, so only with Keystone's tokens."""
    if conf.image_backend != 'glance':
        return False
    if conf.auth.backend != 'keystone':
        raise ValueError(BESIDE_NEEDS_KEYSTONE)
    return True


def _handle_domain_error(error):
    if isinstance(error, exception.ServiceUnavailable):
        LOG.error('%s %s: %s', flask.request.method, flask.request.path,
                  error.message)
    return errors.render(error, flask.request.environ)


def _handle_http_error(error):
    return errors.render(errors.from_werkzeug(error), flask.request.environ)


def _handle_unexpected(error):
    LOG.exception('Unexpected error on %s %s', flask.request.method,
                  flask.request.path)
    return errors.render(exception.GlanceMembersError(
        'The server has either erred or is incapable of performing the '
        'requested operation.'), flask.request.environ)
