"""Debian packages the tests need (PostgreSQL, RabbitMQ, memcached,
qemu-utils), installed with apt-get when missing and we are root."""

import os
import shutil
import subprocess


class Unavailable(Exception):
    """A package the test needs cannot be had here."""


def install(*packages):
    """apt-get install `packages`, non-interactive: straight away, then
    after an `apt-get update` if the lists were stale."""
    named = ' '.join(packages)
    if os.geteuid() != 0:
        raise Unavailable('%s missing and we are not root: apt-get install '
                          '%s' % (named, named))
    if not shutil.which('apt-get'):
        raise Unavailable('%s missing and there is no apt-get' % named)
    env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
    install_cmd = ['apt-get', 'install', '-y', '-q'] + list(packages)
    for cmds in ([install_cmd], [['apt-get', 'update', '-q'], install_cmd]):
        for cmd in cmds:
            proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
            if proc.returncode != 0:
                break
        else:
            return
    raise Unavailable('%s failed (%d):\n%s' % (
        ' '.join(cmd), proc.returncode, proc.stdout[-3000:]))
