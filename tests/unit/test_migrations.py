"""The schema history: an old database with data upgrades without loss."""

import datetime

from glance_members import db
from glance_members.db import migrations
from glance_members import records


def test_history_is_contiguous_from_one():
    versions = [v for v, _ in migrations.history()]
    assert versions == list(range(1, len(versions) + 1))
    assert migrations.head() == versions[-1]


def test_empty_database_is_version_zero():
    assert db.version(db.connect('sqlite://')) == 0


def test_sync_is_idempotent():
    database = db.connect('sqlite://')
    assert db.sync(database) == migrations.head()
    assert db.sync(database) == migrations.head()


def test_upgrade_from_first_version_keeps_data(tmp_path):
    database = db.connect('sqlite:///%s' % (tmp_path / 'old.sqlite'))
    assert db.sync(database, 1) == 1
    when = datetime.datetime(2020, 1, 2, 3, 4, 5)
    database.execute_sql(
        "INSERT INTO images (id, name, visibility, status, protected, "
        "min_ram, min_disk, owner, os_hidden, created_at, updated_at) "
        "VALUES (?, 'old', 'shared', 'queued', 0, 0, 0, 'p1', 0, ?, ?)",
        ('11111111-2222-3333-4444-555555555555', when, when))
    database.execute_sql(
        "INSERT INTO image_properties (image_id, name, value) "
        "VALUES ('11111111-2222-3333-4444-555555555555', 'os_distro', 'x')")
    database.execute_sql(
        "INSERT INTO image_tags (image_id, value) "
        "VALUES ('11111111-2222-3333-4444-555555555555', 't1')")
    database.execute_sql(
        "INSERT INTO image_members (image_id, member, status, deleted, "
        "created_at, updated_at) VALUES "
        "('11111111-2222-3333-4444-555555555555', 'p2', 'accepted', 0, ?, ?)",
        (when, when))

    assert db.sync(database) == migrations.head()

    repo = db.repository(database)
    image = repo.get_image('11111111-2222-3333-4444-555555555555')
    assert (image.name, image.owner, image.location) == ('old', 'p1', None)
    assert image.properties == {'os_distro': 'x'}
    assert image.tags == ['t1']
    assert image.created_at == when
    member = repo.get_member(image.id, 'p2')
    assert member == records.Member(image.id, 'p2', 'accepted', when, when)
