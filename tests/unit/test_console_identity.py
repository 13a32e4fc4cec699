"""Keystone as the console's sign-in asks it, over the in-process
transport: the user's default project, and every answer that is not one
falling back to None (sign-in then takes the first project by name)."""

import pytest
import requests

from glance_members.console import identity
from glance_members.console import transport
from tests.support.table_api import FakeAPI

JSON = 'application/json'
USER = '/v3/users/u1'


def keystone(answer):
    fake = FakeAPI({USER: answer})
    http = transport.mount_local(requests.Session(), fake)
    return identity.Keystone(transport.LOCAL_ENDPOINT + '/v3', http), fake


def test_the_default_project_is_read_with_the_user_s_own_token():
    ks, fake = keystone(('200 OK', {'user': {'id': 'u1',
                                             'default_project_id': 'p2'}},
                         JSON))
    assert ks.default_project_id('tok-u', 'u1') == 'p2'
    assert fake.seen[0][:3] == ('GET', USER, 'tok-u')


@pytest.mark.parametrize('answer', [
    ('200 OK', {'user': {'id': 'u1'}}, JSON),  # no default project
    ('403 Forbidden', {'error': {'code': 403}}, JSON),  # policy says no
    ('404 Not Found', {'error': {'code': 404}}, JSON),
    ('200 OK', '<html>a proxy page</html>', 'text/html'),
    ('200 OK', ['not', 'a', 'user'], JSON),
    ('200 OK', {'user': 'p2'}, JSON),
    ('200 OK', {}, JSON),
])
def test_anything_else_is_no_default_project(answer):
    ks, _ = keystone(answer)
    assert ks.default_project_id('tok-u', 'u1') is None
