"""Prepared statements: built once per kind of database, then every call
binds its own parameters. A parameter is never folded into the SQL as a
constant, whatever the type of the column it is compared with or stored
in (a boolean column's converter turned any marker into TRUE)."""

import datetime
import uuid

import pytest

from glance_members.db import engines
from glance_members.db import prepared
from glance_members.db import models
from glance_members import records

Image = models.Image


@pytest.fixture
def repo_database(repo):
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
def test_a_compared_parameter_takes_each_call_s_value(repo, repo_database,
                                                      column, values):
    ids = {value: _image(repo, **{column.name: value}) for value in values}
    query = prepared.Prepared(lambda value: Image.select(Image.id).where(
        column == value), 1)
    for value in values + tuple(reversed(values)):
        assert query.rows(repo_database, value) == [(ids[value],)]


def test_a_datetime_parameter_takes_each_call_s_value(
        repo, repo_database, clock):
    first = _image(repo)
    clock.tick()
    second = _image(repo)
    query = prepared.Prepared(lambda when: Image.select(Image.id).where(
        Image.created_at > when).order_by(Image.created_at), 1)
    assert query.rows(repo_database, clock.now) == []
    assert query.rows(repo_database, clock.now - datetime.timedelta(
        seconds=1)) == [(second,)]
    assert query.rows(repo_database, datetime.datetime(2000, 1, 1)) == [
        (first,), (second,)]


def test_a_written_boolean_parameter_takes_each_call_s_value(
        repo, repo_database):
    image_id = _image(repo)
    update = prepared.Prepared(lambda hidden, image: Image.update(
        os_hidden=hidden).where(Image.id == image), 2)
    for hidden in (True, False, True):
        assert update.run(repo_database, hidden, image_id) == 1
        assert repo.get_image(image_id).os_hidden is hidden


def test_a_limit_parameter_takes_each_call_s_value(repo, repo_database):
    for _ in range(3):
        _image(repo)
    query = prepared.Prepared(lambda limit: Image.select(Image.id).limit(
        limit), 1)
    assert [len(query.rows(repo_database, n)) for n in (1, 3, 2)] == [1, 3, 2]


def test_rows_come_back_as_the_model_s_types(repo, repo_database, clock):
    image_id = _image(repo, os_hidden=True, min_ram=64)
    query = prepared.Prepared(lambda image: Image.select(
        Image.created_at, Image.os_hidden, Image.min_ram, Image.name,
        Image.checksum).where(Image.id == image), 1)
    [row] = query.rows(repo_database, image_id)
    assert row == (clock.now, True, 64, None, None)
    assert type(row[0]) is datetime.datetime and row[1] is True


# What SQLite hands back raw, and what the readers make of it.
_AT = '2026-12-04 07:20:01.719291'
_SQLITE_ROWS = [
    (('m', _AT, 1), ('m', datetime.datetime(2026, 12, 4, 7, 20, 1, 719291),
                     True)),
    (('m', '2026-12-04 07:20:01', 0),
     ('m', datetime.datetime(2026, 12, 4, 7, 20, 1), False)),
    (('m', None, None), ('m', None, None)),
    # Not ISO text: the slow way, peewee's own parser (which gives the
    # text back when no format fits), as before the generated readers.
    (('m', 'not a date', 1), ('m', 'not a date', True)),
    # A row shorter than the converters: what there is (as typed did).
    (('m', _AT), ('m', datetime.datetime(2026, 12, 4, 7, 20, 1, 719291))),
    # Values past the converters are dropped (a list's sort keys).
    (('m', _AT, 0, 'sort key'),
     ('m', datetime.datetime(2026, 12, 4, 7, 20, 1, 719291), False)),
]


@pytest.mark.parametrize('raw, wanted', _SQLITE_ROWS)
def test_a_sqlite_row_reader_converts_as_typed(raw, wanted):
    converters = [None, prepared.converter(Image.created_at),
                  prepared.converter(Image.os_hidden)]
    read = prepared.row_reader(converters, engines.Sqlite(None))
    assert read(raw) == wanted == prepared.typed(raw, converters)


def test_other_databases_hand_back_datetimes_untouched():
    when = datetime.datetime(2026, 12, 4, 7, 20, 1)
    read = prepared.row_reader([None, prepared.converter(Image.created_at)],
                               engines.PostgresqlPool(None))
    assert read(('m', when)) == ('m', when)
    assert read(('m', when))[1] is when
