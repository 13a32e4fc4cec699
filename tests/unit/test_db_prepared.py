"""Prepared statements: built once per kind of database, then every call
binds its own parameters. A parameter is never folded into the SQL as a
constant, whatever the type of the column it is compared with or stored
in (a boolean column's converter turned any marker into TRUE)."""

import datetime
import uuid

import pytest

from glance_members.db import prepared
from glance_members.db import models
from glance_members import records

Image = models.Image


@pytest.fixture
def database(repo):
    return repo.database


def _image(repo, **attrs):
    return repo.create_image(records.Image(id=str(uuid.uuid4()), owner='p1',
                                           **attrs)).id


@pytest.mark.parametrize('column, values', [
    (Image.os_hidden, (True, False)),
    (Image.protected, (False, True)),
    (Image.min_ram, (512, 0)),
    (Image.size, (5000000000, 7)),
    (Image.name, ('one', 'two')),
])
def test_a_compared_parameter_takes_each_call_s_value(repo, database, column,
                                                      values):
    ids = {value: _image(repo, **{column.name: value}) for value in values}
    query = prepared.Prepared(lambda value: Image.select(Image.id).where(
        column == value), 1)
    for value in values + tuple(reversed(values)):
        assert query.rows(database, value) == [(ids[value],)]


def test_a_datetime_parameter_takes_each_call_s_value(repo, database, clock):
    first = _image(repo)
    clock.tick()
    second = _image(repo)
    query = prepared.Prepared(lambda when: Image.select(Image.id).where(
        Image.created_at > when).order_by(Image.created_at), 1)
    assert query.rows(database, clock.now) == []
    assert query.rows(database, clock.now - datetime.timedelta(
        seconds=1)) == [(second,)]
    assert query.rows(database, datetime.datetime(2000, 1, 1)) == [
        (first,), (second,)]


def test_a_written_boolean_parameter_takes_each_call_s_value(repo, database):
    image_id = _image(repo)
    update = prepared.Prepared(lambda hidden, image: Image.update(
        os_hidden=hidden).where(Image.id == image), 2)
    for hidden in (True, False, True):
        assert update.run(database, hidden, image_id) == 1
        assert repo.get_image(image_id).os_hidden is hidden


def test_a_limit_parameter_takes_each_call_s_value(repo, database):
    for _ in range(3):
        _image(repo)
    query = prepared.Prepared(lambda limit: Image.select(Image.id).limit(
        limit), 1)
    assert [len(query.rows(database, n)) for n in (1, 3, 2)] == [1, 3, 2]
