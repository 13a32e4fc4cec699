"""Response headers on every console response, and the CSRF check of every
POST (the forms carry the session's token; sign-in, which has no session
yet, a double-submit cookie)."""

import hmac
import secrets

import flask

CSRF_FIELD = 'csrf_token'
SIGN_IN_COOKIE = 'gm_console_signin'
SIGN_IN_ENDPOINT = 'auth.sign_in_post'
CSRF_REFUSED = ('This form was not sent from this console session (it may '
                'be old, or from another site): nothing was changed. '
                'Load the page again and retry.')
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'none'")
HEADERS = {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
}


def add_headers(response):
    response.headers.update(HEADERS)
    if flask.request.endpoint != 'static':
        # Pages show tokens' work: never from a shared or browser cache.
        response.headers['Cache-Control'] = 'no-store'
    return response


def check_csrf():
    """Refuse (403, nothing done) a POST whose token does not match."""
    if flask.request.method != 'POST':
        return None
    given = flask.request.form.get(CSRF_FIELD, '')
    session = flask.g.get('session')
    if flask.request.endpoint != SIGN_IN_ENDPOINT:
        valid = session is not None and session.check_csrf(given)
    else:
        # Sign-in, with or without a session: the form's token must equal
        # the cookie set with it, which another site can neither read nor
        # set.
        expected = flask.request.cookies.get(SIGN_IN_COOKIE, '')
        valid = bool(expected) and hmac.compare_digest(expected.encode(),
                                                       given.encode())
    if not valid:
        flask.abort(403, CSRF_REFUSED)
    return None


def new_sign_in_token():
    return secrets.token_urlsafe(32)


def cookie_secure():
    setting = flask.current_app.extensions[
        'glance_members_console'].conf.console.secure_cookies
    if setting == 'auto':
        return flask.request.scheme == 'https'
    return setting == 'always'
