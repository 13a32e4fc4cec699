"""What every view needs: the caller's context, the services, the body."""

import flask

from glance_members.api import body
from glance_members.sharing import names


def context():
    """The RequestContext the auth step built for this request."""
    return flask.g.context


def services():
    """The app's Services (conf, repository, authorizer)."""
    return flask.current_app.extensions['glance_members']


def json_body():
    return body.json_body(flask.request,
                          services().conf.max_request_body_size)


def render(view, status=200):
    """A JSON response in Glance's formatting (see app.GlanceJSON)."""
    response = flask.current_app.json.response(view)
    response.status_code = status
    return response


def no_content(content_type=None):
    """204 with an empty body (tempest refuses any body on a 204); Glance
    sends a Content-Type on some of its 204s and none on others."""
    response = flask.Response(status=204)
    if content_type is None:
        del response.headers['Content-Type']
    else:
        response.headers['Content-Type'] = content_type
        response.headers['Content-Length'] = '0'
    return response


def project_names(project_ids):
    """{id: name or None} from the identity directory (never raises)."""
    return names.project_names(services().directory, project_ids)


def user_names(user_ids):
    return names.user_names(services().directory, user_ids)
