"""Fixtures for unit tests of the sharing rules: no Flask, no mocks.

A real Authorizer (oslo.policy with Glance 33's defaults) and a real
Repository over an in-memory SQLite database, fresh for every test.
"""

import datetime
import uuid

import pytest

from glance_members import conf as gm_conf
from glance_members import context
from glance_members import db
from glance_members import policy
from glance_members import records
from glance_members.sharing import members
from testbed import personas

OWNER = personas.PRODUCER_PROJECT
CONSUMER = personas.CONSUMER_PROJECT
CONSUMER2 = personas.CONSUMER2_PROJECT
OUTSIDER = personas.OUTSIDER_PROJECT
ADMIN_PROJECT = personas.ADMIN_PROJECT

MEMBER_ROLES = ('member', 'reader')
ADMIN_ROLES = ('admin', 'member', 'reader')
SHARE_QUOTAS = records.Quotas(members=128, properties=128, tags=128)


@pytest.fixture
def conf():
    return gm_conf.new_conf()


@pytest.fixture
def authz(conf):
    return policy.Authorizer(conf)


@pytest.fixture
def repo():
    database = db.connect('sqlite://')
    db.create_schema(database)
    yield db.make_repository(database)
    database.close()


@pytest.fixture
def make_ctx(authz):
    """make_ctx(project, roles=..., system=False) -> RequestContext with
    is_admin decided by the policy, as the service does."""
    def _make(project_id=None, roles=MEMBER_ROLES, system=False,
              user_id=None):
        kwargs = dict(user_id=user_id or 'u-%s' % (project_id or 'system'),
                      roles=list(roles))
        if system:
            kwargs['system_scope'] = 'all'
        else:
            kwargs['project_id'] = project_id
        ctx = context.RequestContext(**kwargs)
        ctx.is_admin = authz.is_admin(ctx)
        return ctx
    return _make


@pytest.fixture
def owner(make_ctx):
    return make_ctx(OWNER)


@pytest.fixture
def owner_reader(make_ctx):
    return make_ctx(OWNER, roles=('reader',))


@pytest.fixture
def consumer(make_ctx):
    return make_ctx(CONSUMER)


@pytest.fixture
def consumer_reader(make_ctx):
    return make_ctx(CONSUMER, roles=('reader',))


@pytest.fixture
def consumer2(make_ctx):
    return make_ctx(CONSUMER2)


@pytest.fixture
def outsider(make_ctx):
    return make_ctx(OUTSIDER)


@pytest.fixture
def admin(make_ctx):
    return make_ctx(ADMIN_PROJECT, roles=ADMIN_ROLES)


@pytest.fixture
def system_admin(make_ctx):
    return make_ctx(roles=ADMIN_ROLES, system=True)


@pytest.fixture
def make_image(repo):
    """make_image(owner=OWNER, visibility='shared', **attrs) -> stored
    records.Image."""
    def _make(owner=OWNER, visibility='shared', **attrs):
        image = records.Image(id=str(uuid.uuid4()), owner=owner,
                              visibility=visibility, **attrs)
        return repo.create_image(image)
    return _make


@pytest.fixture
def shared(make_image):
    """A shared image of the owner, no member yet."""
    return make_image()


@pytest.fixture
def share(authz, repo, owner):
    """share(image, member_id, status='pending'): add as the owner and,
    unless pending, set the status as that consumer would."""
    def _share(image, member_id=CONSUMER, status='pending'):
        members.add_member(owner, authz, repo, image.id, member_id,
                           SHARE_QUOTAS)
        if status != 'pending':
            ctx = context.RequestContext(user_id='u', project_id=member_id,
                                         roles=['member', 'reader'])
            members.update_member(ctx, authz, repo, image.id, member_id,
                                  status)
        return repo.get_member(image.id, member_id)
    return _share


@pytest.fixture
def clock(monkeypatch):
    """A controllable records.utcnow(): clock.tick(seconds) moves it."""
    class Clock:
        now = datetime.datetime(2024, 1, 1, 12, 0, 0)

        def __call__(self):
            return self.now

        def tick(self, seconds=60):
            self.now += datetime.timedelta(seconds=seconds)
            return self.now

    c = Clock()
    monkeypatch.setattr(records, 'utcnow', c)
    return c
