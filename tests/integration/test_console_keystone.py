"""The console against a real Keystone: password sign-in, the project
switcher, Share Image's scenario (a) both ways and (b), and sign-out
revoking the token (Keystone then refuses to validate it)."""

import re
import shutil
import sys
import tempfile

import pytest
import requests

from glance_members.console import sessions
from testbed.stack import identities
from testbed import processes
from testbed import servers

CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
USER = 'console-user'
# Same projects, Keystone's default project the second one by name.
USER_B = 'console-user-b'
OWN_PROJECTS = ('console-a', 'console-b')


@pytest.fixture(scope='module')
def console_user(keystone):
    """A user with a role on two projects (the switcher's and scenario
    (a)'s "one of your own projects"), created through Keystone's API."""
    admin = identities.KeystoneAdmin(keystone.admin_token())
    try:
        projects = {name: identities.ensure_project(admin, name)
                    for name in OWN_PROJECTS}
        for user, default in ((USER, 'console-a'), (USER_B, 'console-b')):
            user_id = identities.ensure_user(admin, user, identities.PASSWORD,
                                             projects[default])
            for project_id in projects.values():
                identities.ensure_grants(admin, user_id, project_id,
                                         ['member'],
                                         keystone.identities['roles'])
    finally:
        admin.close()
    return projects


class Console:
    def __init__(self, url):
        self.url = url + '/console'
        self.http = requests.Session()
        self.page = ''

    def get(self, path):
        response = self.http.get(self.url + path, timeout=60)
        self.page = response.text
        return response

    def post(self, path, data):
        data = dict(data, csrf_token=CSRF.search(self.page).group(1))
        return self.http.post(self.url + path, data=data, timeout=60,
                              allow_redirects=False)

    def sign_in(self, user, password):
        self.get('/sign-in')
        return self.post('/sign-in', {'user_name': user,
                                      'password': password,
                                      'domain': 'Default'})


def create_image(service, token, name):
    response = requests.post(service.url + '/v2/images', timeout=60,
                             headers={'X-Auth-Token': token},
                             json={'name': name, 'disk_format': 'raw',
                                   'container_format': 'bare'})
    assert response.status_code == 201, response.text
    return response.json()['id']


def members(service, token, image_id):
    response = requests.get('%s/v2/images/%s/members' % (service.url,
                                                         image_id),
                            headers={'X-Auth-Token': token}, timeout=60)
    assert response.status_code == 200, response.text
    return {m['member_id']: m['status'] for m in response.json()['members']}


def test_wrong_password_is_refused(gm_keystone, console_user):
    console = Console(gm_keystone.url)
    response = console.sign_in(USER, 'wrong')
    assert response.status_code == 401
    assert 'The user name, password or domain is not correct.' in \
        response.text


def test_sign_in_lands_on_the_user_s_default_project(gm_keystone,
                                                     console_user):
    """console-user-b's default project is console-b, not the first of its
    projects by name: sign-in acts for it, the switcher still offers
    console-a."""
    console = Console(gm_keystone.url)
    assert console.sign_in(USER_B, identities.PASSWORD).status_code == 302
    page = console.get('/images').text
    assert '<option value="%s" selected>console-b</option>' % \
        console_user['console-b'] in page
    assert '<option value="%s">console-a</option>' % \
        console_user['console-a'] in page
    console.post('/sign-out', {})


def test_password_sign_in_switch_share_and_sign_out(gm_keystone, keystone,
                                                    console_user):
    own_a, own_b = console_user['console-a'], console_user['console-b']
    token_a = identities.issue_token(keystone.url, USER, identities.PASSWORD,
                                     'console-a')
    image_id = create_image(gm_keystone, token_a, 'console-keystone')
    console = Console(gm_keystone.url)
    assert console.sign_in(USER, identities.PASSWORD).status_code == 302
    page = console.get('/images').text
    assert 'console-keystone' in page
    assert '<option value="%s" selected>console-a</option>' % own_a in page

    # Scenario (a), one of your own projects: shared and accepted at once.
    console.get('/regions/RegionOne/images/%s' % image_id)
    assert '<option value="%s">console-b</option>' % own_b in console.page
    console.post('/regions/RegionOne/images/%s/share' % image_id,
                 {'scenario': 'own-project', 'own_project': own_b})
    assert members(gm_keystone, token_a, image_id) == {own_b: 'accepted'}

    # Scenario (a), the other account's credentials typed once.
    consumer = keystone.identities['projects']['consumer']
    console.get('/regions/RegionOne/images/%s' % image_id)
    console.post('/regions/RegionOne/images/%s/share' % image_id, {
        'scenario': 'other-account', 'other_user': 'consumer',
        'other_password': identities.PASSWORD, 'other_domain': 'Default',
        'other_project': 'consumer'})
    assert members(gm_keystone, token_a, image_id)[consumer] == 'accepted'

    # Scenario (b), another customer's project id: pending.
    consumer2 = keystone.identities['projects']['consumer2']
    console.get('/regions/RegionOne/images/%s' % image_id)
    # Keystone's name of the id first (read with the service user), the
    # share once confirmed.
    confirm = console.post('/regions/RegionOne/images/%s/share' % image_id,
                           {'scenario': 'customer', 'project_id': consumer2})
    assert '<bdi>consumer2</bdi>?</h1>' in confirm.text
    assert consumer2 not in members(gm_keystone, token_a, image_id)
    console.post('/regions/RegionOne/images/%s/share' % image_id,
                 {'scenario': 'customer', 'project_id': consumer2,
                  'confirmed': '1'})
    assert members(gm_keystone, token_a, image_id)[consumer2] == 'pending'
    page = console.get('/regions/RegionOne/images/%s' % image_id).text
    assert '<td><bdi>console-b</bdi></td>' in page  # Keystone's name
    assert '<td><bdi>consumer2</bdi></td>' in page  # the service user's
    assert '<td>Pending Acceptance</td>' in page

    # The switcher: act for console-b, where the image arrived accepted.
    console.get('/images')
    response = console.post('/project', {'project_id': own_b})
    assert response.status_code == 302
    page = console.get('/images').text
    assert 'You now act for project console-b.' in page
    assert 'Shared Image <span class="producer">from <bdi>console-a</bdi>' \
        in page

    # Sign-out revokes the token the session held.
    sid = console.http.cookies['gm_console_session']
    store = sessions.SessionStore(
        gm_keystone.server.data_dir + '/console-sessions.sqlite', 1800,
        43200)
    held = store.load(sid).data
    tokens = [held['token'], held['unscoped_token']]
    assert all(_valid(keystone, t) for t in tokens)
    console.post('/sign-out', {})
    assert not any(_valid(keystone, t) for t in tokens)
    replay = requests.get(console.url + '/images', timeout=60,
                          cookies={'gm_console_session': sid},
                          allow_redirects=False)
    assert replay.headers['Location'] == '/console/sign-in?reason=expired'


def _valid(keystone, token):
    response = requests.get(keystone.url + '/auth/tokens', timeout=60,
                            headers={'X-Auth-Token': str(
                                keystone.admin_token()),
                                'X-Subject-Token': token})
    return response.status_code == 200


def test_standalone_console_signs_in_and_uses_the_catalog(
        gm_keystone, keystone, tmp_path):
    """`glance-members console` alone: Keystone from [console] auth_url,
    the image endpoints from the user's catalog, over HTTP."""
    producer = keystone.token('producer')
    image_id = create_image(gm_keystone, producer, 'seen-from-afar')
    data_dir = tmp_path / 'console'
    data_dir.mkdir()
    port = processes.free_port()
    config = tmp_path / 'console.conf'
    config.write_text('[DEFAULT]\ndata_dir = %s\nbind_port = %d\n'
                      '[console]\nauth_url = %s\n'
                      % (data_dir, port, keystone.url))
    home = tempfile.mkdtemp(prefix='gm-home-')
    server = servers.Server(str(data_dir), port, str(tmp_path / 'log'),
                            home=home, argv=[
                                sys.executable, '-m',
                                'glance_members.cmd.serve', 'console',
                                '--config', str(config), '--workers', '1'])
    server.start()
    try:
        console = Console(server.url)
        assert console.sign_in('producer',
                               identities.PASSWORD).status_code == 302
        page = console.get('/images').text
        assert 'seen-from-afar' in page
        assert 'RegionOne' in page
        page = console.get('/regions/RegionOne/images/%s' % image_id).text
        assert 'Image Sharing' in page and 'Sharing history' in page
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
        # The session's service is shared: leave the producer's list as
        # found (test_keystone_auth expects it empty).
        assert requests.delete(
            '%s/v2/images/%s' % (gm_keystone.url, image_id), timeout=60,
            headers={'X-Auth-Token': producer}).status_code == 204
