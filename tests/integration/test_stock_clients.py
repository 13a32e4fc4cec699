"""The stock clients from PyPI against glance-members behind a real Keystone.

python-glanceclient 4.13.0 (``glance``), python-openstackclient 10.5.0
(``openstack``) and openstacksdk 4.22.0, unchanged, each through the whole
producer/consumer story of the Rackspace guide.  They log in to Keystone
with a password and find the image API in the catalog (RegionOne, where the
``gm_keystone`` fixture registered this service), exactly as against Glance.

Assertions are on the clients' exit codes and printed output.  Member ids
are project ids: the clients pass a project NAME through unchanged when the
user may not look projects up (``openstack image add project IMG consumer``
shares with a project whose id is the string "consumer"), as with Glance.
"""

import hashlib
import json
import os

import pytest

from tests.support.clients import table

MODIFY_403 = ('403 Forbidden: You are not authorized to complete '
              'modify_member action.')


# The service the stock clients find in the catalog.
pytestmark = pytest.mark.usefixtures('gm_keystone')


def ok(result):
    assert result.rc == 0, str(result)
    return result.stdout


def fails(result, *messages):
    assert result.rc == 1, str(result)
    for message in messages:
        assert message in result.stderr, str(result)
    assert result.stdout.strip() == '', str(result)
    return result.stderr


# ------------------------------------------------------------ helpers: glance

def g_properties(output):
    rows = table(output)
    assert rows and rows[0] == ['Property', 'Value'], output
    return dict(rows[1:])


def g_ids(output):
    rows = table(output)
    assert rows[0] == ['ID', 'Name'], output
    return [row[0] for row in rows[1:]]


def g_members(output):
    rows = table(output)
    assert rows[0] == ['Image ID', 'Member ID', 'Status'], output
    return rows[1:]


# --------------------------------------------------------- helpers: openstack

def o_json(result):
    return json.loads(ok(result))


def o_ids(stock, user, *args):
    rows = o_json(stock.openstack(user, 'image', 'list', '-f', 'json',
                                  *args))
    return [row['ID'] for row in rows]


# ------------------------------------------------------------------ the tests

def test_clients_find_the_image_api_in_the_catalog(stock, gm_keystone):
    # --debug prints every request: they go to the catalog's image URL.
    result = stock.openstack('consumer', '--debug', 'image', 'list')
    ok(result)
    assert 'GET call to image for %s/v2/images' % gm_keystone.url in (
        result.stderr), result.stderr[-3000:]
    result = stock.glance('consumer', '--debug', 'image-list')
    ok(result)
    assert 'REQ: curl -g -i -X GET %s/v2/images?' % gm_keystone.url in (
        result.stderr), result.stderr[-3000:]
    result = stock.sdk('consumer', '''
        emit([conn.image.get_endpoint(), [i.id for i in conn.image.images()]])
    ''')
    assert ok(result) and result.json[0].rstrip('/') in (
        gm_keystone.url, gm_keystone.url + '/v2')


def test_glance_cli_story(stock, projects):
    glance = stock.glance
    consumer = projects['consumer']

    # The producer creates a shared image (no data: a terminal on stdin).
    image = g_properties(ok(glance(
        'producer', 'image-create', '--name', 'gm-glance-story',
        '--visibility', 'shared', '--disk-format', 'raw',
        '--container-format', 'bare')))
    assert image['status'] == 'queued'
    assert image['visibility'] == 'shared'
    assert image['owner'] == projects['producer']
    img = image['id']

    # ... and shares it: the member starts pending.
    assert g_members(ok(glance('producer', 'member-create', img,
                               consumer))) == [[img, consumer, 'pending']]

    # The consumer finds the pending share only when it asks for it.
    pending = ok(glance('consumer', 'image-list', '--member-status',
                        'pending', '--visibility', 'shared'))
    assert img in g_ids(pending)
    assert [img, 'gm-glance-story'] in table(pending)
    assert img not in g_ids(ok(glance('consumer', 'image-list')))
    assert img not in g_ids(ok(glance('consumer_colleague', 'image-list')))

    # A reader-only user of the consumer project cannot accept; the
    # producer can never set the consumer's status.
    fails(glance('consumer_reader', 'member-update', img, consumer,
                 'accepted'), 'HTTP ' + MODIFY_403)
    fails(glance('producer', 'member-update', img, consumer, 'accepted'),
          'HTTP ' + MODIFY_403)

    # The consumer accepts: the image joins the default list of every user
    # of the consumer project.
    assert g_members(ok(glance('consumer', 'member-update', img, consumer,
                               'accepted'))) == [[img, consumer, 'accepted']]
    for user in ('consumer', 'consumer_colleague', 'consumer_reader'):
        assert img in g_ids(ok(glance(user, 'image-list'))), user
    assert img in g_ids(ok(glance('consumer', 'image-list', '--visibility',
                                  'shared')))
    shown = g_properties(ok(glance('consumer_colleague', 'image-show', img)))
    assert shown['id'] == img and shown['owner'] == projects['producer']
    assert g_members(ok(glance('consumer', 'member-list', '--image-id',
                               img))) == [[img, consumer, 'accepted']]
    assert g_members(ok(glance('producer', 'member-list', '--image-id',
                               img))) == [[img, consumer, 'accepted']]
    fails(glance('producer', 'member-update', img, consumer, 'rejected'),
          'HTTP ' + MODIFY_403)

    # An outsider and another consumer never see it.
    for user in ('outsider', 'consumer2'):
        fails(glance(user, 'image-show', img),
              'HTTP 404 Not Found: No image found with ID %s' % img)
        assert img not in g_ids(ok(glance(user, 'image-list')))

    # Rejecting after accepting: the image leaves the default list.
    assert g_members(ok(glance('consumer', 'member-update', img, consumer,
                               'rejected'))) == [[img, consumer, 'rejected']]
    assert img not in g_ids(ok(glance('consumer', 'image-list')))
    assert img in g_ids(ok(glance('consumer', 'image-list', '--member-status',
                                  'rejected', '--visibility', 'shared')))

    # Removing the member revokes access at once.
    assert ok(glance('producer', 'member-delete', img, consumer)) == ''
    fails(glance('consumer', 'image-show', img),
          'HTTP 404 Not Found: No image found with ID %s' % img)
    fails(glance('consumer', 'member-list', '--image-id', img),
          'HTTP 404 Not Found')
    assert img not in g_ids(ok(glance('consumer', 'image-list',
                                      '--member-status', 'all',
                                      '--visibility', 'shared')))
    assert g_members(ok(glance('producer', 'member-list', '--image-id',
                               img))) == []

    # Re-sharing: removed and re-added, the member is pending again.
    assert g_members(ok(glance('producer', 'member-create', img,
                               consumer))) == [[img, consumer, 'pending']]
    assert img in g_ids(ok(glance('consumer', 'image-list', '--member-status',
                                  'pending', '--visibility', 'shared')))
    assert img not in g_ids(ok(glance('consumer', 'image-list')))
    fails(glance('outsider', 'image-show', img), 'HTTP 404 Not Found')

    assert ok(glance('producer', 'image-delete', img)) == ''
    fails(glance('consumer', 'image-show', img), 'HTTP 404 Not Found')


def test_openstack_cli_story(stock, projects):
    osc = stock.openstack
    consumer = projects['consumer']

    image = o_json(osc('producer', 'image', 'create', '--shared',
                       '--disk-format', 'raw', '--container-format', 'bare',
                       'gm-osc-story', '-f', 'json'))
    assert image['status'] == 'queued'
    assert image['visibility'] == 'shared'
    assert image['owner'] == projects['producer']
    img = image['id']

    member = o_json(osc('producer', 'image', 'add', 'project', img, consumer,
                        '-f', 'json'))
    assert (member['image_id'], member['member_id'], member['status']) == (
        img, consumer, 'pending')
    assert o_json(osc('producer', 'image', 'member', 'list', img,
                      '-f', 'json')) == [
        {'Image ID': img, 'Member ID': consumer, 'Status': 'pending'}]

    # Pending: found with --member-status, not in the default list nor in
    # --shared (visibility=shared means accepted shares by default).
    assert img in o_ids(stock, 'consumer', '--member-status', 'pending')
    listed = ok(osc('consumer', 'image', 'list', '--member-status',
                    'pending'))
    assert [img, 'gm-osc-story', 'queued'] in table(listed)
    assert img not in o_ids(stock, 'consumer')
    assert img not in o_ids(stock, 'consumer', '--shared')

    fails(osc('consumer_reader', 'image', 'set', '--accept', img),
          MODIFY_403)
    fails(osc('producer', 'image', 'set', '--project', consumer, '--accept',
              img), MODIFY_403)

    # image set --accept: the consumer's own project's membership.
    assert ok(osc('consumer', 'image', 'set', '--accept', img)) == ''
    for user in ('consumer', 'consumer_colleague'):
        assert img in o_ids(stock, user), user
        assert img in o_ids(stock, user, '--shared'), user
    assert [img, 'gm-osc-story', 'queued'] in table(
        ok(osc('consumer', 'image', 'list', '--shared')))
    assert o_json(osc('consumer', 'image', 'member', 'list', img,
                      '-f', 'json')) == [
        {'Image ID': img, 'Member ID': consumer, 'Status': 'accepted'}]
    shown = o_json(osc('consumer_colleague', 'image', 'show', img,
                       '-f', 'json'))
    assert (shown['id'], shown['owner'], shown['visibility']) == (
        img, projects['producer'], 'shared')
    fails(osc('producer', 'image', 'set', '--project', consumer, '--reject',
              img), MODIFY_403)

    for user in ('outsider', 'consumer2'):
        fails(osc(user, 'image', 'show', img), 'No Image found for %s' % img)
        assert img not in o_ids(stock, user, '--member-status', 'all')

    # Reject after accepting: gone from the default and --shared lists.
    assert ok(osc('consumer', 'image', 'set', '--reject', img)) == ''
    assert img not in o_ids(stock, 'consumer')
    assert img not in o_ids(stock, 'consumer', '--shared')
    assert img in o_ids(stock, 'consumer', '--member-status', 'rejected')

    # image remove project: revoked at once.
    assert ok(osc('producer', 'image', 'remove', 'project', img,
                  consumer)) == ''
    fails(osc('consumer', 'image', 'show', img), 'No Image found for %s' % img)
    assert img not in o_ids(stock, 'consumer', '--member-status', 'all')
    assert o_json(osc('producer', 'image', 'member', 'list', img,
                      '-f', 'json')) == []

    # Re-added: pending again, then accepted again.
    member = o_json(osc('producer', 'image', 'add', 'project', img, consumer,
                        '-f', 'json'))
    assert member['status'] == 'pending'
    assert img in o_ids(stock, 'consumer', '--member-status', 'pending')
    assert img not in o_ids(stock, 'consumer')
    assert ok(osc('consumer', 'image', 'set', '--accept', img)) == ''
    assert img in o_ids(stock, 'consumer')
    fails(osc('outsider', 'image', 'show', img), 'No Image found for %s' % img)

    assert ok(osc('producer', 'image', 'delete', img)) == ''
    fails(osc('consumer', 'image', 'show', img), 'No Image found for %s' % img)


SDK_HELPERS = '''
from openstack import exceptions

def attempt(call, *args, **kwargs):
    try:
        value = call(*args, **kwargs)
    except exceptions.HttpException as exc:
        return {"error": exc.status_code, "details": exc.details,
                "type": type(exc).__name__}
    if hasattr(value, "to_dict"):
        return {"ok": value.to_dict(computed=False)}
    return {"ok": value}

def ids(**query):
    return sorted(i.id for i in conn.image.images(**query))
'''


def test_openstacksdk_story(stock, projects):
    consumer = projects['consumer']

    def sdk(user, script, **values):
        code = SDK_HELPERS + ''.join(
            '%s = %r\n' % kv for kv in sorted(values.items())) + script
        result = stock.sdk(user, code)
        ok(result)
        return result.json

    created = sdk('producer', '''
image = conn.image.create_image(name="gm-sdk-story", disk_format="raw",
                                container_format="bare", visibility="shared")
member = conn.image.add_member(image, member_id=consumer)
emit([image.id, image.status, image.visibility, image.owner,
      member.member_id, member.status])
''', consumer=consumer)
    img = created[0]
    assert created[1:] == ['queued', 'shared', projects['producer'],
                           consumer, 'pending']

    seen = sdk('consumer', '''
emit([ids(member_status="pending", visibility="shared"), ids(),
      ids(visibility="shared")])
''')
    assert img in seen[0]
    assert img not in seen[1] and img not in seen[2]

    # update_member by a reader-only user and by the producer: 403.
    for user in ('consumer_reader', 'producer'):
        denied = sdk(user, '''
emit(attempt(conn.image.update_member, consumer, img, status="accepted"))
''', consumer=consumer, img=img)
        assert denied['error'] == 403, (user, denied)
        assert denied['type'] == 'ForbiddenException'
        assert 'You are not authorized to complete modify_member action.' in (
            denied['details']), denied

    accepted = sdk('consumer', '''
member = conn.image.update_member(consumer, img, status="accepted")
emit([member.status, ids(), ids(visibility="shared"),
      [(m.member_id, m.status) for m in conn.image.members(img)]])
''', consumer=consumer, img=img)
    assert accepted[0] == 'accepted'
    assert img in accepted[1] and img in accepted[2]
    assert accepted[3] == [[consumer, 'accepted']]

    colleague = sdk('consumer_colleague', '''
emit([ids(), conn.image.get_image(img).owner])
''', img=img)
    assert img in colleague[0]
    assert colleague[1] == projects['producer']

    for user in ('outsider', 'consumer2'):
        outside = sdk(user, '''
emit([attempt(conn.image.get_image, img),
      ids(member_status="all", visibility="shared")])
''', img=img)
        assert outside[0]['error'] == 404, (user, outside)
        assert outside[0]['type'] == 'NotFoundException'
        assert img not in outside[1]

    rejected = sdk('consumer', '''
member = conn.image.update_member(consumer, img, status="rejected")
emit([member.status, ids(), ids(member_status="rejected",
                                visibility="shared")])
''', consumer=consumer, img=img)
    assert rejected[0] == 'rejected'
    assert img not in rejected[1] and img in rejected[2]

    removed = sdk('producer', '''
conn.image.remove_member(consumer, img)
emit([m.member_id for m in conn.image.members(img)])
''', consumer=consumer, img=img)
    assert removed == []
    revoked = sdk('consumer', '''
emit([attempt(conn.image.get_image, img),
      attempt(conn.image.get_member, consumer, img),
      ids(member_status="all", visibility="shared")])
''', consumer=consumer, img=img)
    assert revoked[0]['error'] == 404 and revoked[1]['error'] == 404
    assert img not in revoked[2]

    readded = sdk('producer', '''
emit(conn.image.add_member(img, member_id=consumer).status)
''', consumer=consumer, img=img)
    assert readded == 'pending'
    pending = sdk('consumer', '''
emit([conn.image.get_member(consumer, img).status, ids(),
      ids(member_status="pending", visibility="shared")])
''', consumer=consumer, img=img)
    assert pending[0] == 'pending'
    assert img not in pending[1] and img in pending[2]

    deleted = sdk('producer', '''
conn.image.delete_image(img)
emit(attempt(conn.image.get_image, img))
''', img=img)
    assert deleted['error'] == 404


# ---------------------------------------------------------------- image data

@pytest.fixture
def payload(tmp_path):
    data = os.urandom(256 * 1024 + 17)
    path = tmp_path / 'payload.bin'
    path.write_bytes(data)
    return path, data


def test_data_story_openstack_create_file(stock, projects, payload,
                                          tmp_path):
    path, data = payload
    consumer = projects['consumer']
    image = o_json(stock.openstack(
        'producer', 'image', 'create', '--shared', '--disk-format', 'raw',
        '--container-format', 'bare', '--file', str(path), 'gm-osc-data',
        '-f', 'json'))
    img = image['id']
    assert image['status'] == 'active'
    assert image['size'] == len(data)
    assert image['checksum'] == hashlib.md5(data).hexdigest()
    ok(stock.openstack('producer', 'image', 'add', 'project', img, consumer))
    ok(stock.openstack('consumer', 'image', 'set', '--accept', img))

    out = tmp_path / 'osc-save.bin'
    assert ok(stock.openstack('consumer', 'image', 'save', '--file',
                              str(out), img)) == ''
    assert out.read_bytes() == data
    out2 = tmp_path / 'glance-download.bin'
    assert ok(stock.glance('consumer', 'image-download', '--file',
                           str(out2), img)) == ''
    assert out2.read_bytes() == data
    digest = stock.sdk('consumer_colleague', '''
import hashlib
emit(hashlib.sha256(conn.image.download_image(%r).content).hexdigest())
''' % img)
    assert ok(digest) and digest.json == hashlib.sha256(data).hexdigest()

    # Nobody else gets the bytes; revocation stops downloads at once.
    bad = tmp_path / 'outsider.bin'
    fails(stock.openstack('outsider', 'image', 'save', '--file', str(bad),
                          img), 'No Image found for %s' % img)
    ok(stock.openstack('producer', 'image', 'remove', 'project', img,
                       consumer))
    fails(stock.glance('consumer', 'image-download', '--file', str(bad), img),
          'HTTP 404 Not Found')
    assert not bad.exists() or bad.read_bytes() == b''
    ok(stock.openstack('producer', 'image', 'delete', img))


def test_data_story_glance_upload_chunked(stock, projects, payload,
                                          tmp_path):
    path, data = payload
    consumer = projects['consumer']
    image = g_properties(ok(stock.glance(
        'producer', 'image-create', '--name', 'gm-glance-data',
        '--visibility', 'shared', '--disk-format', 'raw',
        '--container-format', 'bare')))
    img = image['id']
    assert image['status'] == 'queued'
    # glanceclient streams the file with Transfer-Encoding: chunked.
    assert ok(stock.glance('producer', 'image-upload', '--file', str(path),
                           img)) == ''
    shown = g_properties(ok(stock.glance('producer', 'image-show',
                                         '--max-column-width', '200', img)))
    assert shown['status'] == 'active'
    assert shown['size'] == str(len(data))
    assert shown['checksum'] == hashlib.md5(data).hexdigest()
    assert shown['os_hash_value'] == hashlib.sha512(data).hexdigest()

    ok(stock.glance('producer', 'member-create', img, consumer))
    ok(stock.glance('consumer', 'member-update', img, consumer, 'accepted'))
    out = tmp_path / 'download.bin'
    assert ok(stock.glance('consumer', 'image-download', '--file', str(out),
                           img)) == ''
    assert out.read_bytes() == data
    out2 = tmp_path / 'save.bin'
    ok(stock.openstack('consumer_colleague', 'image', 'save', '--file',
                       str(out2), img))
    assert out2.read_bytes() == data
    ok(stock.glance('producer', 'image-delete', img))


def test_data_story_openstacksdk_upload_download(stock, projects, payload,
                                                 tmp_path):
    """openstacksdk's own calls, not through a CLI: create_image(filename=)
    uploads, download_image(output=) and (stream=True) give the bytes back
    to an accepted consumer, checked against the image's checksum."""
    path, data = payload
    consumer = projects['consumer']
    created = stock.sdk('producer', '''
image = conn.image.create_image(
    name="gm-sdk-data", filename=%r, disk_format="raw",
    container_format="bare", visibility="shared", allow_duplicates=True)
image = conn.image.get_image(image.id)
conn.image.add_member(image, member_id=%r)
emit([image.id, image.status, image.size, image.checksum])
''' % (str(path), consumer))
    ok(created)
    img, status, size, checksum = created.json
    assert (status, size, checksum) == (
        'active', len(data), hashlib.md5(data).hexdigest())

    out = tmp_path / 'sdk-download.bin'
    downloaded = stock.sdk('consumer', '''
conn.image.update_member(%r, %r, status="accepted")
conn.image.download_image(%r, output=%r)
streamed = b"".join(conn.image.download_image(%r, stream=True)
                    .iter_content(65536))
emit(len(streamed))
''' % (consumer, img, img, str(out), img))
    assert ok(downloaded) and downloaded.json == len(data)
    assert out.read_bytes() == data

    refused = stock.sdk('outsider', '''
from openstack import exceptions
try:
    conn.image.download_image(%r)
except exceptions.NotFoundException as exc:
    emit(exc.status_code)
''' % img)
    assert ok(refused) and refused.json == 404
    ok(stock.openstack('producer', 'image', 'delete', img))
