"""isotime's fast path writes exactly what strftime(ISO_FORMAT) writes."""

import datetime
import zoneinfo

import pytest

from glance_members.schemas import timestamps

UTC = datetime.timezone.utc
PLUS_ONE = datetime.timezone(datetime.timedelta(hours=1))
MINUS_FIVE_THIRTY = datetime.timezone(-datetime.timedelta(hours=5,
                                                          minutes=30))
D = datetime.datetime


class Sub(D):
    def isoformat(self, *args, **kwargs):
        return 'not what strftime says'


VALUES = [
    D(2024, 5, 6, 7, 8, 9, 123456), D(2024, 5, 6, 7, 8, 9),
    D(2024, 12, 31, 23, 59, 59, 999999), D(1970, 1, 1),
    D(1000, 1, 1), D(9999, 12, 31, 23, 59, 59, 999999),
    # Before 1000 strftime's padding is the platform's: it decides.
    D(1, 1, 1), D(9, 2, 3, 4, 5, 6), D(99, 1, 1), D(999, 12, 31, 1, 2, 3),
    # Aware values: strftime ignores the offset, and so must we.
    D(2024, 5, 6, 7, 8, 9, 1, tzinfo=UTC),
    D(2024, 5, 6, 7, 8, 9, tzinfo=PLUS_ONE),
    D(2024, 5, 6, 7, 8, 9, tzinfo=MINUS_FIVE_THIRTY),
    D(2024, 10, 27, 2, 30, tzinfo=zoneinfo.ZoneInfo('Europe/Paris'), fold=1),
    D(500, 1, 1, tzinfo=UTC),
    D.fromisoformat('2024-05-06 07:08:09.5+00:00'),
    Sub(2024, 5, 6, 7, 8, 9),
    datetime.date(2024, 5, 6),
]


@pytest.mark.parametrize('value', VALUES, ids=repr)
def test_isotime_is_strftime(value):
    assert timestamps.isotime(value) == value.strftime(timestamps.ISO_FORMAT)


def test_isotime_examples():
    assert timestamps.isotime(D(2013, 9, 20, 19, 22, 19, 5)) == \
        '2013-09-20T19:22:19Z'
    assert timestamps.isotime(D(2013, 9, 20, 19, 22, 19, tzinfo=PLUS_ONE)) \
        == '2013-09-20T19:22:19Z'


@pytest.mark.parametrize('created', VALUES, ids=repr)
@pytest.mark.parametrize('updated', VALUES, ids=repr)
def test_isotimes_is_two_isotimes(created, updated):
    assert timestamps.isotimes(created, updated) == (
        created.strftime(timestamps.ISO_FORMAT),
        updated.strftime(timestamps.ISO_FORMAT))


def test_isotimes_equal_instants_in_other_zones_are_formatted_apart():
    created = D(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    updated = D(2024, 5, 6, 8, 8, 9, tzinfo=PLUS_ONE)
    assert created == updated
    assert timestamps.isotimes(created, updated) == (
        '2024-05-06T07:08:09Z', '2024-05-06T08:08:09Z')


def test_isotimes_equal_values_share_the_text():
    created, updated = D(2024, 5, 6, 7, 8, 9, 10), D(2024, 5, 6, 7, 8, 9, 10)
    first, second = timestamps.isotimes(created, updated)
    assert first == second == '2024-05-06T07:08:09Z'
