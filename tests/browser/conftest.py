"""The servers the console's browser tests run against, one of each per
session: the embedded default as a newcomer starts it (the tokens it
prints), the same with `[sharing] enabled = false` (an endpoint serving
only the stock API), and two regions against a real Keystone
(tests/support/regions.py, a plugin of tests/conftest.py).

Every test makes identities of its own on the embedded servers
(Embedded.persona: a fresh project each), so the tests share servers
without seeing each other's images or shares.
"""

import pytest

from tests.support import embedded as embedded_server


@pytest.fixture(scope='session')
def embedded(tmp_path_factory):
    """The embedded default, sharing extension on."""
    with embedded_server.serve(tmp_path_factory.mktemp('embedded')) as up:
        yield up


@pytest.fixture(scope='session')
def embedded_stock(tmp_path_factory):
    """The embedded default serving the stock API only."""
    with embedded_server.serve(tmp_path_factory.mktemp('embedded-stock'),
                               config='[sharing]\nenabled = false\n') as up:
        yield up
