"""Free ports and the process groups we start (servers started with
`start_new_session=True` lead a group of their own: the arbiter and its
workers stop together)."""

import os
import pwd
import signal
import socket
import subprocess


def free_port(host='127.0.0.1'):
    """A TCP port nothing listens on right now (the kernel's pick)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def signal_group(process, signum):
    """Send `signum` to the group `process` leads; False if it is gone."""
    try:
        os.killpg(process.pid, signum)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def stop_group(process, timeout=15):
    """SIGTERM the group `process` leads, SIGKILL it if the leader has not
    exited within `timeout` seconds; reaps the leader."""
    if process is None or process.poll() is not None:
        return
    signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process, timeout)


def kill_group(process, timeout=15):
    """SIGKILL the group `process` leads and reap the leader."""
    signal_group(process, signal.SIGKILL)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        pass


def unavailable(service, reason):
    """A service the test needs (PostgreSQL, RabbitMQ) cannot be started
    here: fail under CI, skip elsewhere."""
    import pytest  # only tests call this; benchmarks run without pytest
    if os.environ.get('CI'):
        pytest.fail('%s is required under CI: %s' % (service, reason),
                    pytrace=False)
    pytest.skip('%s is not available: %s' % (service, reason))


def exited_process_owner(owner_of):
    """`owner_of(pid)` for a process of this machine that has since exited
    (what a killed worker leaves behind)."""
    child = subprocess.Popen(['sleep', '30'])
    try:
        return owner_of(child.pid)
    finally:
        child.kill()
        child.wait()


def unprivileged_user(names, fallback='gmtest', error=RuntimeError):
    """The pwd entry of the first of `names` that exists, else of
    `fallback` (created as a system user); None when we are not root (a
    server then runs as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in list(names) + [fallback]:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
    proc = subprocess.run(['useradd', '--system', '--no-create-home',
                           '--shell', '/usr/sbin/nologin', fallback],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if proc.returncode != 0:
        raise error('useradd %s failed: %s' % (fallback, proc.stdout))
    return pwd.getpwnam(fallback)


def _live_stats():
    """(pid, [state, ppid, pgrp, ...]) of every live (non-zombie) process,
    from /proc."""
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(')') + 2:].split()
        if len(fields) > 2 and fields[0] != 'Z':
            yield int(entry), fields


def children(pid):
    """Live child pids of `pid`."""
    return sorted(p for p, fields in _live_stats() if int(fields[1]) == pid)


def group_members(pgid):
    """Live pids of process group `pgid`."""
    return sorted(p for p, fields in _live_stats() if int(fields[2]) == pgid)
