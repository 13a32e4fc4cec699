"""The producer/consumer story end to end, in-process."""

from testbed import personas


def _h(name, **extra):
    headers = {'X-Auth-Token': personas.token(name),
               'Accept': 'application/json'}
    headers.update(extra)
    return headers


def test_share_accept_revoke(client):
    r = client.post('/v2/images', json={'name': 'img', 'disk_format': 'raw',
                                        'container_format': 'bare'},
                    headers=_h('producer'))
    assert r.status_code == 201, r.data
    image_id = r.json['id']
    assert r.json['visibility'] == 'shared'
    r = client.post('/v2/images/%s/members' % image_id,
                    json={'member': personas.CONSUMER_PROJECT},
                    headers=_h('producer'))
    assert r.status_code == 200
    assert r.json['status'] == 'pending'
    listed = client.get('/v2/images', headers=_h('consumer')).json['images']
    assert image_id not in [i['id'] for i in listed]
    r = client.put('/v2/images/%s/members/%s' % (image_id,
                                                 personas.CONSUMER_PROJECT),
                   json={'status': 'accepted'}, headers=_h('consumer'))
    assert r.status_code == 200
    listed = client.get('/v2/images',
                        headers=_h('consumer_colleague')).json['images']
    assert image_id in [i['id'] for i in listed]
    r = client.delete('/v2/images/%s/members/%s' % (
        image_id, personas.CONSUMER_PROJECT), headers=_h('producer'))
    assert r.status_code == 204 and r.data == b''
    r = client.get('/v2/images/%s' % image_id, headers=_h('consumer'))
    assert r.status_code == 404
