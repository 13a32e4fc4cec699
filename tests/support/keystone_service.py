"""The `gm_keystone` fixture: glance-members on the keystone backend,
registered as the `image` endpoint of RegionOne in the test Keystone
(testbed/keystone_service.py); one per test session."""

import shutil

import pytest

from testbed.keystone_service import start_service


@pytest.fixture(scope='session')
def gm_keystone(keystone, tmp_path_factory):
    base = str(tmp_path_factory.mktemp('gm-keystone'))
    service = start_service(keystone, base)
    try:
        yield service
    finally:
        service.server.stop()
        shutil.rmtree(service.server.home, ignore_errors=True)
