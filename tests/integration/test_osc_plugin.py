"""`openstack image share ...`: this project's python-openstackclient plugin
in the real `openstack` command (python-openstackclient 10.5.0 from PyPI),
logged in to a real Keystone, against glance-members found in its catalog.

The plugin is installed (editable, no dependencies: OSC brings osc-lib) into
the cached stock-client venv, as a user would `pip install
glance-members[osc]` beside python-openstackclient.
"""

import json
import os
import subprocess

import pytest

from tests.integration.clients import StockClients

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def install_plugin(stock):
    """This checkout's plugin in the stock clients' venv."""
    subprocess.run([stock.bin('pip'), 'install', '-q', '--no-deps', '-e',
                    REPO], check=True, stdin=subprocess.DEVNULL,
                   capture_output=True, timeout=600)


@pytest.fixture(scope='module')
def osc(keystone, gm_keystone, tmp_path_factory):
    stock = StockClients(keystone,
                         home=str(tmp_path_factory.mktemp('osc-home')))
    install_plugin(stock)
    return stock


@pytest.fixture(scope='module')
def projects(keystone):
    return keystone.identities['projects']


def run(osc, user, *args):
    result = osc.openstack(user, *args)
    assert result.rc == 0, str(result)
    return result.stdout


def rows(osc, user, *args):
    return json.loads(run(osc, user, *args, '-f', 'json'))


def fails(osc, user, *args):
    result = osc.openstack(user, *args)
    assert result.rc == 1, str(result)
    return result.stderr


def _image(osc, name):
    return rows(osc, 'producer', 'image', 'create', '--shared',
                '--disk-format', 'raw', '--container-format', 'bare',
                name)['id']


def test_the_commands_are_the_plugins(osc):
    help_text = run(osc, 'consumer', 'help', 'image', 'share', 'inbox')
    assert 'provided by the glance-members plugin' in help_text


def test_share_inbox_accept_leave_history(osc, projects):
    consumer, producer = projects['consumer'], projects['producer']
    first, second = _image(osc, 'osc-share-1'), _image(osc, 'osc-share-2')

    shared = rows(osc, 'producer', 'image', 'share', 'batch',
                  '--image', first, '--image', 'osc-share-2',
                  '--project', consumer)
    assert sorted((r['Image ID'], r['Result']) for r in shared) == sorted(
        [(first, 'created'), (second, 'created')])

    inbox = rows(osc, 'consumer', 'image', 'share', 'inbox')
    assert {r['Image ID'] for r in inbox} >= {first, second}
    by_id = {r['Image ID']: r for r in inbox}
    assert by_id[first]['Owner'] == producer
    # Keystone's names, read with the service user (issue 25).
    assert by_id[first]['Owner Name'] == 'producer'
    assert by_id[first]['Status'] == 'pending'

    # Accept by id and by name (a pending share's name resolves too).
    decided = rows(osc, 'consumer', 'image', 'share', 'accept', first,
                   'osc-share-2')
    assert {(r['Image ID'], r['Status']) for r in decided} == {
        (first, 'accepted'), (second, 'accepted')}
    accepted = rows(osc, 'consumer', 'image', 'share', 'inbox',
                    '--status', 'accepted')
    assert {first, second} <= {r['Image ID'] for r in accepted}
    # The stock command agrees: the shares are in the default list.
    listed = rows(osc, 'consumer', 'image', 'list')
    assert {first, second} <= {r['ID'] for r in listed}

    run(osc, 'consumer', 'image', 'share', 'leave', first)
    listed = rows(osc, 'consumer', 'image', 'list')
    assert first not in {r['ID'] for r in listed}
    assert 'Not Found' in fails(osc, 'consumer', 'image', 'share', 'leave',
                                first)

    # Newest first: the consumer's accept, then the producer's share.
    events = rows(osc, 'consumer', 'image', 'share', 'history', '--image',
                  second)
    assert [e['Event'] for e in events] == ['status_changed', 'created']
    assert (events[0]['Before'], events[0]['After']) == ('pending',
                                                         'accepted')
    assert events[0]['Project'] == consumer
    assert events[1]['Project'] == producer
    assert [(e['Member Name'], e['User Name'], e['Project Name'])
            for e in events] == [('consumer', 'consumer', 'consumer'),
                                 ('consumer', 'producer', 'producer')]
    mine = rows(osc, 'producer', 'image', 'share', 'history', '--as',
                'producer')
    assert 'left' in {e['Event'] for e in mine if e['Image ID'] == first}

    revoked = rows(osc, 'producer', 'image', 'share', 'revoke',
                   '--image', second, '--project', consumer)
    assert [r['Result'] for r in revoked] == ['removed']


def test_reject_all_pending_and_trust(osc, projects):
    consumer, producer = projects['consumer'], projects['producer']
    pending = _image(osc, 'osc-trust-1')
    rows(osc, 'producer', 'image', 'share', 'batch', '--image', pending,
         '--project', consumer)
    rejected = rows(osc, 'consumer', 'image', 'share', 'reject',
                    '--all-pending')
    assert (pending, 'rejected') in {(r['Image ID'], r['Status'])
                                     for r in rejected}

    trust = rows(osc, 'consumer', 'image', 'share', 'trust', 'add',
                 producer)
    assert trust['Project ID'] == producer
    assert producer in {r['Project ID'] for r in rows(
        osc, 'consumer', 'image', 'share', 'trust', 'list')}
    # A trusted producer's new share, made with the stock command, arrives
    # accepted: no accept step.
    trusted = _image(osc, 'osc-trust-2')
    member = rows(osc, 'producer', 'image', 'add', 'project', trusted,
                  consumer)
    assert member['status'] == 'accepted'
    run(osc, 'consumer', 'image', 'share', 'trust', 'remove', producer)
    assert producer not in {r['Project ID'] for r in rows(
        osc, 'consumer', 'image', 'share', 'trust', 'list')}


def test_errors_are_the_apis(osc, projects):
    image = _image(osc, 'osc-errors')
    # The consumer may not share the producer's image: the whole batch is
    # refused with the API's message.
    message = fails(osc, 'consumer', 'image', 'share', 'batch', '--image',
                    image, '--project', projects['consumer2'])
    assert '40' in message and image in message
