"""Other projects' image tests, unchanged, judge this service: tempest 47's
whole ``tempest.api.image.v2`` and the functional image tests of
python-openstackclient, openstacksdk and python-glanceclient (the versions
of the other client tests), on a real Keystone 30.

Every test that passed against a real Glance 33.0.0 on the same Keystone
with the same configuration (``tests/data/peer_suites_glance33.json``,
recorded by ``python -m tests.integration.record_peer_suites``) must pass
here, except those ``peer_suites.NOT_SERVED`` lists with their reason
(metadata definitions, tasks, interoperable import: not served by the
standalone service); a listed test that passes here fails the run too, so
the list stays true.

One glance-members instance serves all four suites, registered in Keystone
as the image endpoint of region ``PeerRegion``; the suites find it through
the catalog only. Tempest runs first: ``ListSharedImagesTest`` asserts that
the alt project (consumer) has exactly one pending share, so nothing else
may have shared with the consumer in this instance before.
"""

import shutil

import pytest

from tests.support import peer_suites
from tests.support import tempest_runner
from testbed.keystone_service import start_service

REGION = 'PeerRegion'


@pytest.fixture(scope='module')
def peer_service(keystone, tmp_path_factory):
    base = str(tmp_path_factory.mktemp('gm-peer'))
    service = start_service(keystone, base, region=REGION)
    try:
        yield service
    finally:
        service.server.stop()
        shutil.rmtree(service.server.home, ignore_errors=True)
        peer_suites.release_region(keystone, REGION)


@pytest.fixture(scope='module')
def glance33():
    return peer_suites.load_glance33()


@pytest.fixture(scope='module')
def tempest_run(keystone, peer_service, tmp_path_factory):
    path = tmp_path_factory.mktemp('tempest') / 'workspace'
    workspace = tempest_runner.TempestWorkspace(path, keystone,
                                                REGION).setup()
    return workspace.run(peer_suites.TEMPEST_REGEX)


@pytest.fixture(scope='module')
def client_suites(keystone, peer_service, tempest_run, tmp_path_factory):
    # tempest_run first: see the module's docstring.
    peer_suites.prepare_region(keystone, REGION, peer_service.url)
    return peer_suites.ClientSuites(keystone, REGION,
                                    tmp_path_factory.mktemp('clients'))


def _report(capsys, suite, outcomes, glance33, seconds=None):
    with capsys.disabled():
        print('\n%s here %s; on Glance 33 %s%s' % (
            suite, peer_suites.counts(outcomes),
            peer_suites.counts(glance33[suite]),
            '' if seconds is None else ' (%.0f s)' % seconds))


def test_not_served_lists_only_tests_glance33_passes(glance33):
    for suite, listed in peer_suites.NOT_SERVED.items():
        for test_id, reason in listed.items():
            assert glance33[suite].get(test_id, [None])[0] == 'passed', (
                suite, test_id)
            assert reason in (peer_suites.METADEFS, peer_suites.TASKS), (
                suite, test_id)


def test_tempest_image_v2(tempest_run, peer_service, glance33, capsys):
    outcomes = peer_suites.tempest_outcomes(tempest_run)
    _report(capsys, 'tempest', outcomes, glance33, tempest_run.seconds)
    with capsys.disabled():
        print(tempest_run.line)
    assert set(outcomes) == set(glance33['tempest']), tempest_run.line
    assert peer_suites.judge('tempest', outcomes, glance33) == [], (
        str(tempest_run))
    # tempest's own request log: every image API request went to us.
    bases = tempest_run.image_request_bases()
    assert set(bases) == {peer_service.url}, bases
    assert bases[peer_service.url] >= 120, bases
    requests = tempest_run.requests()
    for status, method, path in (
            ('300', 'GET', '/'),
            ('200', 'GET',
             '/v2/images?member_status=pending&visibility=shared'),
            ('200', 'GET', '/v2/schemas/members'),
            ('204', 'PUT', None), ('403', 'PUT', None)):
        assert any(r[0] == status and r[1] == method
                   and r[2] == peer_service.url
                   and (path is None or r[3] == path)
                   for r in requests), (status, method, path)
    # Pre-provisioned accounts: primary producer, alt consumer, and the
    # reader-only producer_reader for the enforce_scope reads.
    allocated = tempest_run.allocations()
    assert set(allocated['ImagesMemberTest']) == {
        'producer', 'consumer', tempest_runner.PRODUCER_READER}, allocated


@pytest.mark.parametrize('suite', sorted(peer_suites.SUITES))
def test_client_functional_image_tests(client_suites, glance33, suite,
                                       capsys):
    outcomes = client_suites.run(suite)
    _report(capsys, suite, outcomes, glance33)
    assert set(outcomes) == set(glance33[suite])
    problems = peer_suites.judge(suite, outcomes, glance33)
    assert problems == [], '\n\n'.join(problems)
