"""The keystone backend's per-process identity cache, on a fake clock."""

import threading

from glance_members.auth import keystone

NOW = 1_700_000_000.0
HOUR = 3600.0
MARGIN = keystone.EXPIRY_MARGIN
IDENTITY = {'HTTP_X_IDENTITY_STATUS': 'Confirmed', 'HTTP_X_PROJECT_ID': 'p'}


class Clock:
    def __init__(self, now=NOW):
        self.now = now

    def __call__(self):
        return self.now


def _cache(cache_time=300, size=16):
    clock = Clock()
    return keystone.IdentityCache(cache_time, size=size, clock=clock), clock


def test_an_entry_lasts_token_cache_time_after_the_validation():
    cache, clock = _cache()
    clock.now = NOW + 10
    cache.put(b'k', IDENTITY, NOW, NOW + HOUR)
    clock.now = NOW + 299.9
    assert cache.get(b'k') == IDENTITY
    clock.now = NOW + 300
    assert cache.get(b'k') is None
    # Expired entries are dropped, not kept for a clock going backwards.
    clock.now = NOW + 10
    assert cache.get(b'k') is None


def test_an_entry_ends_before_its_token_expires():
    cache, clock = _cache(cache_time=86400)
    expires = NOW + 60
    assert cache.deadline(NOW, expires) == expires - MARGIN
    cache.put(b'k', IDENTITY, NOW, expires)
    clock.now = expires - MARGIN - 0.1
    assert cache.get(b'k') == IDENTITY
    clock.now = expires - MARGIN
    assert cache.get(b'k') is None
    clock.now = expires + 1
    assert cache.get(b'k') is None


def test_a_token_about_to_expire_is_not_kept():
    cache, clock = _cache()
    cache.put(b'k', IDENTITY, NOW, NOW + MARGIN)
    assert cache.get(b'k') is None
    cache.put(b'k', IDENTITY, NOW, NOW - 1)
    assert cache.get(b'k') is None


def test_an_old_validation_keeps_only_what_is_left_of_its_time():
    # auth_token's cache (or memcached) answered with a validation made
    # 250 s ago: auth_token would ask Keystone again 50 s from now.
    cache, clock = _cache()
    cache.put(b'k', IDENTITY, NOW - 250, NOW + HOUR)
    assert cache.deadline(NOW - 250, NOW + HOUR) == NOW + 50
    clock.now = NOW + 49
    assert cache.get(b'k') == IDENTITY
    clock.now = NOW + 50
    assert cache.get(b'k') is None
    cache.put(b'k', IDENTITY, NOW - 300, NOW + HOUR)
    assert cache.get(b'k') is None


def test_a_validation_stamped_in_the_future_counts_from_now():
    # Another host's clock ahead of ours must not lengthen the entry.
    cache, clock = _cache()
    assert cache.deadline(NOW + 1000, NOW + HOUR) == NOW + 300


def test_no_entries_when_auth_token_caching_is_off():
    for cache_time in (-1, 0):
        cache, clock = _cache(cache_time=cache_time)
        cache.put(b'k', IDENTITY, NOW, NOW + HOUR)
        assert cache.get(b'k') is None


def test_the_least_recently_used_entry_goes_first():
    cache, clock = _cache(size=2)
    cache.put(b'a', {'a': 1}, NOW, NOW + HOUR)
    cache.put(b'b', {'b': 1}, NOW, NOW + HOUR)
    assert cache.get(b'a') == {'a': 1}
    cache.put(b'c', {'c': 1}, NOW, NOW + HOUR)
    assert cache.get(b'b') is None
    assert cache.get(b'a') == {'a': 1}
    assert cache.get(b'c') == {'c': 1}


def test_concurrent_use_stays_within_its_size():
    cache, clock = _cache(size=50)

    def work(n):
        for i in range(2000):
            key = b'%d-%d' % (n, i % 100)
            cache.put(key, IDENTITY, NOW, NOW + HOUR)
            cache.get(key)
    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache._entries) == 50


def test_the_headers_stripped_are_auth_tokens_own():
    # A client may not send any identity header auth_token would strip,
    # service ones included; the system scope it overwrites is remembered.
    for name in ('HTTP_X_IDENTITY_STATUS', 'HTTP_X_PROJECT_ID',
                 'HTTP_X_TENANT_ID', 'HTTP_X_ROLES', 'HTTP_X_ROLE',
                 'HTTP_X_IS_ADMIN_PROJECT', 'HTTP_X_SERVICE_CATALOG',
                 'HTTP_X_SERVICE_IDENTITY_STATUS', 'HTTP_X_SERVICE_ROLES',
                 'HTTP_X_USER_ID', 'HTTP_X_DOMAIN_ID'):
        assert name in keystone.STRIPPED
    assert set(keystone.IDENTITY) - set(keystone.STRIPPED) == {
        'HTTP_OPENSTACK_SYSTEM_SCOPE'}
