"""What GET /v2/info/stores/detail shows of an RBD store: its cluster id,
read from the store's URL prefix as Glance 33 reads it."""

import pytest

from glance_members import store


@pytest.mark.parametrize('url_prefix,fsid', [
    ('rbd://0f1e2d3c/images/', '0f1e2d3c'),
    ('rbd://0f1e2d3c/images', '0f1e2d3c'),
    ('rbd://', None),
    ('rbd://0f1e2d3c/', None),           # no pool
    ('rbd://a/b/c/', None),              # a layout the driver never writes
    ('file:///var/lib', None),
    (None, None),
])
def test_rbd_fsid(url_prefix, fsid):
    assert store._rbd_fsid(url_prefix) == fsid
