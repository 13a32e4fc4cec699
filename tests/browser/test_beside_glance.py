"""The console's sharing story (tests/browser/test_sharing_story.py, its
very tests) in Chromium against glance-members running beside a real
Glance 33 in each of two regions: the catalog's `image` service is Glance,
its `image-sharing` service glance-members (`glance-members serve` with
[DEFAULT] image_backend = glance, the console inside it). The console
lists and shows images from Glance and writes every membership through
/sharing/v1, which writes it on Glance as the signed-in user.

What the story sets up behind the console's back is made on Glance
directly; the mirror is then refreshed as Glance's notification would
(the notification path has its own tests, on RabbitMQ).
"""

import re
import shutil

import pytest

from glance_members import db
from tests.support import image_api as api
from tests.support import console_pages as console
from tests.support.console_pages import expect
from tests.browser import test_sharing_story as story
from tests.support import beside
from testbed import keystone_service
from tests.support import regions

# The story itself, run here against this module's `cloud`.
test_the_producer_shares_in_both_scenarios = \
    story.test_the_producer_shares_in_both_scenarios
test_own_project_share_is_accepted_at_once = \
    story.test_own_project_share_is_accepted_at_once
test_the_consumer_decides_and_the_producer_sees_it = \
    story.test_the_consumer_decides_and_the_producer_sees_it


class MirroredImageAPI(api.ImageAPI):
    """Glance's API; each membership it writes is then applied to
    glance-members' mirror, as Glance's notification would (an image it
    makes is not: the mirror reads an image it does not know from Glance
    when first asked for it)."""

    def __init__(self, url, token, mirror):
        super().__init__(url, token)
        self.mirror = mirror

    def add_member(self, image_id, member_id):
        found = super().add_member(image_id, member_id)
        self.mirror.refresh(image_id)
        return found

    def set_status(self, image_id, member_id, status):
        found = super().set_status(image_id, member_id, status)
        self.mirror.refresh(image_id)
        return found


class BesideRegions(regions.Regions):
    """Regions whose /v2 is a Glance's and whose console and /sharing/v1
    are glance-members' beside it."""

    def __init__(self, keystone, services, projects, glances, mirrors):
        super().__init__(keystone, services, projects)
        self.glances = glances
        self.mirrors = mirrors

    def image_api(self, user, region, project=None):
        return MirroredImageAPI(self.glances[region].url,
                                self.token(user, project),
                                self.mirrors[region])


@pytest.fixture(scope='module')
def cloud(keystone, beside_glances, tmp_path_factory):
    projects = regions.ensure_ops_identity(keystone)
    base = tmp_path_factory.mktemp('beside-regions')
    glances, services, mirrors = beside_glances, {}, {}
    catalog = beside.Catalog(keystone)
    try:
        for region in regions.REGIONS:
            database = 'sqlite:///%s' % (base / ('mirror-%s.sqlite'
                                                 % region))
            schema = db.connect(database)
            db.create_schema(schema)
            schema.close()
            services[region] = keystone_service.start_service(
                keystone, str(base / region), region=region, register=False,
                extra=regions.CONFIG + beside.extra_config(
                    keystone, glances[region].url, database))
            mirrors[region] = beside.mirror_of(services[region].config_path)
        catalog.take({r: g.url for r, g in glances.items()},
                     {r: s.url for r, s in services.items()})
        yield BesideRegions(keystone, services, projects, glances, mirrors)
    finally:
        try:
            catalog.restore()
        finally:
            for service in services.values():
                service.server.stop()
                shutil.rmtree(service.server.home, ignore_errors=True)
            for mirror in mirrors.values():
                mirror.store.database.close()


def test_batch_trust_leave_and_history_pages(cloud, new_page):
    """The extension's pages beside Glance (the `outsider` project as the
    consumer: the story counts the notices of the others): each write is
    on Glance at once, made as the user; Leave says why Glance refuses
    it."""
    one = story.ONE
    producer_api = cloud.image_api('producer', one)
    outsider = cloud.project_id('outsider')
    ids = [producer_api.create_image('beside-batch-%d' % n)
           for n in range(2)]

    page = story.sign_in(new_page, cloud, 'producer')
    page.get_by_role('link', name='Share in batch').click()
    images = page.get_by_role('group', name='Images')
    for n in range(2):
        images.get_by_label('beside-batch-%d' % n).check()
    page.get_by_label('Project IDs (one per line)').fill(outsider)
    page.get_by_role('button', name='Share', exact=True).click()
    expect(console.flash(page)).to_contain_text('Done: 2')
    for image_id in ids:
        assert producer_api.members(image_id) == {outsider: 'pending'}

    other = story.sign_in(new_page, cloud, 'outsider')
    other.get_by_role('link', name='Trusted producers').click()
    other.get_by_label('Project ID').fill(cloud.project_id('producer'))
    other.get_by_label('Also accept the images it already shared with you') \
        .check()
    other.get_by_role('button', name='Trust producer').click()
    # These two, and any the story left pending for this project.
    expect(console.flash(other)).to_contain_text(re.compile(
        r'; \d+ pending shares were accepted'))
    for image_id in ids:
        assert producer_api.members(image_id) == {outsider: 'accepted'}
    other.get_by_role('button', name='Remove trust in %s'
                      % cloud.project_id('producer')).click()
    expect(console.flash(other)).to_contain_text('will wait for your '
                                                 'decision again')

    console.goto_image(other, story.console_url(cloud), one, ids[0])
    other.get_by_role('button', name='Leave').click()
    expect(other.get_by_role('alert')).to_contain_text(
        'reject the share instead')
    assert producer_api.members(ids[0]) == {outsider: 'accepted'}

    console.goto_image(page, story.console_url(cloud), one, ids[0])
    page.get_by_role('link', name='Sharing history of this image').click()
    history = page.get_by_role('table', name=re.compile('newest first'))
    expect(history.get_by_role('row').filter(has_text=outsider)) \
        .to_have_count(2)  # shared, accepted on trust

    page.get_by_role('link', name='Share in batch').click()
    images = page.get_by_role('group', name='Images')
    for n in range(2):
        images.get_by_label('beside-batch-%d' % n).check()
    page.get_by_label('Project IDs (one per line)').fill(outsider)
    page.get_by_role('button', name='Revoke').click()
    expect(console.flash(page)).to_contain_text('Done: 2')
    for image_id in ids:
        assert producer_api.members(image_id) == {}
