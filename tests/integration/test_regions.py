"""Sharing is regional (issue item 5).

Two instances of glance-members, each with its own database: ``gm_keystone``
is the image endpoint of RegionOne, a second one that of RegionTwo, in the
same Keystone catalog.  With openstacksdk's ``region_name`` (and the
``openstack`` CLI's ``--os-region-name``) a user reaches one or the other;
an image and its shares made in one region do not exist in the other.
"""

import shutil

import pytest

from testbed.keystone_service import start_service

ONE, TWO = 'RegionOne', 'RegionTwo'

HELPERS = '''
from openstack import exceptions

def status_of(call, *args, **kwargs):
    try:
        call(*args, **kwargs)
    except exceptions.HttpException as exc:
        return exc.status_code
    return 200

def ids(**query):
    return sorted(i.id for i in conn.image.images(**query))
'''


@pytest.fixture(scope='module')
def region_two(keystone, gm_keystone, tmp_path_factory):
    base = str(tmp_path_factory.mktemp('gm-region-two'))
    service = start_service(keystone, base, region=TWO)
    try:
        yield service
    finally:
        service.server.stop()
        shutil.rmtree(service.server.home, ignore_errors=True)


def sdk(stock, user, region, script, **values):
    code = HELPERS + ''.join('%s = %r\n' % kv
                             for kv in sorted(values.items())) + script
    result = stock.sdk(user, code, region=region)
    assert result.rc == 0, str(result)
    return result.json


def share(stock, region, consumer, name):
    """The producer creates a shared image in ``region`` and adds the
    consumer; returns the image id."""
    made = sdk(stock, 'producer', region, '''
image = conn.image.create_image(name=name, disk_format="raw",
                                container_format="bare", visibility="shared")
member = conn.image.add_member(image, member_id=consumer)
emit([image.id, member.status, conn.image.get_endpoint()])
''', name=name, consumer=consumer)
    return made


def test_each_region_has_its_own_endpoint(stock, gm_keystone,
                                          region_two):
    assert region_two.url != gm_keystone.url
    for region, url in ((ONE, gm_keystone.url), (TWO, region_two.url)):
        endpoint = sdk(stock, 'consumer', region,
                       'emit(conn.image.get_endpoint())')
        assert endpoint.rstrip('/') in (url, url + '/v2'), (region, endpoint)


def test_a_share_is_invisible_in_the_other_region(
        stock, keystone, region_two):
    consumer = keystone.identities['projects']['consumer']

    # Shared and accepted in RegionOne.
    img1, status, _ = share(stock, ONE, consumer, 'gm-region-one')
    assert status == 'pending'
    accepted = sdk(stock, 'consumer', ONE, '''
member = conn.image.update_member(consumer, img, status="accepted")
emit([member.status, ids(), status_of(conn.image.get_image, img)])
''', consumer=consumer, img=img1)
    assert accepted[0] == 'accepted'
    assert img1 in accepted[1] and accepted[2] == 200

    # Shared (pending) in RegionTwo.
    img2, status, _ = share(stock, TWO, consumer, 'gm-region-two')
    assert status == 'pending'

    # Each region knows only its own image and its own shares.
    for region, here, there in ((ONE, img1, img2), (TWO, img2, img1)):
        seen = sdk(stock, 'consumer', region, '''
emit({"listed": ids(member_status="all", visibility="shared"),
      "here": status_of(conn.image.get_image, here),
      "there": status_of(conn.image.get_image, there),
      "member_there": status_of(conn.image.get_member, consumer, there),
      "accept_there": status_of(conn.image.update_member, consumer, there,
                                status="accepted")})
''', consumer=consumer, here=here, there=there)
        assert here in seen['listed'] and there not in seen['listed'], seen
        assert seen['here'] == 200, (region, seen)
        assert (seen['there'], seen['member_there'],
                seen['accept_there']) == (404, 404, 404), (region, seen)
        owner = sdk(stock, 'producer', region, '''
emit({"listed": ids(),
      "there": status_of(conn.image.get_image, there),
      "members_there": status_of(lambda: list(conn.image.members(there))),
      "share_there": status_of(conn.image.add_member, there,
                               member_id=consumer)})
''', consumer=consumer, there=there)
        assert here in owner['listed'] and there not in owner['listed']
        assert (owner['there'], owner['members_there'],
                owner['share_there']) == (404, 404, 404), (region, owner)

    # Accepting in RegionTwo changes nothing in RegionOne, and vice versa.
    two = sdk(stock, 'consumer', TWO, '''
member = conn.image.update_member(consumer, img, status="accepted")
emit([member.status, ids()])
''', consumer=consumer, img=img2)
    assert two[0] == 'accepted' and img2 in two[1]
    assert img1 not in two[1]
    one = sdk(stock, 'consumer', ONE, 'emit(ids())')
    assert img1 in one and img2 not in one

    # The CLI takes the region the same way (--os-region-name; with
    # OS_REGION_NAME set too, the "envvars" cloud allows only that region).
    env = stock.env('consumer')
    del env['OS_REGION_NAME']
    result = stock.openstack('consumer', '--os-region-name', TWO, 'image',
                             'show', img1, env=env)
    assert result.rc == 1 and 'No Image found for %s' % img1 in (
        result.stderr), str(result)
    result = stock.openstack('consumer', '--os-region-name', TWO, 'image',
                             'show', img2, '-f', 'value', '-c', 'name',
                             env=env)
    assert result.rc == 0 and result.stdout.strip() == 'gm-region-two', (
        str(result))

    # Revoking in one region leaves the other's share alone.
    sdk(stock, 'producer', ONE, '''
conn.image.remove_member(consumer, img)
emit(None)
''', consumer=consumer, img=img1)
    after = sdk(stock, 'consumer', TWO, '''
emit([status_of(conn.image.get_image, img2), ids()])
''', img2=img2)
    assert after[0] == 200 and img2 in after[1]
    gone = sdk(stock, 'consumer', ONE, '''
emit(status_of(conn.image.get_image, img1))
''', img1=img1)
    assert gone == 404

    for region, img in ((ONE, img1), (TWO, img2)):
        sdk(stock, 'producer', region, '''
conn.image.delete_image(img)
emit(None)
''', img=img)
