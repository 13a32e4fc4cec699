"""Sign-in (Keystone password or a static token), the project switcher and
sign-out; the session around every request."""

import flask

from glance_members.console import identity
from glance_members.console import security
from glance_members.console import sessions

blp = flask.Blueprint('auth', __name__)

# Endpoints reachable without a session.
OPEN_ENDPOINTS = frozenset(('auth.sign_in', 'auth.sign_in_post', 'static'))
# Why the sign-in page is shown: fixed texts, so a URL cannot put words on
# the page.
REASONS = {
    'expired': 'Your session has ended. Please sign in again.',
    'signed-out': 'You have signed out.',
}


def _console():
    return flask.current_app.extensions['glance_members_console']


def _cookie_path():
    return (flask.request.script_root or '') + '/'


def load_session():
    """flask.g.session: the live session of the cookie, or a redirect to
    sign-in for any page but sign-in itself."""
    sid = flask.request.cookies.get(sessions.COOKIE_NAME)
    flask.g.session = _console().store.load(sid) if sid else None
    if flask.g.session is None and sid:
        flask.g.drop_cookie = True
    if flask.g.session is not None or flask.request.routing_exception or \
            flask.request.endpoint in OPEN_ENDPOINTS:
        return None
    return flask.redirect(flask.url_for(
        'auth.sign_in', reason='expired' if sid else None))


def save_session(response):
    session = flask.g.get('session')
    if session is not None:
        _console().store.save(session)
    if flask.g.get('new_sid'):
        response.set_cookie(
            sessions.COOKIE_NAME, flask.g.new_sid, path=_cookie_path(),
            httponly=True, samesite='Lax', secure=security.cookie_secure())
    elif flask.g.get('drop_cookie'):
        response.delete_cookie(sessions.COOKIE_NAME, path=_cookie_path(),
                               httponly=True, samesite='Lax',
                               secure=security.cookie_secure())
    return response


def end_session(revoke=True):
    """Delete the session (and revoke its tokens); the cookie goes too."""
    session = flask.g.get('session')
    if session is None:
        return
    _console().store.delete(session.sid)
    if revoke:
        for token in {session.data.get('token'),
                      session.data.get('unscoped_token')} - {None}:
            _console().signer.revoke(token)
    flask.g.session = None
    flask.g.drop_cookie = True


def expired(error):
    """An API 401: the token is gone; so is the session."""
    end_session()
    return flask.redirect(flask.url_for('auth.sign_in', reason='expired'))


@blp.get('/sign-in')
def sign_in():
    if flask.g.session is not None:
        return flask.redirect(flask.url_for('views.images'))
    return _sign_in_page(notice=REASONS.get(flask.request.args.get('reason')))


def _sign_in_page(error=None, notice=None, status=200):
    # The same token for every sign-in page of this browser: two open tabs
    # must not invalidate each other's form.
    token = flask.request.cookies.get(security.SIGN_IN_COOKIE) or \
        security.new_sign_in_token()
    response = flask.make_response(flask.render_template(
        'sign_in.html', kind=_console().signer.kind, error=error,
        notice=notice, sign_in_token=token,
        domain=flask.request.form.get('domain', 'Default'),
        user_name=flask.request.form.get('user_name', '')), status)
    response.set_cookie(security.SIGN_IN_COOKIE, token, path=_cookie_path(),
                        httponly=True, samesite='Strict',
                        secure=security.cookie_secure())
    return response


@blp.post('/sign-in')
def sign_in_post():
    form = flask.request.form
    signer = _console().signer
    try:
        if signer.kind == 'keystone':
            data = _keystone_sign_in(signer, form.get('user_name', ''),
                                     form.get('password', ''),
                                     form.get('domain') or 'Default')
        else:
            data = _session_data(signer.scoped(form.get('token', '').strip()))
    except identity.SignInError as e:
        return _sign_in_page(error=str(e), status=401)
    end_session()  # a signed-in browser signing in again: always a new id
    session = _console().store.create(data)
    flask.g.session = session
    flask.g.new_sid = session.sid
    return flask.redirect(flask.url_for('views.images'))


def _keystone_sign_in(keystone, user_name, password, domain):
    unscoped, user_id, _ = keystone.sign_in(user_name, password, domain)
    projects = keystone.projects(unscoped)
    if not projects:
        keystone.revoke(unscoped)
        raise identity.SignInError(identity.NO_PROJECT)
    # The user's default project when it is one of theirs, else the first
    # by name (as `openstack` without --os-project-name: Keystone's default).
    default = keystone.default_project_id(unscoped, user_id) \
        if len(projects) > 1 else None
    first = next((p for p in projects if p['id'] == default), projects[0])
    scoped = keystone.scope(unscoped, first['id'])
    return dict(_session_data(scoped), unscoped_token=unscoped,
                projects=projects)


def _session_data(scoped):
    return {'token': scoped.token, 'user_id': scoped.user_id,
            'user_name': scoped.user_name, 'project_id': scoped.project_id,
            'project_name': scoped.project_name,
            'endpoints': scoped.endpoints,
            'sharing_endpoints': scoped.sharing_endpoints,
            'projects': [{'id': scoped.project_id,
                          'name': scoped.project_name}]}


@blp.post('/project')
def switch_project():
    """Rescope the user's token to another of its projects."""
    session = flask.g.session
    project_id = flask.request.form.get('project_id', '')
    known = {p['id'] for p in session.data.get('projects', [])}
    if project_id not in known or 'unscoped_token' not in session.data:
        flask.abort(400, 'You cannot act for that project.')
    keystone = _console().signer
    try:
        scoped = keystone.scope(session.data['unscoped_token'], project_id)
    except identity.SignInError as e:
        session.flash(str(e), 'error')
        return flask.redirect(flask.url_for('views.images'))
    keystone.revoke(session.data['token'])
    session.update(**dict(_session_data(scoped),
                          projects=session.data['projects']))
    session.flash('You now act for project %s.' % scoped.project_name)
    return flask.redirect(flask.url_for('views.images'))


@blp.post('/sign-out')
def sign_out():
    end_session()
    return flask.redirect(flask.url_for('auth.sign_in', reason='signed-out'))
