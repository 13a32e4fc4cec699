"""Glance's notifications, through oslo.messaging's in-memory test driver:
an audit consumer rebuilds who shared what with whom, and when."""

import pytest

from tests import conftest as root
from testbed import personas


@pytest.fixture
def notified(tmp_path, gm_database):
    import oslo_messaging
    from oslo_messaging.notify import _impl_test
    _impl_test.reset()
    app = root.make_app(str(tmp_path / 'n'),
                        **{'oslo_messaging_notifications.driver': ['test'],
                           'transport_url': 'fake:/'})
    assert oslo_messaging  # imported for its drivers
    yield app.test_client(), _impl_test.NOTIFICATIONS
    _impl_test.reset()


def _h(name):
    return {'X-Auth-Token': personas.token(name),
            'Accept': 'application/json'}


def test_audit_trail_of_a_share(notified):
    client, sent = notified
    image_id = client.post('/v2/images', json={'name': 'x'},
                           headers=_h('producer')).json['id']
    members = '/v2/images/%s/members' % image_id
    client.post(members, json={'member': personas.CONSUMER_PROJECT},
                headers=_h('producer'))
    client.put(members + '/' + personas.CONSUMER_PROJECT,
               json={'status': 'accepted'}, headers=_h('consumer'))
    client.delete(members + '/' + personas.CONSUMER_PROJECT,
                  headers=_h('producer'))
    client.delete('/v2/images/' + image_id, headers=_h('producer'))

    events = [(ctxt, m['event_type'], m['payload'])
              for ctxt, m, _priority, _retry in sent]
    assert [e for _, e, _ in events] == [
        'image.create', 'image.member.create', 'image.member.update',
        'image.member.delete', 'image.delete']
    # Rebuild the story from the events alone.
    owner = {p['id']: p['owner'] for _, e, p in events
             if e == 'image.create'}
    story = [(ctxt['project_id'], e.split('.')[-1], owner[p['image_id']],
              p['member_id'], p['status'], p['deleted'])
             for ctxt, e, p in events if e.startswith('image.member.')]
    assert story == [
        (personas.PRODUCER_PROJECT, 'create', personas.PRODUCER_PROJECT,
         personas.CONSUMER_PROJECT, 'pending', False),
        (personas.CONSUMER_PROJECT, 'update', personas.PRODUCER_PROJECT,
         personas.CONSUMER_PROJECT, 'accepted', False),
        (personas.PRODUCER_PROJECT, 'delete', personas.PRODUCER_PROJECT,
         personas.CONSUMER_PROJECT, 'accepted', True)]
    member_payload = events[1][2]
    assert set(member_payload) == {'image_id', 'member_id', 'status',
                                   'created_at', 'updated_at', 'deleted',
                                   'deleted_at'}
    assert events[-1][2]['deleted'] is True
    assert personas.token('producer') not in str(events[0][0])


def test_no_driver_no_notifications(client):
    # The default: nothing configured, nothing imported or sent.
    r = client.post('/v2/images', json={'name': 'x'}, headers=_h('producer'))
    assert r.status_code == 201


OCTET = 'application/octet-stream'


def _glance_upload_events(outcome):
    """What real Glance 33 sent for an accepted and a refused upload
    (tests/data/glance33_upload_notifications.json): (event, priority,
    status or the error text)."""
    import json
    import os
    path = os.path.join(os.path.dirname(os.path.dirname(__file__)), 'data',
                        'glance33_upload_notifications.json')
    with open(path) as f:
        events = json.load(f)['uploads'][outcome]['events']
    return [(e['notification']['event_type'], e['notification']['priority'],
             e['notification']['payload']) for e in events]


# "Failed to upload image data for image <id> due to ...": the id's word.
_ID_WORD = 7


@pytest.mark.parametrize('outcome, name', [('accepted', 'qcow2'),
                                           ('refused', 'qcow2_backing_file')])
def test_upload_events_are_glances(notified, disk_files, outcome, name):
    client, sent = notified
    image_id = client.post('/v2/images', json={
        'name': 'up', 'disk_format': 'qcow2', 'container_format': 'bare'},
        headers=_h('producer')).json['id']
    with open(disk_files[name], 'rb') as f:
        headers = dict(_h('producer'), **{'Content-Type': OCTET})
        client.put('/v2/images/%s/file' % image_id, data=f.read(),
                   headers=headers)
    ours = [(m['event_type'], m['priority'], m['payload'])
            for _ctxt, m, _priority, _retry in sent]
    glances = _glance_upload_events(outcome)
    assert [e[:2] for e in ours] == [e[:2] for e in glances]
    for (event, _, payload), (_, _, expected) in zip(ours, glances):
        if isinstance(expected, str):  # the error's text
            assert payload == expected.replace(expected.split()[_ID_WORD],
                                               image_id), event
            continue
        # Glance adds `backend` only when it runs several stores.
        assert set(payload) == set(expected) - {'backend'}, event
        for key in ('status', 'size', 'virtual_size', 'disk_format'):
            assert payload[key] == expected[key], (event, key)


def test_tag_changes_are_image_updates(notified):
    # Glance saves the image through its notifying repository: image.update
    # with the tags after the change; a refused change sends nothing.
    client, sent = notified
    image_id = client.post('/v2/images', json={'name': 'x'},
                           headers=_h('producer')).json['id']
    tag = '/v2/images/%s/tags/' % image_id
    assert client.put(tag + 'gold', headers=_h('producer')).status_code == 204
    assert client.put(tag + 'x' * 256,
                      headers=_h('producer')).status_code == 400
    assert client.delete(tag + 'gold',
                         headers=_h('producer')).status_code == 204
    assert client.delete(tag + 'gold',
                         headers=_h('producer')).status_code == 404
    events = [(m['event_type'], m['payload'].get('tags'))
              for _ctxt, m, _priority, _retry in sent]
    assert events == [('image.create', []), ('image.update', ['gold']),
                      ('image.update', [])]
