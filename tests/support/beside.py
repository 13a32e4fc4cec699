"""glance-members beside a real Glance 33, on the session's Keystone.

A pytest plugin (tests/conftest.py registers it): `beside_glances` is one
Glance 33 per region (RegionOne, RegionTwo) for the whole session, shared
by every suite of this mode (each makes images of its own), each with a
low member quota of its own, so that a test can make Glance refuse one
pair of a batch. `extra_config` is what makes a glance-members config this
mode, as the README's "Beside an existing Glance" section writes it:
[DEFAULT] image_backend = glance, [auth] backend = keystone and the
service identity in [glance]. `Personas` gives a real Keystone token for
each persona of the functional suite's role-by-route tables that Keystone
can hold. `Catalog` makes Glance the `image` service and glance-members
the `image-sharing` service of the catalog for as long as a module needs
it, and puts back what was there.
"""

import pytest

from glance_members import conf as gm_conf
from glance_members import db
from glance_members.db import mirror as db_mirror
from glance_members.glance import client as glance_client
from glance_members.glance import mirror as glance_mirror
from testbed.stack import identities
from testbed import glance33
from testbed import keystone_service
from testbed import processes
from tests.support import regions

# Glance refuses the 6th member of an image (ours allows 128).
GLANCE_MEMBER_QUOTA = 5
SHARING_SERVICE = 'image-sharing'

# The part of the config that makes the mode (after keystone_service's
# [keystone_authtoken] section).
BESIDE_CONFIG = """
[DEFAULT]
image_backend = glance

[database]
connection = {database}

[glance]
auth_type = password
auth_url = {keystone}
username = {service_user}
password = {service_password}
project_name = service
user_domain_name = Default
project_domain_name = Default
endpoint_override = {glance_url}
"""


def start_glance(keystone, workdir, member_quota=GLANCE_MEMBER_QUOTA):
    try:
        venv = glance33.ensure_venv()
    except Exception as e:  # noqa: BLE001 - no PyPI here: fails under CI
        processes.unavailable('Glance 33.0.0', str(e))
    return glance33.GlanceServer(workdir, keystone, venv,
                                 member_quota=member_quota).start()


@pytest.fixture(scope='session')
def beside_glances(keystone, tmp_path_factory):
    """{region: a running glance33.GlanceServer}."""
    glances = {}
    try:
        for region in regions.REGIONS:
            glances[region] = start_glance(
                keystone, tmp_path_factory.mktemp('glance-' + region))
        yield glances
    finally:
        for glance in glances.values():
            glance.stop()


def extra_config(keystone, glance_url, database):
    service = keystone.identities['service_user']
    return BESIDE_CONFIG.format(
        database=database, keystone=keystone.base_url,
        service_user=service, service_password=keystone.password(service),
        glance_url=glance_url)


def write_config(path, data_dir, keystone, glance_url, database, port=None):
    """A glance-members config beside `glance_url`, its mirror in
    `database` (schema made); the path."""
    keystone_service.write_config(
        path, data_dir, port or processes.free_port(), keystone,
        extra=extra_config(keystone, glance_url, database))
    database_obj = db.connect(database)
    db.create_schema(database_obj)
    database_obj.close()
    return path


def mirror_of(config_path):
    """The in-process Mirror of a config (what the notification listener
    runs): tests call refresh(image_id) where a notification would."""
    conf = gm_conf.new_conf(config_file=config_path)
    repo = db.make_repository(db.connect(gm_conf.database_url(conf)))
    return glance_mirror.Mirror(glance_client.GlanceClient.from_conf(conf),
                                db_mirror.MirrorStore(repo))


class Personas:
    """Keystone tokens for the persona names of the role-by-route tables
    (tests/functional/test_sharing_v1.py). `member_only` cannot exist in
    Keystone, whose `member` role implies `reader`."""

    USERS = ('producer', 'consumer', 'consumer_colleague',
             'consumer_reader', 'consumer2', 'outsider')
    PRODUCER_READER = 'producer_reader'

    def __init__(self, keystone):
        self.keystone = keystone
        self._tokens = {}
        admin = identities.KeystoneAdmin(keystone.admin_token())
        try:
            role_ids, _, _ = identities.ensure_roles(admin)
            project = keystone.identities['projects']['producer']
            user = identities.ensure_user(admin, self.PRODUCER_READER,
                                          identities.PASSWORD, project)
            identities.ensure_grants(admin, user, project, ['reader'],
                                     role_ids)
        finally:
            admin.close()

    def names(self):
        return self.USERS + (self.PRODUCER_READER, 'admin', 'system_admin')

    def project_id(self, name):
        return self.keystone.identities['credentials'][name]['project_id']

    def token(self, name):
        if name not in self._tokens:
            url = self.keystone.url
            if name == 'admin':
                token = self.keystone.admin_token()
            elif name == 'system_admin':
                token = identities.issue_token(
                    url, 'admin', identities.ADMIN['password'], system=True)
            elif name == self.PRODUCER_READER:
                token = identities.issue_token(url, name, identities.PASSWORD,
                                               'producer')
            else:
                token = self.keystone.token(name)
            self._tokens[name] = token
        return self._tokens[name]


class Catalog:
    """Glance as the catalog's `image` service (the only image endpoints
    meanwhile: regions.CatalogLease) and glance-members as its
    `image-sharing` service, region by region, until restore()."""

    def __init__(self, keystone):
        self.keystone = keystone
        self.lease = regions.CatalogLease(keystone)
        self.created = []

    def take(self, glance_urls, sharing_urls):
        """{region: Glance's URL}, {region: glance-members' URL}."""
        self.lease.take(glance_urls)
        admin = identities.KeystoneAdmin(self.keystone.admin_token())
        try:
            services = admin.find('services', type=SHARING_SERVICE)
            service = services[0] if services else admin.post(
                '/services', {'service': {
                    'type': SHARING_SERVICE, 'name': 'glance-members',
                    'enabled': True}})['service']
            for old in admin.find('endpoints', service_id=service['id']):
                admin.call('DELETE', '/endpoints/' + old['id'],
                           expect=(204, 404))
            for region, url in sharing_urls.items():
                for interface in identities.INTERFACES:
                    self.created.append(admin.post('/endpoints', {
                        'endpoint': {
                            'service_id': service['id'],
                            'interface': interface, 'url': url,
                            'region_id': region, 'enabled': True}})[
                        'endpoint']['id'])
        finally:
            admin.close()
        return self

    def restore(self):
        admin = identities.KeystoneAdmin(self.keystone.admin_token())
        try:
            for endpoint_id in self.created:
                admin.call('DELETE', '/endpoints/' + endpoint_id,
                           expect=(204, 404))
        finally:
            admin.close()
        self.lease.restore()
