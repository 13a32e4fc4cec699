"""tempest 47.0.0, unchanged, against glance-members behind a real Keystone.

Selected (``tempest_runner.REGEX``): every image v2 test whose id matches
``^tempest\\.api\\.image\\.v2\\..*([Mm]ember|[Ss]har(e|ing))`` (9 tests, the
ones real Glance 33 passes), the versions test and the image/images schema
tests: 12 tests, all must pass, none may be skipped.

tempest gets an instance of its own (own database), registered in Keystone
as the image endpoint of region ``TempestRegion``, and finds it through the
catalog only (``[image] region``).  Its own database because
``ListSharedImagesTest`` asserts that the alt project (consumer) has exactly
ONE pending shared image: shares left by the stock-client tests in RegionOne's
instance must not leak in.
"""

import re
import shutil

import pytest

from tests.integration import tempest_runner
from tests.support.keystone_service import start_service

REGION = 'TempestRegion'

EXPECTED = sorted([
    'tempest.api.image.v2.test_images.ListSharedImagesTest.'
    'test_list_images_param_member_status',
    'tempest.api.image.v2.test_images.ListUserImagesTest.'
    'test_get_image_schema',
    'tempest.api.image.v2.test_images.ListUserImagesTest.'
    'test_get_images_schema',
    'tempest.api.image.v2.test_images_member.ImagesMemberTest.'
    'test_get_image_member',
    'tempest.api.image.v2.test_images_member.ImagesMemberTest.'
    'test_get_image_member_schema',
    'tempest.api.image.v2.test_images_member.ImagesMemberTest.'
    'test_get_image_members_schema',
    'tempest.api.image.v2.test_images_member.ImagesMemberTest.'
    'test_image_share_accept',
    'tempest.api.image.v2.test_images_member.ImagesMemberTest.'
    'test_image_share_reject',
    'tempest.api.image.v2.test_images_member.ImagesMemberTest.'
    'test_remove_image_member',
    'tempest.api.image.v2.test_images_member_negative.'
    'ImagesMemberNegativeTest.test_image_share_invalid_status',
    'tempest.api.image.v2.test_images_member_negative.'
    'ImagesMemberNegativeTest.test_image_share_owner_cannot_accept',
    'tempest.api.image.v2.test_versions.VersionsTest.test_list_versions',
])
MEMBER_SHARING = [t for t in EXPECTED
                  if re.match(tempest_runner.MEMBER_REGEX, t)]


@pytest.fixture(scope='module')
def tempest_service(keystone, tmp_path_factory):
    base = str(tmp_path_factory.mktemp('gm-tempest'))
    service = start_service(keystone, base, region=REGION)
    try:
        yield service
    finally:
        service.server.stop()
        shutil.rmtree(service.server.home, ignore_errors=True)


@pytest.fixture(scope='module')
def workspace(keystone, tempest_service, tmp_path_factory):
    path = tmp_path_factory.mktemp('tempest') / 'workspace'
    return tempest_runner.TempestWorkspace(path, keystone, REGION).setup()


def _bare(test_id):
    return test_id.split('[', 1)[0]


def test_catalog_resolves_the_tempest_region(
        keystone, tempest_service, workspace):
    token = keystone.token('producer')
    assert token.endpoints('image', 'public', REGION) == [tempest_service.url]
    reader = tempest_runner.issue_token(
        keystone.url, tempest_runner.PRODUCER_READER,
        tempest_runner.ids_mod.PASSWORD, 'producer')
    assert reader.roles == ['reader']
    assert reader.project_id == token.project_id


def test_selection(workspace):
    assert len(MEMBER_SHARING) == 9
    assert [_bare(t) for t in workspace.list_tests()] == EXPECTED


def test_tempest_image_sharing(workspace, tempest_service, capsys):
    run = workspace.run()
    with capsys.disabled():
        print('\n%s (%.0f s; log %s)' % (run.line, run.seconds,
                                         workspace.log_path))
    assert (run.passed, run.failed, run.skipped) == (len(EXPECTED), 0, 0), (
        str(run))
    assert run.rc == 0, str(run)
    assert {_bare(t): o for t, o in run.outcomes.items()} == {
        t: 'ok' for t in EXPECTED}, str(run)

    # tempest's own request log: every image API request went to us.
    bases = run.image_request_bases()
    assert set(bases) == {tempest_service.url}, bases
    assert bases[tempest_service.url] >= 40, bases
    requests = run.requests()
    for status, method, base, path in (
            ('300', 'GET', tempest_service.url, '/'),
            ('200', 'GET', tempest_service.url,
             '/v2/images?member_status=pending&visibility=shared'),
            ('200', 'GET', tempest_service.url, '/v2/schemas/members'),
            ('403', 'PUT', None, None),
            ('204', 'PUT', None, None)):
        assert any(r[0] == status and r[1] == method
                   and (base is None or r[2] == base)
                   and (path is None or r[3] == path)
                   for r in requests), (status, method, path)

    # Pre-provisioned accounts: primary producer, alt consumer, and the
    # reader-only producer_reader for the enforce_scope reads.
    allocated = run.allocations()
    assert set(allocated['ImagesMemberTest']) == {
        'producer', 'consumer', tempest_runner.PRODUCER_READER}, allocated
    assert set(allocated['ListSharedImagesTest']) == {
        'producer', 'consumer'}, allocated
