"""`openstack image share ...` beside a real Glance 33: the catalog's
`image` service is Glance (every stock command talks to it), its
`image-sharing` service glance-members ([DEFAULT] image_backend = glance),
where the plugin sends its /sharing/v1 calls; names are resolved on
Glance. The plugin's own tests (tests/integration/test_osc_plugin.py) that
hold in this mode run here too; the flow below is theirs with what
differs beside Glance (leaving is refused by Glance's default policy).
"""

import shutil

import pytest
import requests

from tests.integration import test_osc_plugin as plugin_tests
from tests.support import clients
from tests.support.clients import StockClients
from tests.support import beside
from testbed import keystone_service

run, rows, fails, _image = (plugin_tests.run, plugin_tests.rows,
                            plugin_tests.fails, plugin_tests._image)
test_the_commands_are_the_plugins = \
    plugin_tests.test_the_commands_are_the_plugins
test_errors_are_the_apis = plugin_tests.test_errors_are_the_apis


@pytest.fixture(scope='module')
def glance(beside_glances):
    return beside_glances[keystone_service.REGION]


@pytest.fixture(scope='module')
def osc(keystone, glance, tmp_path_factory):
    base = tmp_path_factory.mktemp('osc-beside')
    database = 'sqlite:///%s' % (base / 'mirror.sqlite')
    beside.write_config(str(base / 'schema.conf'), str(base / 'unused'),
                        keystone, glance.url, database)
    service = keystone_service.start_service(
        keystone, str(base / 'service'), register=False,
        extra=beside.extra_config(keystone, glance.url, database))
    catalog = beside.Catalog(keystone)
    try:
        catalog.take({keystone_service.REGION: glance.url},
                     {keystone_service.REGION: service.url})
        home = base / 'osc-home'
        home.mkdir()
        stock = StockClients(keystone, home=str(home))
        clients.install_plugin(stock.venv)
        yield stock
    finally:
        try:
            catalog.restore()
        finally:
            service.server.stop()
            shutil.rmtree(service.server.home, ignore_errors=True)


@pytest.fixture(scope='module')
def projects(keystone):
    return keystone.identities['projects']


def _on_glance(keystone, glance, image_id):
    """{member: status} of the image on Glance, as its owner sees it."""
    response = requests.get(
        '%s/v2/images/%s/members' % (glance.url, image_id), timeout=30,
        headers={'X-Auth-Token': str(keystone.token('producer'))})
    assert response.status_code == 200, response.text
    return {m['member_id']: m['status'] for m in response.json()['members']}


def test_share_inbox_decide_history_revoke(osc, projects, keystone, glance):
    consumer = projects['consumer']
    image = _image(osc, 'osc-beside-1')  # the stock command: on Glance
    shared = rows(osc, 'producer', 'image', 'share', 'batch', '--image',
                  'osc-beside-1', '--project', consumer)
    assert [(r['Image ID'], r['Result']) for r in shared] == [
        (image, 'created')]
    assert _on_glance(keystone, glance, image) == {consumer: 'pending'}
    inbox = rows(osc, 'consumer', 'image', 'share', 'inbox')
    assert image in {r['Image ID'] for r in inbox}

    decided = rows(osc, 'consumer', 'image', 'share', 'accept',
                   'osc-beside-1')
    assert [(r['Image ID'], r['Status']) for r in decided] == [
        (image, 'accepted')]
    assert _on_glance(keystone, glance, image) == {consumer: 'accepted'}
    assert image in {r['ID'] for r in rows(osc, 'consumer', 'image',
                                           'list')}
    message = fails(osc, 'consumer', 'image', 'share', 'leave', image)
    assert '403' in message and 'reject the share instead' in message
    rows(osc, 'consumer', 'image', 'share', 'reject', image)
    assert image not in {r['ID'] for r in rows(osc, 'consumer', 'image',
                                               'list')}

    events = rows(osc, 'consumer', 'image', 'share', 'history', '--image',
                  image)
    assert [(e['Event'], e['After']) for e in events] == [
        ('status_changed', 'rejected'), ('status_changed', 'accepted'),
        ('created', 'pending')]
    revoked = rows(osc, 'producer', 'image', 'share', 'revoke', '--image',
                   image, '--project', consumer)
    assert [r['Result'] for r in revoked] == ['removed']
    assert _on_glance(keystone, glance, image) == {}
