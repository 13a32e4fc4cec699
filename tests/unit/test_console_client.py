"""The console's API client over the in-process transport: errors in the
API's words, pagination, discovery, headers kept."""

import json

from keystoneauth1 import session as ksa_session
from keystoneauth1 import token_endpoint
import pytest
import requests

from glance_members.console import client
from glance_members.console import listing
from glance_members.console import transport
from tests.support.table_api import FakeAPI


def make_api(answers):
    fake = FakeAPI(answers)
    http = transport.mount_local(requests.Session(), fake)
    session = ksa_session.Session(
        auth=token_endpoint.Token(transport.LOCAL_ENDPOINT, 'tok-1'),
        session=http)
    return client.ImageAPI(session, transport.LOCAL_ENDPOINT + '/v2'), fake


JSON = 'application/json'


def test_pages_are_followed_with_the_token():
    api, fake = make_api({
        '/v2/images?limit=1000': ('200 OK', {'images': [{'id': 'a'}],
                                             'next': '/v2/images?marker=a'},
                                  JSON),
        '/v2/images?marker=a': ('200 OK', {'images': [{'id': 'b'}]}, JSON),
    })
    assert [i['id'] for i in api.list_images()] == ['a', 'b']
    assert [s[2] for s in fake.seen] == ['tok-1', 'tok-1']


def test_a_json_body_is_sent():
    api, fake = make_api({'/v2/images/i/members': (
        '200 OK', {'member_id': 'p', 'status': 'pending'}, JSON)})
    assert api.add_member('i', 'p')['status'] == 'pending'
    assert json.loads(fake.seen[0][3]) == {'member': 'p'}


@pytest.mark.parametrize('body,content_type,expected', [
    ({'message': 'Access was denied to this resource.<br /><br />\n'
                 'Only shared images have members.\n\n',
      'code': '403 Forbidden', 'title': 'Forbidden'}, JSON,
     'Only shared images have members.'),
    ({'message': 'No image found with ID x<br /><br />\n\n\n',
      'code': '404 Not Found', 'title': 'Not Found'}, JSON,
     'No image found with ID x'),
    ('<html><body><h1>409 Conflict</h1>Member is duplicated'
     '<br /><br />\n</body></html>', 'text/html',
     '409 Conflict Member is duplicated'),
])
def test_errors_carry_the_apis_message(body, content_type, expected):
    api, _ = make_api({'/v2/images/x': ('403 Forbidden', body,
                                        content_type)})
    with pytest.raises(client.APIError) as raised:
        api.get_image('x')
    assert raised.value.message == expected
    assert raised.value.status == 403


def test_401_is_its_own_error():
    api, _ = make_api({'/v2/images/x': ('401 Unauthorized', {
        'message': 'no', 'code': '401', 'title': 'Unauthorized'}, JSON)})
    with pytest.raises(client.NotAuthenticated):
        api.get_image('x')


def test_sharing_discovery():
    served, _ = make_api({'/sharing': ('200 OK', {'versions': [{
        'id': 'v1.0', 'links': [{'rel': 'self',
                                 'href': 'http://h/sharing/v1/'}]}]}, JSON)})
    assert served.sharing_available()
    glance, _ = make_api({'/sharing': ('300 Multiple Choices', {
        'versions': [{'id': 'v2.16', 'links': [
            {'rel': 'self', 'href': 'http://h/v2/'}]}]}, JSON)})
    assert not glance.sharing_available()
    missing, _ = make_api({'/sharing': ('404 Not Found', 'nope',
                                        'text/plain')})
    assert not missing.sharing_available()


def test_image_rows_keep_mine_and_accepted_shares_only():
    images = [
        {'id': '1', 'name': 'mine', 'owner': 'me', 'visibility': 'private'},
        {'id': '2', 'name': 'shared', 'owner': 'them',
         'visibility': 'shared'},
        {'id': '3', 'name': 'public', 'owner': 'them',
         'visibility': 'public'},
    ]
    rows = listing.image_rows(images, 'R', 'me', {'them': 'Them Inc'},
                              '/console/regions/R/images/')
    assert [(r.name, r.source, r.producer, r.href) for r in rows] == [
        ('mine', 'Mine', '', '/console/regions/R/images/1'),
        ('shared', 'Shared Image', 'Them Inc', '/console/regions/R/images/2')]


def test_human_sizes():
    assert [listing.human_size(s) for s in (None, 0, 1023, 1536,
                                            5 * 1024 ** 3)] == [
        '', '0 B', '1023 B', '1.5 KiB', '5.0 GiB']


def test_regions_from_a_keystone_catalog():
    from keystoneauth1.access import service_catalog
    from glance_members.console import regions

    def endpoint(region, interface, url):
        return {'region_id': region, 'region': region,
                'interface': interface, 'url': url, 'id': url}
    catalog = service_catalog.ServiceCatalogV3([
        {'type': 'image', 'name': 'glance', 'id': 'i', 'endpoints': [
            endpoint('RegionTwo', 'public', 'http://two:9292'),
            endpoint('RegionOne', 'public', 'http://one:9292/'),
            endpoint('RegionOne', 'internal', 'http://one-internal:9292'),
        ]},
        {'type': 'identity', 'name': 'keystone', 'id': 'k', 'endpoints': [
            endpoint('RegionOne', 'public', 'http://ks:5000/v3')]},
    ])
    assert regions.from_catalog(catalog, 'public') == {
        'RegionOne': 'http://one:9292/', 'RegionTwo': 'http://two:9292'}
    assert regions.from_catalog(catalog, 'internal') == {
        'RegionOne': 'http://one-internal:9292'}


def test_cookies_from_an_api_never_reach_another_users_call(tmp_path):
    """Over HTTP (where requests keeps cookies): a load balancer's cookie
    set on one user's call is not sent with the next user's."""
    import threading
    from wsgiref import simple_server

    import flask

    from glance_members.console import app as console_app
    from glance_members import conf as gm_conf

    seen = []

    def sets_cookie(environ, start_response):
        seen.append(environ.get('HTTP_COOKIE'))
        start_response('200 OK', [('Content-Type', JSON),
                                  ('Set-Cookie', 'lb=node1; Path=/')])
        return [b'{"images": []}']
    server = simple_server.make_server('127.0.0.1', 0, sets_cookie)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        app = console_app.create_app(gm_conf.new_conf(
            overrides={'data_dir': str(tmp_path)}))
        endpoint = 'http://127.0.0.1:%d' % server.server_port
        with app.app_context():
            console = flask.current_app.extensions['glance_members_console']
            for token in ('user-1', 'user-2'):
                console.api(token, endpoint).list_images()
    finally:
        server.shutdown()
        server.server_close()
    assert seen == [None, None]
