"""pytest fixture: two regions of glance-members in a real Keystone's
catalog (``two_regions``), each with its own database, both serving the API
and the console, with the recipient check on ([sharing] verify_members).

A pytest plugin (tests/conftest.py registers it). The session's Keystone
is shared with other suites, whose fixtures register image endpoints of
their own (some left behind, pointing at stopped servers): for as long as
the fixture lives, the catalog's image endpoints are exactly these two
regions', and what was there before is put back at teardown.

It also makes sure of one more identity (idempotent, nothing else
touched): ``console_ops``, a member of two projects, ``console-test`` and
``console-prod`` (the seed's department that has the credentials of both
accounts: sharing to a project one can act for is accepted at once).
"""

import contextlib
import shutil

import pytest

from testbed.stack import identities
from testbed import keystone_service
from tests.support import image_api as api

REGIONS = ('RegionOne', 'RegionTwo')
# The recipient check on, as a careful operator runs it: a member id that
# is no project of Keystone's is refused before anything is written.
CONFIG = '''
[sharing]
verify_members = true
'''
OPS_USER = 'console_ops'
OPS_PROJECTS = ('console-test', 'console-prod')


class Regions:
    """What ``two_regions`` yields: ``.keystone``, ``.services``
    ({region: KeystoneService}), ``.url(region)``, ``.project_id(name)``,
    ``.password(user)``."""

    def __init__(self, keystone, services, projects):
        self.keystone = keystone
        self.services = services
        self.projects = projects

    def url(self, region):
        return self.services[region].url

    def project_id(self, name):
        return self.projects.get(name) or \
            self.keystone.identities['projects'][name]

    def password(self, user):
        if user == OPS_USER:
            return identities.PASSWORD
        return self.keystone.password(user)

    def image_api(self, user, region, project=None):
        """The region's image API (/v2) as `user` (tests.browser.api)."""
        return api.ImageAPI(self.url(region), self.token(user, project))

    def token(self, user, project=None):
        """A project-scoped token of `user` (default: their own project)."""
        if user == OPS_USER:
            return identities.issue_token(self.keystone.url, user,
                                          identities.PASSWORD,
                                          project or OPS_PROJECTS[0])
        return self.keystone.token(user, project)

    @contextlib.contextmanager
    def extra_region(self, region, url):
        """`region` in the catalog, its image endpoint at `url`, for the
        block (tokens issued meanwhile carry it)."""
        registered = identities.register_image_endpoint(
            self.keystone.admin_token(), url, region)
        try:
            yield
        finally:
            admin = identities.KeystoneAdmin(self.keystone.admin_token())
            try:
                for ep_id in registered['endpoints'].values():
                    admin.call('DELETE', '/endpoints/' + ep_id,
                               expect=(204, 404))
            finally:
                admin.close()


def ensure_ops_identity(keystone):
    """console_ops, member of console-test and console-prod; their ids."""
    admin = identities.KeystoneAdmin(keystone.admin_token())
    try:
        role_ids, _, _ = identities.ensure_roles(admin)
        projects = {name: identities.ensure_project(
            admin, name, 'glance-members console tests')
            for name in OPS_PROJECTS}
        user = identities.ensure_user(admin, OPS_USER, identities.PASSWORD,
                                      projects[OPS_PROJECTS[0]])
        for project_id in projects.values():
            identities.ensure_grants(admin, user, project_id, ['member'],
                                     role_ids)
    finally:
        admin.close()
    return projects


class CatalogLease:
    """Image endpoints of exactly `urls` ({region: url}) in the catalog
    until restore(): other image endpoints are disabled meanwhile, theirs
    re-pointed or removed after."""

    def __init__(self, keystone):
        self.keystone = keystone
        self.saved = []      # endpoints as they were
        self.created = []    # ids of endpoints we added

    def _admin(self):
        return identities.KeystoneAdmin(self.keystone.admin_token())

    def take(self, urls):
        admin = self._admin()
        try:
            services = admin.find('services', type='image')
            before = [ep for service in services for ep in admin.find(
                'endpoints', service_id=service['id'])]
            self.saved = before
            before_ids = {ep['id'] for ep in before}
            for region, url in urls.items():
                registered = identities.register_image_endpoint(
                    self.keystone.admin_token(), url, region)
                self.created.extend(
                    ep_id for ep_id in registered['endpoints'].values()
                    if ep_id not in before_ids)
            for ep in before:
                if ep['region_id'] not in urls and ep.get('enabled', True):
                    admin.patch('/endpoints/' + ep['id'],
                                {'endpoint': {'enabled': False}})
        finally:
            admin.close()

    def restore(self):
        admin = self._admin()
        try:
            for ep_id in self.created:
                admin.call('DELETE', '/endpoints/' + ep_id,
                           expect=(204, 404))
            for ep in self.saved:
                admin.patch('/endpoints/' + ep['id'], {'endpoint': {
                    'url': ep['url'], 'enabled': ep.get('enabled', True)}})
        finally:
            admin.close()


def start_regions(keystone, base_dir, extra=CONFIG):
    """A glance-members per region on `keystone` (not yet in its catalog);
    {region: KeystoneService}. `extra` ends each config file."""
    services = {}
    try:
        for region in REGIONS:
            base = base_dir / region
            base.mkdir()
            services[region] = keystone_service.start_service(
                keystone, str(base), workers=1, extra=extra, region=region,
                register=False)
    except BaseException:
        stop_regions(services)
        raise
    return services


def stop_regions(services):
    for service in services.values():
        service.server.stop()
        shutil.rmtree(service.server.home, ignore_errors=True)


@pytest.fixture(scope='module')
def two_regions(keystone, tmp_path_factory):
    """RegionOne and RegionTwo of glance-members (the recipient check on),
    the only image endpoints of the Keystone catalog while the fixture
    lives (a module: the catalog is the other suites' again after it)."""
    projects = ensure_ops_identity(keystone)
    services = start_regions(keystone, tmp_path_factory.mktemp('regions'))
    lease = CatalogLease(keystone)
    try:
        lease.take({region: service.url
                    for region, service in services.items()})
        yield Regions(keystone, services, projects)
    finally:
        try:
            lease.restore()
        finally:
            stop_regions(services)
