"""Beside an existing Glance: the mirror's processes and probes for the
integration tests and benchmarks/glance_mirror.py.

`write_config` writes a glance-members config whose [glance] section
reaches a testbed/glance33.py Glance with the test Keystone's
service user; `Listener` runs `glance-members-manage mirror listen` in a
process group of its own (stopped by its PID with SIGTERM; it prints what
it applied); `Audit` is a queue of ours on Glance's exchange (to count
and replay its notifications); `Api` calls an image API as a persona.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid

import kombu
import requests

from testbed import processes
from testbed import servers

ARRIVAL_TIMEOUT = 30.0
GLANCE_EXCHANGE = 'glance'
INFO_KEY = 'notifications.info'

MIRROR_CONFIG = """\
[DEFAULT]
data_dir = {data_dir}
transport_url = {transport_url}
image_backend = glance

[database]
connection = {database}

[glance]
auth_type = password
auth_url = {auth_url}
username = {service_user}
password = {service_password}
project_name = service
user_domain_name = Default
project_domain_name = Default
endpoint_override = {glance_url}
notifications_pool = {pool}
reconcile_interval = 0
"""


def write_config(path, keystone, rabbitmq_node, glance, database, pool):
    service = keystone.identities['service_user']
    with open(path, 'w') as f:
        f.write(MIRROR_CONFIG.format(
            data_dir=os.path.join(os.path.dirname(path), 'data'),
            transport_url=rabbitmq_node.url, database=database,
            auth_url=keystone.url, service_user=service,
            service_password=keystone.password(service),
            glance_url=glance.url, pool=pool))
    return path


def manage(config, *args):
    return subprocess.run(
        [sys.executable, '-m', 'glance_members.cmd.manage', '--config',
         config] + list(args), stdin=subprocess.DEVNULL,
        capture_output=True, text=True, env=servers.child_env(
            PYTHONWARNINGS='ignore'), timeout=300)


class Listener:
    """`glance-members-manage mirror listen` in a process group of its
    own, stopped by its PID (SIGTERM); it prints what it applied."""

    def __init__(self, config, log_path):
        self.log_path = log_path
        self._log = open(log_path, 'w')
        self.process = subprocess.Popen(
            [sys.executable, '-m', 'glance_members.cmd.manage', '--config',
             config, 'mirror', 'listen'], stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT,
            env=servers.child_env(PYTHONWARNINGS='ignore'),
            start_new_session=True)
        self.wait_for('Listening to Glance')

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_for(self, pattern, timeout=ARRIVAL_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.findall(pattern, self.log())
            if found:
                return found
            assert self.process.poll() is None, self.log()
            time.sleep(0.05)
        raise AssertionError('no %r in:\n%s' % (pattern, self.log()))

    def stop(self):
        """{event_type: notifications applied}."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                processes.kill_group(self.process)
        self._log.close()
        found = re.findall(r'Applied: (\{.*\})', self.log())
        assert found, self.log()
        return json.loads(found[-1])


class Audit:
    """A queue of ours on Glance's exchange: every notification Glance
    sends from now on, as raw bodies (to count them and to replay one)."""

    def __init__(self, amqp_url, name):
        self.conn = kombu.Connection(amqp_url, connect_timeout=10)
        exchange = kombu.Exchange(GLANCE_EXCHANGE, type='topic',
                                  durable=False)
        self.queue = kombu.Queue(name, exchange=exchange,
                                 routing_key=INFO_KEY, durable=False,
                                 auto_delete=False)(self.conn.channel())
        self.queue.declare()

    def drain(self, settle=1.0):
        """[(event_type, payload, raw body)] received so far."""
        time.sleep(settle)
        found = []
        while True:
            message = self.queue.get(no_ack=True)
            if message is None:
                return found
            body = json.loads(message.body)
            inner = json.loads(body['oslo.message'])
            found.append((inner['event_type'], inner['payload'],
                          message.body))

    def replay(self, raw):
        """Send a notification again, as Glance sent it (its message_id
        and payload), as a redelivery reaches another host or a restarted
        one: a new _unique_id, which oslo.messaging's per-process cache of
        those already seen would otherwise drop before us."""
        envelope = json.loads(raw)
        inner = json.loads(envelope['oslo.message'])
        inner['_unique_id'] = uuid.uuid4().hex
        envelope['oslo.message'] = json.dumps(inner)
        self.conn.Producer(self.conn.channel()).publish(
            json.dumps(envelope), exchange=GLANCE_EXCHANGE,
            routing_key=INFO_KEY, content_type='application/json')

    def close(self):
        self.queue.delete()
        self.conn.close()


class Api:
    """Glance's or glance-members' API with the personas' tokens."""

    def __init__(self, url, keystone):
        self.url, self.keystone, self.tokens = url, keystone, {}

    def call(self, method, path, who='producer', expect=None, **kw):
        if who not in self.tokens:
            self.tokens[who] = str(self.keystone.token(who))
        r = requests.request(method, self.url + path, timeout=60, headers={
            'X-Auth-Token': self.tokens[who]}, **kw)
        if expect is not None:
            assert r.status_code == expect, (method, path, r.status_code,
                                             r.text)
        return r


def image(api, name, visibility='shared'):
    """A new image on Glance (through its API, as the producer): its id."""
    return api.call('POST', '/v2/images', json={
        'name': name, 'visibility': visibility, 'disk_format': 'raw',
        'container_format': 'bare'}, expect=201).json()['id']
