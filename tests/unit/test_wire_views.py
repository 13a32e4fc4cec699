"""The hand-written views render exactly what the documented marshmallow
schemas dump, so the OpenAPI document stays true."""

import datetime

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
