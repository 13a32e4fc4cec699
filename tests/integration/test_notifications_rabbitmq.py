"""Glance's notifications on a real RabbitMQ: an audit consumer rebuilds
who shared what with whom, and when, from the events alone.

`glance-members serve --config FILE` (static tokens: the personas) sends
with `[oslo_messaging_notifications] driver = messagingv2` to a private
RabbitMQ node (tests/support/rabbitmq.py); this test process reads the
`<topic>.info` queue (a topic of its own) on the `openstack` exchange, as
an operator's billing or audit consumer would, decodes oslo.messaging's v2
envelope and checks the event types, Glance's payloads, the caller in the
message context (never the token) and the story rebuilt from them.
"""

import datetime
import json
import os
import shutil
import tempfile
import time

import kombu
import pytest
import requests

from testbed import personas
from testbed import processes
from testbed import servers as helpers
from testbed.keystone_service import ConfiguredServer

EXCHANGE = 'openstack'          # oslo.messaging's default control_exchange
# A topic of its own: the session's RabbitMQ also carries the Glances of
# the beside-Glance tests, whose `notifications` topic would share the
# queue `notifications.info` (one queue name, bound to both exchanges).
TOPIC = 'glance_members_audit'
QUEUE = TOPIC + '.info'         # <topic>.<priority>
RECEIVE_TIMEOUT = 15.0
ISO = '%Y-%m-%dT%H:%M:%SZ'

CONFIG_TEMPLATE = """\
[DEFAULT]
data_dir = {data_dir}
bind_host = 127.0.0.1
bind_port = {port}
workers = 1
transport_url = {transport_url}

[auth]
backend = static

[static_auth]
token_file = {token_file}

[oslo_messaging_notifications]
driver = messagingv2
topics = {topic}
"""

# Glance's format_image_notification / format_image_member_notification.
IMAGE_KEYS = {'id', 'name', 'status', 'created_at', 'updated_at',
              'min_disk', 'min_ram', 'protected', 'checksum', 'owner',
              'disk_format', 'container_format', 'size', 'virtual_size',
              'is_public', 'visibility', 'properties', 'tags', 'deleted',
              'deleted_at'}
MEMBER_KEYS = {'image_id', 'member_id', 'status', 'created_at',
               'updated_at', 'deleted', 'deleted_at'}


@pytest.fixture
def notifying_server(rabbitmq_node, tmp_path):
    base = str(tmp_path)
    data_dir = os.path.join(base, 'data')
    token_file = helpers.write_token_file(data_dir)
    port = processes.free_port()
    config = os.path.join(base, 'glance-members.conf')
    with open(config, 'w') as f:
        f.write(CONFIG_TEMPLATE.format(
            data_dir=data_dir, port=port, token_file=token_file,
            transport_url=rabbitmq_node.url, topic=TOPIC))
    home = tempfile.mkdtemp(prefix='gm-home-')
    server = ConfiguredServer(config, data_dir, port,
                              os.path.join(base, 'server.log'), home)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def _queue():
    exchange = kombu.Exchange(EXCHANGE, type='topic', durable=False)
    # no_declare: the publisher declares it (oslo.messaging creates the
    # default queue so no notification is lost before a consumer binds).
    return kombu.Queue(QUEUE, exchange=exchange, routing_key=QUEUE,
                       durable=False, no_declare=True)


def receive(amqp_url, count, timeout=RECEIVE_TIMEOUT):
    """Take `count` raw message bodies off the queue (acknowledging them),
    then make sure nothing else follows."""
    bodies = []
    with kombu.Connection(amqp_url, connect_timeout=10) as conn:
        queue = _queue()(conn.channel())
        deadline = time.monotonic() + timeout
        while len(bodies) < count and time.monotonic() < deadline:
            message = queue.get(no_ack=False)
            if message is None:
                time.sleep(0.1)
                continue
            assert message.content_type == 'application/json'
            bodies.append(message.body if isinstance(message.body, bytes)
                          else message.body.encode('utf-8'))
            message.ack()
        time.sleep(0.5)
        extra = queue.get(no_ack=True)
        assert extra is None, 'unexpected extra notification: %r' % (
            extra.body,)
    return bodies


def decode(body):
    """oslo.messaging's v2 envelope -> (message, context)."""
    envelope = json.loads(body)
    assert envelope['oslo.version'] == '2.0'
    message = json.loads(envelope['oslo.message'])
    context = {k[len('_context_'):]: v for k, v in message.items()
               if k.startswith('_context_')}
    return message, context


def rebuild_audit(notifications):
    """What an audit consumer knows from the events alone: one record per
    (image, member) share, with who did what and when."""
    owners, names, shares = {}, {}, {}
    for message, context in notifications:
        event, payload = message['event_type'], message['payload']
        # oslo.context's to_dict(): `user` is the user id.
        actor = (context.get('user'), context.get('project_id'))
        if event == 'image.create':
            owners[payload['id']] = payload['owner']
            names[payload['id']] = payload['name']
        elif event.startswith('image.member.'):
            key = (payload['image_id'], payload['member_id'])
            record = shares.setdefault(key, {
                'image_id': payload['image_id'],
                'image_name': names.get(payload['image_id']),
                'owner': owners.get(payload['image_id']),
                'member_id': payload['member_id']})
            if event == 'image.member.create':
                record.update(shared_by=actor,
                              shared_at=payload['created_at'])
            elif event == 'image.member.update':
                record.update(status=payload['status'],
                              status_by=actor,
                              status_at=payload['updated_at'])
            elif event == 'image.member.delete':
                record.update(revoked_by=actor,
                              revoked_at=payload['deleted_at'])
        elif event == 'image.delete':
            for (image_id, _), record in shares.items():
                if image_id == payload['id']:
                    record['image_deleted_at'] = payload['deleted_at']
    return list(shares.values())


def _h(name):
    return {'X-Auth-Token': personas.token(name),
            'Accept': 'application/json'}


def _identity(name):
    identity = personas.PERSONAS[name][1]
    return identity['user_id'], identity['project_id']


def _ts(text):
    return datetime.datetime.strptime(text, ISO).replace(
        tzinfo=datetime.timezone.utc)


def test_audit_trail_of_a_share_over_rabbitmq(notifying_server,
                                              rabbitmq_node):
    url = notifying_server.url
    consumer = personas.CONSUMER_PROJECT
    session = requests.Session()
    request_ids = []

    def call(method, path, persona, expected, **kwargs):
        r = session.request(method, url + path, headers=_h(persona),
                            timeout=30, **kwargs)
        assert r.status_code == expected, (method, path, r.status_code,
                                           r.text, notifying_server.log())
        request_ids.append(r.headers['x-openstack-request-id'])
        return r.json() if r.content else None

    started = datetime.datetime.now(datetime.timezone.utc).replace(
        microsecond=0)
    image = call('POST', '/v2/images', 'producer', 201,
                 json={'name': 'audit-me', 'disk_format': 'raw',
                       'container_format': 'bare'})
    image_id = image['id']
    members = '/v2/images/%s/members' % image_id
    shared = call('POST', members, 'producer', 200,
                  json={'member': consumer})
    accepted = call('PUT', members + '/' + consumer, 'consumer', 200,
                    json={'status': 'accepted'})
    call('DELETE', members + '/' + consumer, 'producer', 204)
    call('DELETE', '/v2/images/' + image_id, 'producer', 204)
    finished = datetime.datetime.now(datetime.timezone.utc) + \
        datetime.timedelta(seconds=1)

    bodies = receive(rabbitmq_node.amqp_url, 5)
    raw = b''.join(bodies)
    events = [decode(body) for body in bodies]

    # The exact sequence, Glance's event types at INFO.
    assert [m['event_type'] for m, _ in events] == [
        'image.create', 'image.member.create', 'image.member.update',
        'image.member.delete', 'image.delete']
    for message, _ in events:
        assert message['priority'] == 'INFO'
        assert message['publisher_id'].startswith('image.')
        assert message['message_id']
        assert message['timestamp']

    # Glance's payloads, key for key.
    payloads = [m['payload'] for m, _ in events]
    for payload in (payloads[0], payloads[4]):
        assert set(payload) == IMAGE_KEYS
    for payload in payloads[1:4]:
        assert set(payload) == MEMBER_KEYS
    assert payloads[0]['id'] == image_id
    assert payloads[0]['owner'] == personas.PRODUCER_PROJECT
    assert payloads[0]['visibility'] == 'shared'
    assert payloads[0]['is_public'] is False
    assert (payloads[0]['deleted'], payloads[0]['deleted_at']) == (
        False, None)
    assert payloads[4]['id'] == image_id and payloads[4]['deleted'] is True
    assert [p['status'] for p in payloads[1:4]] == [
        'pending', 'accepted', 'accepted']
    assert [p['deleted'] for p in payloads[1:4]] == [False, False, True]
    assert payloads[1]['deleted_at'] is None
    assert payloads[2]['deleted_at'] is None
    # The events carry the times the API showed.
    assert payloads[0]['created_at'] == image['created_at']
    assert payloads[1]['created_at'] == shared['created_at']
    assert payloads[2]['updated_at'] == accepted['updated_at']

    # Who acted: the message context, one per request, its request id the
    # one the API answered with.
    contexts = [c for _, c in events]
    actors = [_identity(p) for p in ('producer', 'producer', 'consumer',
                                     'producer', 'producer')]
    assert [(c['user'], c['project_id']) for c in contexts] == actors
    assert [c['user_identity'].split()[:2] for c in contexts] == [
        list(actor) for actor in actors]
    assert [c['request_id'] for c in contexts] == request_ids

    # The token never travels: not as a context field, not anywhere.
    for context in contexts:
        assert not context.get('auth_token')
    for name in personas.PERSONAS:
        assert personas.token(name).encode() not in raw

    # The audit consumer's story, from the events alone.
    story = rebuild_audit(events)
    assert story == [{
        'image_id': image_id,
        'image_name': 'audit-me',
        'owner': personas.PRODUCER_PROJECT,
        'member_id': consumer,
        'shared_by': _identity('producer'),
        'shared_at': shared['created_at'],
        'status': 'accepted',
        'status_by': _identity('consumer'),
        'status_at': accepted['updated_at'],
        'revoked_by': _identity('producer'),
        'revoked_at': payloads[3]['deleted_at'],
        'image_deleted_at': payloads[4]['deleted_at'],
    }]
    record = story[0]
    times = [_ts(record[k]) for k in ('shared_at', 'status_at',
                                      'revoked_at', 'image_deleted_at')]
    assert times == sorted(times)
    assert started <= times[0] and times[-1] <= finished
