"""/identity/v3/projects and /identity/v3/domains on the embedded default:
the identity lookups `openstack image add project` and `image set --accept
--project` make, refused (403) as Keystone refuses them to a non-admin, so
the stock client passes the project id on as given and the image API
checks it against the token file. No identity service is faked: nothing
here names a project or issues a token."""

import flask

from glance_members import exception

NO_IDENTITY_SERVICE = (
    'The embedded default has no identity service: name projects by ID. '
    'The image service checks member ids against its token file.')
PREFIX = '/identity/v3'
COLLECTIONS = '<any(domains, projects):collection>'

blp = flask.Blueprint('identity', __name__, url_prefix=PREFIX)


@blp.route('/' + COLLECTIONS, methods=['GET'], strict_slashes=True)
@blp.route('/%s/<name_or_id>' % COLLECTIONS, methods=['GET'],
           strict_slashes=True)
def refuse_lookup(collection, name_or_id=None):
    raise exception.Forbidden(NO_IDENTITY_SERVICE)
