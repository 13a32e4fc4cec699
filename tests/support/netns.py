"""A network namespace of the test's own whose loopback has a real link's
MTU (1,500: TCP segments of 1,448 bytes, not loopback's 64 KiB), made with
iproute2 and removed afterwards. Processes run in it through
`ip netns exec`; they talk to 127.0.0.1 inside it, nothing else.

`netns` (fixture) skips, with the reason, where the machine forbids
namespaces (not root, no iproute2, no CAP_SYS_ADMIN).
"""

import os
import shutil
import subprocess
import uuid

import pytest

MTU = 1500


class Namespace:

    def __init__(self):
        self.name = 'gm-%s' % uuid.uuid4().hex[:10]

    def create(self):
        subprocess.run(['ip', 'netns', 'add', self.name], check=True,
                       capture_output=True, timeout=30)
        try:
            subprocess.run(['ip', '-n', self.name, 'link', 'set', 'lo', 'mtu',
                            str(MTU), 'up'], check=True, capture_output=True,
                           timeout=30)
        except subprocess.CalledProcessError:
            self.remove()
            raise
        return self

    def argv(self, argv):
        """`argv` run inside the namespace."""
        return ['ip', 'netns', 'exec', self.name] + list(argv)

    def mtu(self):
        out = subprocess.run(['ip', '-n', self.name, '-o', 'link', 'show',
                              'lo'], check=True, capture_output=True,
                             text=True, timeout=30).stdout
        return int(out.split(' mtu ')[1].split()[0])

    def remove(self):
        subprocess.run(['ip', 'netns', 'del', self.name],
                       capture_output=True, timeout=30)


def unavailable():
    """Why namespaces cannot be made here, or None."""
    if shutil.which('ip') is None:
        return 'iproute2 (ip) is not installed'
    if os.geteuid() != 0:
        return 'network namespaces need root'
    probe = Namespace()
    try:
        probe.create()
    except subprocess.CalledProcessError as e:
        return 'ip netns add failed: %s' % (e.stderr or b'').decode().strip()
    probe.remove()
    return None


@pytest.fixture(scope='session')
def netns():
    reason = unavailable()
    if reason:
        print('\nnetwork namespace tests skipped: %s' % reason)
        pytest.skip(reason)
    namespace = Namespace().create()
    try:
        yield namespace
    finally:
        namespace.remove()
