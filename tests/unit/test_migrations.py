"""The schema history: an old database with data upgrades without loss,
on SQLite, on PostgreSQL (a private cluster, testbed/postgresql.py)
and on MariaDB (a private server, testbed/mariadb.py)."""

import datetime

import peewee
import pytest

from glance_members import db
from glance_members.db import migrations
from glance_members.db import models
from glance_members import records

IMAGE = '11111111-2222-3333-4444-555555555555'
IMAGE2 = '66666666-7777-8888-9999-000000000000'


@pytest.fixture
def database(empty_database_url):
    database = db.connect(empty_database_url)
    yield database
    if hasattr(database, 'close_all'):
        database.close_all()
    else:
        database.close()


def test_history_is_contiguous_from_one():
    versions = [v for v, _ in migrations.history()]
    assert versions == list(range(1, len(versions) + 1))
    assert migrations.head() == versions[-1]


def test_empty_database_is_version_zero(database):
    assert db.version(database) == 0


def test_sync_is_idempotent(database):
    assert db.sync(database) == migrations.head()
    assert db.sync(database) == migrations.head()
    assert db.version(database) == migrations.head()


def _counts(database):
    return {table: database.execute_sql(
        'SELECT COUNT(*) FROM %s' % table).fetchone()[0]
        for table in ('images', 'image_properties', 'image_tags',
                      'image_members')}


def test_upgrade_from_first_version_keeps_data(database):
    assert db.sync(database, 1) == 1
    assert db.version(database) == 1
    p = database.param
    when = datetime.datetime(2020, 1, 2, 3, 4, 5)
    later = datetime.datetime(2021, 6, 7, 8, 9, 10, 123456)

    def sql(text, params=()):
        database.execute_sql(text.replace('?', p), params)

    with database.atomic():
        sql("INSERT INTO images (id, name, visibility, status, protected, "
            "min_ram, min_disk, owner, os_hidden, created_at, updated_at) "
            "VALUES (?, 'old', 'shared', 'queued', FALSE, 0, 0, 'p1', FALSE,"
            " ?, ?)", (IMAGE, when, when))
        sql("INSERT INTO images (id, name, disk_format, container_format, "
            "visibility, size, virtual_size, status, checksum, protected, "
            "min_ram, min_disk, owner, os_hidden, os_hash_algo, "
            "os_hash_value, created_at, updated_at) VALUES (?, 'two', 'raw', "
            "'bare', 'private', 5000000000, 6000000000, 'active', ?, TRUE, "
            "512, 10, 'p2', TRUE, 'sha512', ?, ?, ?)",
            (IMAGE2, 'c' * 32, 'h' * 128, when, later))
        sql("INSERT INTO image_properties (image_id, name, value) "
            "VALUES (?, 'os_distro', 'x')", (IMAGE,))
        sql("INSERT INTO image_properties (image_id, name, value) "
            "VALUES (?, 'long', ?)", (IMAGE, 'v' * 5000))
        sql("INSERT INTO image_tags (image_id, value) VALUES (?, 't1')",
            (IMAGE,))
        sql("INSERT INTO image_tags (image_id, value) VALUES (?, 't0')",
            (IMAGE,))
        sql("INSERT INTO image_members (image_id, member, status, deleted, "
            "created_at, updated_at) VALUES (?, 'p2', 'accepted', FALSE, "
            "?, ?)", (IMAGE, when, when))
        sql("INSERT INTO image_members (image_id, member, status, deleted, "
            "created_at, updated_at) VALUES (?, 'p3', 'rejected', TRUE, "
            "?, ?)", (IMAGE, when, later))
    before = _counts(database)

    assert db.sync(database) == migrations.head()
    assert db.version(database) == migrations.head()
    assert _counts(database) == before == {
        'images': 2, 'image_properties': 2, 'image_tags': 2,
        'image_members': 2}

    repo = db.make_repository(database)
    image = repo.get_image(IMAGE)
    assert (image.name, image.owner, image.location) == ('old', 'p1', None)
    assert (image.protected, image.os_hidden) == (False, False)
    assert image.properties == {'os_distro': 'x', 'long': 'v' * 5000}
    assert image.tags == ['t0', 't1']
    assert image.created_at == when
    image2 = repo.get_image(IMAGE2)
    assert (image2.size, image2.virtual_size, image2.protected,
            image2.os_hidden, image2.min_ram, image2.min_disk) == (
        5000000000, 6000000000, True, True, 512, 10)
    assert (image2.checksum, image2.os_hash_value) == ('c' * 32, 'h' * 128)
    assert (image2.created_at, image2.updated_at) == (when, later)
    assert repo.get_member(IMAGE, 'p2') == records.Member(
        IMAGE, 'p2', 'accepted', when, when)
    assert repo.get_member(IMAGE, 'p3') is None  # deleted stays deleted
    assert [m.member_id for m in repo.list_members(IMAGE)] == ['p2']
    # v004 copied each image's created_at onto its memberships: the
    # consumer's list (driven from them) finds the share, in order.
    listed = repo.list_images(records.ImageQuery(
        limit=10, member_status='accepted'), 'p2', False)
    assert [i.id for i in listed] == [IMAGE2, IMAGE]

    # The upgraded schema takes new writes, and its constraints still hold.
    assert repo.add_member(IMAGE, 'p4', quota=-1).status == 'pending'
    revived = repo.add_member(IMAGE, 'p3', quota=-1)
    assert (revived.status, revived.created_at) == ('pending', when)
    with pytest.raises(peewee.IntegrityError):
        with database.atomic():
            sql("INSERT INTO image_members (image_id, member, status, "
                "deleted, created_at, updated_at) VALUES (?, 'p2', "
                "'pending', FALSE, ?, ?)", (IMAGE, when, when))


def test_every_column_is_as_nullable_as_its_model(database):
    """One schema on both databases, the models' (v004 added
    image_members.image_created_at NOT NULL on PostgreSQL only; v005 makes
    it so on SQLite)."""
    db.sync(database)
    for model in models.ALL_MODELS:
        table = model._meta.table_name
        nullable = {c.name: c.null for c in database.get_columns(table)}
        assert nullable == {f.column_name: f.null
                            for f in model._meta.sorted_fields}, table


def test_image_created_at_is_required_after_upgrading_a_version_4(database):
    db.sync(database, 4)
    p = database.param
    when = datetime.datetime(2020, 1, 2, 3, 4, 5)
    database.execute_sql(
        "INSERT INTO images (id, visibility, status, protected, min_ram, "
        "min_disk, owner, os_hidden, created_at, updated_at) VALUES (%s, "
        "'shared', 'queued', FALSE, 0, 0, 'p1', FALSE, %s, %s)"
        % (p, p, p), (IMAGE, when, when))
    database.execute_sql(
        "INSERT INTO image_members (image_id, member, status, deleted, "
        "created_at, updated_at, image_created_at) VALUES (%s, 'p2', "
        "'accepted', FALSE, %s, %s, %s)" % (p, p, p, p),
        (IMAGE, when, when, when))
    indexes = {i.name for i in database.get_indexes('image_members')}

    assert db.sync(database, 5) == 5

    assert {i.name for i in database.get_indexes('image_members')} == \
        indexes
    assert db.sync(database) == migrations.head()
    repo = db.make_repository(database)
    assert repo.get_member(IMAGE, 'p2').status == 'accepted'
    assert [i.id for i in repo.list_images(
        records.ImageQuery(limit=10, member_status='accepted'), 'p2',
        False)] == [IMAGE]
    with pytest.raises(peewee.IntegrityError):
        with database.atomic():
            database.execute_sql(
                "INSERT INTO image_members (image_id, member, status, "
                "deleted, created_at, updated_at) VALUES (%s, 'p3', "
                "'pending', FALSE, %s, %s)" % (p, p, p), (IMAGE, when, when))


def test_memberships_know_their_image_is_shared_after_upgrading_a_version_8(
        database):
    """v009 copies each image's visibility onto its memberships: the
    inbox counts (which read only image_members) stay right."""
    db.sync(database, 8)
    p = database.param
    when = datetime.datetime(2020, 1, 2, 3, 4, 5)
    for image, visibility in ((IMAGE, 'shared'), (IMAGE2, 'private')):
        database.execute_sql(
            "INSERT INTO images (id, visibility, status, protected, min_ram, "
            "min_disk, owner, os_hidden, created_at, updated_at) VALUES "
            "(%s, %s, 'queued', FALSE, 0, 0, 'p1', FALSE, %s, %s)"
            % (p, p, p, p), (image, visibility, when, when))
        for member, status in (('p2', 'pending'), ('p3', 'accepted')):
            database.execute_sql(
                "INSERT INTO image_members (image_id, member, status, "
                "deleted, created_at, updated_at, image_created_at) VALUES "
                "(%s, %s, %s, FALSE, %s, %s, %s)" % ((p,) * 6),
                (image, member, status, when, when, when))

    assert db.sync(database) == migrations.head()

    assert sorted(database.execute_sql(
        'SELECT image_id, member, image_shared FROM image_members').fetchall()
    ) == sorted([(IMAGE, 'p2', True), (IMAGE, 'p3', True),
                 (IMAGE2, 'p2', False), (IMAGE2, 'p3', False)])
    repo = db.make_repository(database)
    assert repo.count_inbox('p2') == {'pending': 1, 'accepted': 0,
                                      'rejected': 0}
    assert repo.count_inbox('p3') == {'pending': 0, 'accepted': 1,
                                      'rejected': 0}
    image2 = repo.get_image(IMAGE2)
    image2.visibility = 'shared'
    repo.update_image(image2)
    assert repo.count_inbox('p2') == {'pending': 2, 'accepted': 0,
                                      'rejected': 0}
    assert 'imagemember_inbox_counts' in {
        i.name for i in database.get_indexes('image_members')}
