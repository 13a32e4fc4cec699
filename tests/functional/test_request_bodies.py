"""GET and DELETE carry no body: every routed API call refuses one (400),
checked once by the app rather than by each view, so a new route cannot
forget it. /v2's redirect and unknown paths answer as without a body."""

import re
import uuid

import pytest

from tests.functional import conftest as fconf
from tests.functional.conftest import assert_error

NO_BODY = 'A body is not expected with this request.'


def _api_routes(app):
    """(method, path) of every GET and DELETE route of the API."""
    image_id, member_id = str(uuid.uuid4()), 'p1'
    routes = []
    for rule in app.url_map.iter_rules():
        if '.' not in rule.endpoint:  # blueprints' endpoints only
            continue
        for method in sorted(rule.methods & {'GET', 'DELETE'}):
            # An any() converter: its first choice.
            path = re.sub(r'<any\(([^),]*)[^)]*\):\w+>',
                          lambda m: m.group(1).strip(), rule.rule)
            path = path.replace('<image_id>', image_id).replace(
                '<member_id>', member_id)
            routes.append((method, path))
    return routes


def test_every_get_and_delete_route_refuses_a_body(api):
    routes = _api_routes(api.client.application)
    assert len(routes) >= 7, routes
    for method, path in routes:
        r = api.call(method, path, body={})
        if path.startswith('/sharing/'):  # plain-text JSON errors
            fconf.assert_sharing_error(r, 400, NO_BODY)
        else:
            assert_error(r, 400, NO_BODY)


@pytest.mark.parametrize('method, path, status', [
    ('GET', '/v2', 302), ('GET', '/v2/bogus', 404),
    ('PUT', '/v2/images', 405)])
def test_a_body_does_not_change_other_answers(api, method, path, status):
    assert api.call(method, path, body={}).status_code == status
