"""POST .../members bodies: which member ids parse_create takes."""

import pytest

from glance_members import exception
from glance_members.schemas import image_members


@pytest.mark.parametrize('member, expected', [
    ('p1', 'p1'), (12345, '12345'), (-1, '-1'), ('a' * 255, 'a' * 255),
    (10 ** 254, str(10 ** 254))])
def test_strings_and_integers_are_member_ids(member, expected):
    assert image_members.parse_create({'member': member}) == expected


@pytest.mark.parametrize('member, message', [
    (True, 'Expected a member'), (False, "can't be empty"),
    (0, "can't be empty"), ('', "can't be empty"), (None, "can't be empty"),
    (1.5, 'Expected a member'), ({'id': 'x'}, 'Expected a member'),
    (['a'], 'Expected a member'), ('a' * 256, "can't be longer"),
    (10 ** 255, "can't be longer")])
def test_other_values_are_refused(member, message):
    with pytest.raises(exception.Invalid, match=message):
        image_members.parse_create({'member': member})
