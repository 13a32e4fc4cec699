"""The HTTP probes of issue 22 against a real `glance-members serve`.

The probes (raw sockets, testbed/http_probes.py) are the ones
benchmarks/http_servers.py runs against other servers; here each must hold
for ours. One SQLite server (2 workers, [server] body_idle_timeout = 2,
max_streaming_requests = 16) serves most tests; the probes that could write
(a smuggled DELETE, a half-sent create) also run on PostgreSQL and MariaDB;
proxy headers, signals and a raised body limit get servers of their own.
"""

import http.client
import json
import os
import signal
import time

import pytest

from testbed import http_probes as probes
from testbed import personas
from tests.support import concurrency as conc
from tests.support import databases

BODY_TIMEOUT = 2
STREAMING = 16
SECTIONS = ('[server]\nbody_idle_timeout = %d\nmax_streaming_requests = %d\n'
            % (BODY_TIMEOUT, STREAMING))


def target_of(server):
    def log_text():
        with open(server.log_path, 'rb') as f:
            return f.read().decode('utf-8', 'replace')
    return probes.Target(server.port, personas.token('producer'),
                         server.worker_pids, log_text,
                         master_pid=server.process.pid)


def started(base, db_url=None, sections=SECTIONS):
    server = conc.ConfServer(base, db_url=db_url, workers=2,
                             sections=sections)
    try:
        server.start()
    except BaseException:
        server.close()
        raise
    return server


@pytest.fixture(scope='module')
def sqlite_server(tmp_path_factory):
    server = started(tmp_path_factory.mktemp('probes'))
    yield server
    server.close()


@pytest.fixture
def target(sqlite_server):
    return target_of(sqlite_server)


@pytest.fixture(scope='module')
def any_db_target(request, database_kind, sqlite_server, tmp_path_factory):
    """The shared SQLite server, or one on a new PostgreSQL / MariaDB
    database (one per module)."""
    if database_kind == 'sqlite':
        yield target_of(sqlite_server)
        return
    with databases.new_database(request, database_kind) as db_url:
        server = started(
            tmp_path_factory.mktemp('probes-' + database_kind), db_url)
        try:
            yield target_of(server)
        finally:
            server.close()


def check(result):
    assert result.ok, json.dumps(result.as_dict(), indent=1, default=str)


def test_cl_and_te_together_are_refused_and_hide_nothing(any_db_target):
    check(probes.cl_te_smuggling(any_db_target))


def test_a_body_split_across_segments_is_read_whole(target):
    check(probes.split_body(target))


def test_a_chunk_longer_than_sent_creates_nothing(any_db_target):
    result = probes.short_chunk(any_db_target, wait=BODY_TIMEOUT + 10)
    check(result)
    # Our answer is the body time-out's, and it comes on time.
    assert result.detail['status'] == 408, result
    assert result.detail['seconds'] < BODY_TIMEOUT + 3, result


def test_broken_bodies_are_4xx_never_500_and_write_nothing(target):
    check(probes.broken_bodies(target, BODY_TIMEOUT, wait=BODY_TIMEOUT + 4))


def test_a_head_and_big_body_in_one_write_is_not_a_large_head(target):
    check(probes.upload_in_one_write(target))


def test_unread_pipelined_gets_do_not_grow_the_workers(target):
    path = target.member_list_path()
    # Without a bound the 20,000 queued requests alone are ~50 MiB.
    check(probes.pipelined_flood(target, path, count=20000, seconds=8,
                                 limit_mib=32))


def test_slow_downloads_hold_bounded_threads(target):
    # Per worker: the streaming pool, a few threads more.
    check(probes.slow_downloads(target, clients=300, seconds=6,
                                thread_limit=STREAMING + 4))


def test_slow_unauthenticated_sign_ins_do_not_block_uploads(target):
    check(probes.slow_sign_ins_vs_uploads(target, clients=150, uploads=5,
                                          trickle=BODY_TIMEOUT / 2))


# Fails until logs.py escapes what it logs (the lead's change on
# http-layer): a %0A in a /console/ path forges a log line today. Remove
# the marker with that change (strict: an unexpected pass fails).
def test_control_characters_in_paths_do_not_reach_the_log_raw(target):
    check(probes.control_characters(target))


def test_forwarded_proto_needs_the_option(target, tmp_path):
    check(probes.forwarded_proto(target, expect_https=False))
    server = started(tmp_path, sections=SECTIONS + (
        '\n[oslo_middleware]\nenable_proxy_headers_parsing = true\n'))
    try:
        check(probes.forwarded_proto(target_of(server), expect_https=True))
    finally:
        server.close()


def test_the_body_limit_is_the_servers_and_the_applications(tmp_path):
    """[DEFAULT] max_request_body_size, raised past its default, is both
    what the server reads before the application runs and the
    application's limit: a body of exactly that size is read whole (201),
    one byte more is 413."""
    limit = 2 * 65536
    server = conc.ConfServer(tmp_path, workers=1,
                             options={'max_request_body_size': limit})
    try:
        server.start()
        document = b'{"name": "padded"}'
        for size, status in ((limit, 201), (limit + 1, 413)):
            conn = http.client.HTTPConnection('127.0.0.1', server.port,
                                              timeout=30)
            conn.request('POST', '/v2/images',
                         document + b' ' * (size - len(document)),
                         {'X-Auth-Token': personas.token('producer'),
                          'Content-Type': 'application/json'})
            response = conn.getresponse()
            assert (response.status, size) == (status, size), \
                response.read()
            conn.close()
    finally:
        server.close()


def test_sighup_then_sigterm_fail_no_request(tmp_path):
    server = started(tmp_path, sections='[server]\nshutdown_timeout = 10\n')
    try:
        target = target_of(server)
        old = set(server.worker_pids())

        def new_workers():
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                pids = set(server.worker_pids())
                if len(pids) == 2 and not pids & old:
                    return 'replaced'
                time.sleep(0.1)
            return 'not replaced'

        def exited():
            return server.process.wait(timeout=40)

        result = probes.signals(target, '/v2/images', probes.hup_then_term(
            target, new_workers, exited))
        check(result)
        assert result.detail['actions'] == ['replaced', 0], result
    finally:
        if server.process is not None and server.process.poll() is None:
            os.kill(server.process.pid, signal.SIGKILL)
        server.close()
