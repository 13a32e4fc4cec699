"""Each Repository works on its own database only: with two in one process
(two SQLite files), nothing written or read through one reaches the other.

The models sit on a global proxy that db.connect() points at the latest
database; a statement that ran on it instead of the repository's own
database would land in the second file here.
"""

import uuid

import pytest

from glance_members import db
from glance_members import records

TABLES = ('images', 'image_properties', 'image_tags', 'image_members',
          'deleted_images')


def _rows(database):
    return {table: database.execute_sql(
        'SELECT COUNT(*) FROM %s' % table).fetchone()[0] for table in TABLES}


@pytest.fixture
def two_repos(tmp_path):
    databases = [db.connect('sqlite:///%s' % (tmp_path / name))
                 for name in ('first.sqlite', 'second.sqlite')]
    for database in databases:
        db.create_schema(database)
    yield [db.make_repository(d) for d in databases]
    for database in databases:
        database.close()


def test_every_repository_call_stays_on_its_own_database(two_repos):
    first, other = two_repos  # db.connect() left the proxy on `other`
    image = first.create_image(records.Image(
        id=str(uuid.uuid4()), owner='p1', properties={'k': 'v'},
        tags=['t']))
    assert first.get_image(image.id).properties == {'k': 'v'}
    image.name = 'renamed'
    assert first.update_image(image).name == 'renamed'
    assert first.change_status(image.id, 'queued', 'active')
    assert first.add_member(image.id, 'p2', quota=-1).status == 'pending'
    assert first.update_member_status(image.id, 'p2', 'accepted')
    assert [m.member_id for m in first.find_memberships(image.id)] == ['p2']
    assert [i.id for i in first.list_images(
        records.ImageQuery(limit=10, member_status='all'), 'p2',
        is_admin=False)] == [image.id]
    assert first.delete_member(image.id, 'p2')
    assert first.purge_memberships(image.id) == 1
    assert other.get_image(image.id) is None
    assert set(_rows(other.database).values()) == {0}
    assert first.delete_image(image.id) is None
    assert _rows(first.database)['deleted_images'] == 1
    assert set(_rows(other.database).values()) == {0}


def test_a_write_through_one_is_not_seen_through_the_other(two_repos):
    first, other = two_repos
    image = other.create_image(records.Image(id=str(uuid.uuid4()),
                                             owner='p1'))
    assert first.get_image(image.id) is None
    # The id is free in the first database: no deleted_images row there.
    first.create_image(records.Image(id=image.id, owner='p1'))
    assert first.delete_image(image.id) is None
    assert other.get_image(image.id) is not None
