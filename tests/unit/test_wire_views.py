"""The hand-written views render exactly what the documented marshmallow
schemas dump, so the OpenAPI document stays true."""

import datetime

import pytest

from glance_members import records
from glance_members.schemas import image_members
from glance_members.schemas import images

WHEN = datetime.datetime(2024, 5, 6, 7, 8, 9, 123456)


def test_member_view_is_the_member_schema():
    member = records.Member('1b9a1c3e-0000-4000-8000-000000000001', 'p1',
                            'accepted', WHEN, WHEN)
    assert image_members.member_view(member) == \
        image_members.MemberSchema().dump(member)
    assert list(image_members.member_view(member)) == list(
        image_members.MemberSchema().dump(member))


def test_members_view_is_the_members_schema():
    members = [records.Member('i', 'p%d' % n, 'pending', WHEN, WHEN)
               for n in range(3)]
    assert image_members.members_view(members) == \
        image_members.MembersSchema().dump({'members': members})


def test_image_view_is_the_image_schema():
    image = records.Image(
        id='1b9a1c3e-0000-4000-8000-000000000002', owner='p1', name='n',
        disk_format='raw', container_format='bare', size=5, virtual_size=5,
        status='active', checksum='c' * 32, os_hash_algo='sha512',
        os_hash_value='h' * 128, created_at=WHEN, updated_at=WHEN,
        properties={'b_prop': '1', 'a_prop': '2'}, tags=['t1', 't2'])
    dumped = images.ImageSchema().dump(image)
    assert images.image_view(image) == dumped
    assert list(images.image_view(image)) == list(dumped)


# The views format created_at and updated_at once when they are equal:
# still what the schemas dump, whatever the two timestamps are.
LATER = datetime.datetime(2024, 5, 7, 1, 2, 3)
PLUS_ONE = datetime.timezone(datetime.timedelta(hours=1))
TIMESTAMP_PAIRS = [
    (WHEN, WHEN), (WHEN, WHEN.replace()), (WHEN, LATER), (LATER, WHEN),
    (WHEN, WHEN.replace(microsecond=0)),
    (datetime.datetime(999, 1, 2, 3, 4, 5),
     datetime.datetime(999, 1, 2, 3, 4, 5)),
    (WHEN.replace(tzinfo=datetime.timezone.utc),
     WHEN.replace(tzinfo=datetime.timezone.utc)),
    # Equal instants, different wall clocks.
    (WHEN.replace(tzinfo=datetime.timezone.utc),
     (WHEN + datetime.timedelta(hours=1)).replace(tzinfo=PLUS_ONE)),
    (WHEN, WHEN.replace(tzinfo=datetime.timezone.utc)),
]


@pytest.mark.parametrize('created,updated', TIMESTAMP_PAIRS)
def test_member_views_are_the_schemas_for_any_timestamps(created, updated):
    member = records.Member('i', 'p1', 'rejected', created, updated)
    view = image_members.member_view(member)
    dumped = image_members.MemberSchema().dump(member)
    assert view == dumped
    assert list(view) == list(dumped)
    assert image_members.members_view([member, member]) == \
        image_members.MembersSchema().dump({'members': [member, member]})


@pytest.mark.parametrize('created,updated', TIMESTAMP_PAIRS)
def test_image_view_is_the_image_schema_for_any_timestamps(created,
                                                           updated):
    image = records.Image(id='1b9a1c3e-0000-4000-8000-000000000003',
                          owner=None, created_at=created, updated_at=updated)
    dumped = images.ImageSchema().dump(image)
    assert images.image_view(image) == dumped
    assert list(images.image_view(image)) == list(dumped)


def test_image_view_keys_win_over_properties_in_place():
    image = records.Image(
        id='1b9a1c3e-0000-4000-8000-000000000004', owner='p1',
        created_at=WHEN, updated_at=LATER, tags=['t'],
        properties={'z': '1', 'status': 'fake', 'self': 'x', 'a': '2'})
    dumped = images.ImageSchema().dump(image)
    view = images.image_view(image)
    assert view == dumped
    assert list(view) == list(dumped)
    assert list(view)[:4] == ['z', 'status', 'self', 'a']
    assert view['status'] == 'queued'
    assert view['self'] == '/v2/images/1b9a1c3e-0000-4000-8000-000000000004'
    assert view['file'] == view['self'] + '/file'
    # The view's lists are its own.
    view['tags'].append('u')
    assert image.tags == ['t']
    assert image.properties['status'] == 'fake'
