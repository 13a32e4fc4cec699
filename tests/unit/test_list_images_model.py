"""The image list against a plain Python model of Glance's rules, on every
database: random worlds of images and memberships, every caller, every
visibility and member_status, walked page by page with markers. The list
is a union of index-ordered queries (db/listing.py); this holds it to the
simple definition, ties in created_at included."""

import datetime
import random
import uuid

import pytest

from glance_members import db
from glance_members import records

PROJECTS = ['p-a', 'p-b', 'p-c', 'p-d']
VISIBILITIES = ['public', 'community', 'shared', 'private']
STATUSES = ['queued', 'active', 'active', 'killed', 'deleted',
            'deactivated']
MEMBER_STATUSES = ['pending', 'accepted', 'rejected']
# Few distinct creation times: many ties, which only the id breaks.
TIMES = [datetime.datetime(2025, 1, 1, 0, 0, s) for s in (1, 2, 2, 3)]


@pytest.fixture
def repo_on_each_database(empty_database_url):
    database = db.connect(empty_database_url)
    db.sync(database)
    yield db.make_repository(database)
    if hasattr(database, 'close_all'):
        database.close_all()
    else:
        database.close()


def _world(repo, rng, monkeypatch):
    times = iter(rng.choice(TIMES) for _ in range(1000))
    # Random times while seeding; reads (expiry is checked against the
    # clock) see the last of them.
    last = [max(TIMES)]

    def utcnow():
        last[0] = next(times, last[0])
        return last[0]
    monkeypatch.setattr(records, 'utcnow', utcnow)
    images, members = [], {}
    for n in range(rng.randint(20, 60)):
        image = records.Image(
            id=str(uuid.UUID(int=rng.getrandbits(128))),
            owner=rng.choice(PROJECTS + [None]),
            visibility=rng.choice(VISIBILITIES),
            status=rng.choice(STATUSES), os_hidden=rng.random() < 0.15)
        repo.create_image(image)
        images.append(image)
        for project in rng.sample(PROJECTS, rng.randint(0, 3)):
            repo.add_member(image.id, project, quota=-1)
            status = rng.choice(MEMBER_STATUSES)
            if status != 'pending':
                repo.update_member_status(image.id, project, status)
            if rng.random() < 0.1:
                repo.delete_member(image.id, project)
            else:
                members[image.id, project] = status
    return images, members


def _expected(images, members, project, is_admin, visibility,
              member_status):
    def listable(i):
        if is_admin:
            return True
        if i.visibility in ('public', 'community') or (
                project is not None and i.owner == project):
            return True
        status = members.get((i.id, project))
        return (i.visibility == 'shared' and status is not None and
                member_status in ('all', status))

    def shown(i):
        if i.status in ('killed', 'deleted') or i.os_hidden:
            return False
        if visibility is None:
            return i.visibility != 'community' or (
                project is not None and i.owner == project)
        return visibility == 'all' or i.visibility == visibility

    chosen = [i for i in images if listable(i) and shown(i)]
    chosen.sort(key=lambda i: (i.created_at, i.id), reverse=True)
    return [i.id for i in chosen]


def _walk(repo, project, is_admin, visibility, member_status, limit):
    seen, marker = [], None
    while True:
        query = records.ImageQuery(
            limit=limit, visibility=visibility, member_status=member_status,
            marker=None if marker is None else marker.id,
            column_filters=[('os_hidden', 'eq', False)])
        page = repo.list_images(query, project, is_admin, marker=marker)
        seen.extend(i.id for i in page)
        if len(page) < limit:
            return seen
        marker = page[-1]


@pytest.mark.parametrize('seed', range(4))
def test_list_matches_the_model(repo_on_each_database, seed, monkeypatch):
    repo = repo_on_each_database
    rng = random.Random(seed)
    images, members = _world(repo, rng, monkeypatch)
    for project in PROJECTS + [None]:
        for is_admin in (False, True):
            for visibility in (None, 'all', 'public', 'community',
                               'shared', 'private'):
                for member_status in ('accepted', 'pending', 'all'):
                    expected = _expected(images, members, project, is_admin,
                                         visibility, member_status)
                    for limit in (2, 1000):
                        assert _walk(repo, project, is_admin, visibility,
                                     member_status, limit) == expected, (
                            project, is_admin, visibility, member_status,
                            limit)
