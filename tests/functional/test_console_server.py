"""The console in real servers: inside `glance-members serve` with fewer
request threads than console users (its API calls must not need a free
thread), and alone (`glance-members console`) in front of an API over
HTTP, with and without /sharing."""

import concurrent.futures
import os
import re
import shutil
import sys
import tempfile
import threading

import pytest
import requests

from testbed import personas
from testbed import processes
from testbed import servers

CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
USERS = 8
THREADS = 2


@pytest.fixture(autouse=True)
def _sqlite_only(gm_database):
    # These servers run the embedded default whatever the database matrix.
    if gm_database != 'sqlite':
        pytest.skip('the servers here run on their own embedded SQLite')


@pytest.fixture
def start_server(tmp_path):
    started = []

    def start(name, argv=None, extra_args=(), config=None):
        data_dir = str(tmp_path / name)
        servers.write_token_file(data_dir)
        port = processes.free_port()
        if config is not None:
            path = os.path.join(data_dir, 'glance-members.conf')
            with open(path, 'w') as f:
                f.write(config % {'data_dir': data_dir, 'port': port})
            argv = argv + ['--config', path]
        home = tempfile.mkdtemp(prefix='gm-home-')
        server = servers.Server(data_dir, port, str(tmp_path / (name +
                                                                '.log')),
                                home=home, argv=argv, extra_args=extra_args)
        started.append((server, home))
        return server.start()
    yield start
    for server, home in started:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def sign_in(url, who):
    session = requests.Session()
    page = session.get(url + '/console/sign-in', timeout=30).text
    response = session.post(url + '/console/sign-in', timeout=30, data={
        'csrf_token': CSRF.search(page).group(1),
        'token': personas.token(who)}, allow_redirects=False)
    assert response.status_code == 302, response.text
    return session


def create_image(url, name, who='producer'):
    response = requests.post(url + '/v2/images', timeout=30, json={
        'name': name, 'disk_format': 'raw', 'container_format': 'bare'},
        headers={'X-Auth-Token': personas.token(who)})
    assert response.status_code == 201, response.text
    return response.json()['id']


def test_more_console_users_than_threads_are_all_served(start_server):
    server = start_server('serve', extra_args=[
        '--workers', '1', '--threads', str(THREADS)])
    assert 'Console: %s/console/ (sign in with a token from ' % server.url \
        in server.log()
    create_image(server.url, 'concurrent-image')
    users = [sign_in(server.url, 'producer') for _ in range(USERS)]
    # All at once: over the socket, each page would hold one of the two
    # threads while its API call queued behind the other pages for ever.
    barrier = threading.Barrier(USERS)

    def load(session):
        barrier.wait(timeout=30)
        return session.get(server.url + '/console/images', timeout=30)

    with concurrent.futures.ThreadPoolExecutor(USERS) as pool:
        pages = list(pool.map(load, users))
    assert [p.status_code for p in pages] == [200] * USERS
    assert all('concurrent-image' in p.text for p in pages)


API_CONFIG = """[DEFAULT]
data_dir = %(data_dir)s
bind_port = %(port)d
[sharing]
enabled = {sharing}
[console]
enabled = false
"""
CONSOLE_CONFIG = """[DEFAULT]
data_dir = %(data_dir)s
bind_port = %(port)d
[console]
image_endpoint = {endpoint}
region_name = Standalone
"""


@pytest.mark.parametrize('sharing', [True, False])
def test_standalone_console_in_front_of_an_api(start_server, sharing):
    api = start_server('api', argv=[
        sys.executable, '-m', 'glance_members.cmd.serve', 'serve',
        '--workers', '1'], config=API_CONFIG.format(sharing=sharing))
    # Glance's version negotiation answers an unknown path, not a console.
    assert requests.get(api.url + '/console/', timeout=30).status_code == 300
    image_id = create_image(api.url, 'over-http')
    response = requests.post(
        '%s/v2/images/%s/members' % (api.url, image_id), timeout=30,
        json={'member': personas.CONSUMER_PROJECT},
        headers={'X-Auth-Token': personas.token('producer')})
    assert response.status_code == 200, response.text
    console = start_server('console', argv=[
        sys.executable, '-m', 'glance_members.cmd.serve', 'console',
        '--workers', '1'], config=CONSOLE_CONFIG.format(endpoint=api.url))
    assert requests.get(console.url + '/', timeout=30,
                        allow_redirects=False).headers['Location'] == \
        '/console/'
    consumer = sign_in(console.url, 'consumer')
    page = consumer.get(console.url + '/console/images', timeout=30).text
    assert '1 image has been shared with you' in page
    assert ('Trusted producers' in page) is sharing
    review = consumer.get(console.url + '/console/review', timeout=30).text
    assert 'over-http' in review and 'Standalone' in review
