"""What every view needs: the caller's context, the services, the body,
and the /sharing/v1 blueprints' argument parser (Glance's body rules)."""

import flask
import flask_smorest
from webargs import flaskparser

from glance_members.api import body
from glance_members import exception
from glance_members.sharing import names


def context():
    """The RequestContext the auth step built for this request."""
    return flask.g.context


def services():
    """The app's Services (conf, repository, authorizer)."""
    return flask.current_app.extensions['glance_members']


def json_body(request=None):
    """The request's JSON document, at most max_request_body_size."""
    return body.json_body(flask.request if request is None else request,
                          services().conf.max_request_body_size)


def _flatten(messages, prefix=''):
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key in ('json', 'query'):
                yield from _flatten(value, prefix)
            else:
                yield from _flatten(value, '%s%s.' % (prefix, key))
    elif isinstance(messages, list) and all(isinstance(m, str)
                                            for m in messages):
        yield '%s %s' % (prefix.rstrip('.') + ':' if prefix else '',
                         ' '.join(messages))
    else:
        for index, value in enumerate(messages):
            yield from _flatten(value, '%s%d.' % (prefix, index))


class Parser(flaskparser.FlaskParser):
    """webargs, with Glance's body rules and 400s instead of 422s."""

    DEFAULT_VALIDATION_STATUS = 400

    def _raw_load_json(self, req):
        # Glance reads a body whatever its Content-Type.
        if not body.has_body(req):
            return {}
        document = json_body(req)
        if not isinstance(document, dict):
            raise exception.Invalid('Expected a JSON object in the body.')
        return document

    def handle_error(self, error, req, schema, *, error_status_code,
                     error_headers):
        raise exception.Invalid('Invalid request: %s' % '; '.join(
            m.strip() for m in _flatten(error.messages)))


class Blueprint(flask_smorest.Blueprint):
    """The /sharing/v1 blueprints' base: @blp.arguments parses with Parser."""
    ARGUMENTS_PARSER = Parser()


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
