"""The stock client's story over a link like a real one: a network namespace
whose loopback has MTU 1,500 (TCP segments of 1,448 bytes), and a relay in
front of the service that forwards every byte in pieces of 1-1,448 bytes
with 5-30 ms pauses (tests/support/relay.py), both ways.

Everything runs inside the namespace (`ip netns exec`): the service, the
relay, and this module run as a script (the driver), which drives the
stock `glance` CLI and a JSON client through the relay and prints what it
saw as one JSON line for the test to check.
"""

import argparse
import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from testbed import personas
from testbed import processes
from testbed import servers as helpers

SERVICE_PORT, RELAY_PORT = 9292, 9393
GLANCE = shutil.which('glance')


def _start(netns, argv, log_path):
    with open(log_path, 'ab') as log:
        return subprocess.Popen(
            netns.argv(argv), stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, env=helpers.child_env(),
            start_new_session=True)


@pytest.mark.skipif(GLANCE is None, reason='python-glanceclient missing')
def test_stock_client_story_over_a_real_link(netns, tmp_path):
    assert netns.mtu() == 1500
    data_dir = str(tmp_path / 'data')
    helpers.write_token_file(data_dir)
    started = [
        _start(netns, [sys.executable, '-m', 'glance_members.cmd.serve',
                       'serve', '--data-dir', data_dir, '--port',
                       str(SERVICE_PORT), '--workers', '1'],
               str(tmp_path / 'server.log')),
        _start(netns, [sys.executable, '-m', 'tests.support.relay',
                       '--listen', str(RELAY_PORT), '--to',
                       str(SERVICE_PORT), '--seed', '22'],
               str(tmp_path / 'relay.log'))]
    try:
        driver = subprocess.run(
            netns.argv([sys.executable, '-m',
                        'tests.integration.test_real_link', '--home',
                        str(tmp_path)]),
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
            env=helpers.child_env(), timeout=600)
    finally:
        for process in started:
            processes.stop_group(process)
    assert driver.returncode == 0, (driver.stdout, driver.stderr[-3000:])
    seen = json.loads(driver.stdout.strip().splitlines()[-1])
    # The link's segments, as the kernel reports them.
    assert seen['mss'] == 1448, seen
    assert seen['patch_status'] == 200, seen
    assert seen['steps'] == STORY_STEPS, seen
    assert seen['downloaded_sha256'] == seen['uploaded_sha256'], seen


# ------------------------------------------------ the driver (in the netns)

STORY_STEPS = ['created', 'member added', 'pending not listed',
               'accepted', 'listed', 'downloaded', 'member removed',
               'not listed']


def _wait_for(port, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit('nothing listens on %d' % port)


def _mss(port):
    with socket.create_connection(('127.0.0.1', port), timeout=5) as sock:
        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG)


def _glance(home, who, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env['HOME'] = home
    result = subprocess.run(
        [GLANCE, '--os-auth-token', personas.token(who), '--os-image-url',
         'http://127.0.0.1:%d' % RELAY_PORT] + list(args),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
        timeout=300)
    if result.returncode != 0:
        raise SystemExit('glance %s failed: %s' % (args, result.stderr))
    return result.stdout


def _patch_many_properties(image_id):
    """A JSON body of ~40 KB: many segments, many relay pieces."""
    operations = [{'op': 'add', 'path': '/prop_%03d' % i, 'value': 'v' * 300}
                  for i in range(120)]
    body = json.dumps(operations).encode()
    conn = http.client.HTTPConnection('127.0.0.1', RELAY_PORT, timeout=120)
    conn.request('PATCH', '/v2/images/%s' % image_id, body=body, headers={
        'X-Auth-Token': personas.token('producer'),
        'Content-Type': 'application/openstack-images-v2.1-json-patch'})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status


def drive(home):
    _wait_for(SERVICE_PORT)
    _wait_for(RELAY_PORT)
    seen = {'mss': _mss(SERVICE_PORT), 'steps': []}
    payload = os.path.join(home, 'disk.raw')
    with open(payload, 'wb') as f:
        f.write(os.urandom(300 * 1024 + 333))
    with open(payload, 'rb') as f:
        seen['uploaded_sha256'] = hashlib.sha256(f.read()).hexdigest()
    out = _glance(home, 'producer', 'image-create', '--name', 'over-a-link',
                  '--disk-format', 'raw', '--container-format', 'bare',
                  '--file', payload)
    image_id = [line.split('|')[2].strip() for line in out.splitlines()
                if line.startswith('| id ')][0]
    seen['steps'].append('created')
    consumer = personas.CONSUMER_PROJECT
    _glance(home, 'producer', 'member-create', image_id, consumer)
    seen['steps'].append('member added')
    if image_id not in _glance(home, 'consumer', 'image-list'):
        seen['steps'].append('pending not listed')
    _glance(home, 'consumer', 'member-update', image_id, consumer,
            'accepted')
    seen['steps'].append('accepted')
    if image_id in _glance(home, 'consumer', 'image-list'):
        seen['steps'].append('listed')
    downloaded = os.path.join(home, 'downloaded')
    _glance(home, 'consumer', 'image-download', '--file', downloaded,
            image_id)
    with open(downloaded, 'rb') as f:
        seen['downloaded_sha256'] = hashlib.sha256(f.read()).hexdigest()
    seen['steps'].append('downloaded')
    seen['patch_status'] = _patch_many_properties(image_id)
    _glance(home, 'producer', 'member-delete', image_id, consumer)
    seen['steps'].append('member removed')
    if image_id not in _glance(home, 'consumer', 'image-list'):
        seen['steps'].append('not listed')
    print(json.dumps(seen), flush=True)


if __name__ == '__main__':
    parser = argparse.ArgumentParser()
    parser.add_argument('--home', required=True)
    drive(parser.parse_args().home)
