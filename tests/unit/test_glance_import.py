"""The Glance import reads Glance's tables on each database Glance runs on
(SQLite, PostgreSQL, MariaDB): a hand-made copy of the Glance 33 columns it
reads, rows of every case. The real Glance is in
tests/integration/test_import_glance.py (SQLite, made and filled by Glance).
"""

import datetime

import peewee
import pytest

from glance_members.db import glance_import

IMG = ['00000000-0000-0000-0000-00000000000%d' % i for i in range(6)]
T0 = datetime.datetime(2024, 5, 6, 7, 8, 9, 123000)
T1 = datetime.datetime(2024, 5, 7, 7, 8, 9)

TABLES = """
CREATE TABLE images (id VARCHAR(36) PRIMARY KEY, name VARCHAR(255),
  size BIGINT, status VARCHAR(30) NOT NULL, created_at {dt} NOT NULL,
  updated_at {dt}, deleted_at {dt}, deleted BOOLEAN NOT NULL,
  disk_format VARCHAR(20), container_format VARCHAR(20),
  checksum VARCHAR(32), owner VARCHAR(255), min_disk INTEGER NOT NULL,
  min_ram INTEGER NOT NULL, protected BOOLEAN NOT NULL,
  virtual_size BIGINT, visibility VARCHAR(10) NOT NULL,
  os_hidden BOOLEAN NOT NULL, os_hash_algo VARCHAR(64),
  os_hash_value VARCHAR(128))
CREATE TABLE image_properties (id INTEGER PRIMARY KEY, image_id
  VARCHAR(36) NOT NULL, name VARCHAR(255) NOT NULL, value TEXT,
  deleted BOOLEAN NOT NULL)
CREATE TABLE image_tags (id INTEGER PRIMARY KEY, image_id VARCHAR(36)
  NOT NULL, value VARCHAR(255) NOT NULL, deleted BOOLEAN NOT NULL)
CREATE TABLE image_locations (id INTEGER PRIMARY KEY, image_id
  VARCHAR(36) NOT NULL, value TEXT NOT NULL, deleted BOOLEAN NOT NULL,
  status VARCHAR(30) NOT NULL)
CREATE TABLE image_members (id INTEGER PRIMARY KEY, image_id VARCHAR(36)
  NOT NULL, member VARCHAR(255) NOT NULL, can_share BOOLEAN NOT NULL,
  status VARCHAR(20) NOT NULL, created_at {dt} NOT NULL, updated_at {dt},
  deleted_at {dt}, deleted BOOLEAN NOT NULL)
"""


@pytest.fixture
def glance_url(database_kind, empty_database_url):
    """A Glance-shaped database with rows of every case, on each kind."""
    url = empty_database_url
    if database_kind == 'sqlite':
        # open_glance opens SQLite read only: write it as Glance would.
        database = peewee.SqliteDatabase(url[len('sqlite:///'):])
    else:
        database = glance_import.open_glance(url)
    dt = 'TIMESTAMP' if database_kind == 'postgresql' else 'DATETIME(6)' \
        if database_kind == 'mariadb' else 'DATETIME'
    p = database.param

    def insert(table, **row):
        database.execute_sql('INSERT INTO %s (%s) VALUES (%s)' % (
            table, ', '.join(row), ', '.join([p] * len(row))),
            list(row.values()))

    def image(i, status='active', deleted=False, **kw):
        insert('images', id=IMG[i], name='n%d' % i, size=5, status=status,
               created_at=T0, updated_at=T1, deleted_at=None,
               deleted=deleted, disk_format='raw', container_format='bare',
               checksum='c' * 32, owner='p1', min_disk=0, min_ram=0,
               protected=False, virtual_size=None,
               visibility=kw.get('visibility', 'shared'), os_hidden=False,
               os_hash_algo='sha512', os_hash_value='h' * 128)
        if status == 'active':
            insert('image_locations', id=10 + i, image_id=IMG[i],
                   value='file:///glance/images/%s' % IMG[i], deleted=False,
                   status='active')

    with database.atomic():
        for statement in TABLES.strip().split('\nCREATE'):
            database.execute_sql(('' if statement.startswith('CREATE')
                                  else 'CREATE') + statement.format(dt=dt))
        image(0)
        image(1, status='queued', visibility='private')
        image(2, status='deleted', deleted=True)
        insert('image_properties', id=1, image_id=IMG[0], name='os_distro',
               value='cirros', deleted=False)
        insert('image_properties', id=2, image_id=IMG[0], name='gone',
               value='x', deleted=True)
        insert('image_tags', id=1, image_id=IMG[0], value='t', deleted=False)
        for n, (member, status, deleted, updated) in enumerate([
                ('p2', 'accepted', False, T1), ('p2', 'pending', False, T0),
                ('p3', 'rejected', False, T1), ('p4', 'pending', True, T1)]):
            insert('image_members', id=n + 1, image_id=IMG[0],
                   member=member, can_share=False, status=status,
                   created_at=T0, updated_at=updated, deleted_at=None,
                   deleted=deleted)
    database.close()
    return url


def test_import_reads_every_kind_of_glance_database(glance_url, repo):
    glance = glance_import.open_glance(glance_url)
    try:
        dry = glance_import.import_glance(glance, repo, dry_run=True)
        assert repo.get_image(IMG[0]) is None
        report = glance_import.import_glance(glance, repo)
        again = glance_import.import_glance(glance, repo)
    finally:
        glance.close()
    for r in (dry, report):
        assert (r.images, r.members, r.properties, r.tags,
                r.deleted_images, r.deleted_members, r.refused) == (
            2, 2, 1, 1, 1, 1, [])
        assert len(r.collapsed) == 1 and 'rows 1, 2 collapsed to row 1 ' \
            '(accepted)' in r.collapsed[0]
    assert (again.images, again.existing, again.deleted_images) == (0, 2, 0)
    image = repo.get_image(IMG[0])
    assert (image.status, image.location, image.properties, image.tags,
            image.created_at, image.updated_at) == (
        'active', 'file:///glance/images/%s' % IMG[0],
        {'os_distro': 'cirros'}, ['t'], T0, T1)
    assert [(m.member_id, m.status) for m in repo.list_members(IMG[0])] == [
        ('p2', 'accepted'), ('p3', 'rejected')]
    assert repo.get_image(IMG[1]).visibility == 'private'
    assert repo.is_deleted_image(IMG[2])
