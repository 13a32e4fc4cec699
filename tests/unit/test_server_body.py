"""wsgi.input of glance_members.server: what the application's thread reads
while the loop feeds it (flow control, lines, and failures that must never
look like the end of a body)."""

import threading
import time

import pytest

from glance_members.server import http


class FakeConnection:
    def __init__(self):
        self.paused = 0

    def pause_body(self):
        self.paused += 1

    def resume_body(self):
        self.paused -= 1


def test_read_all_of_a_body_larger_than_the_buffer_does_not_stall():
    connection = FakeConnection()
    body = http.Body(connection)

    def feed():
        for _ in range(40):   # 2.5 MiB: past HIGH_WATER, so reading pauses
            body.feed(b'x' * 65536)
            time.sleep(0.001)
        body.end()

    feeder = threading.Thread(target=feed)
    feeder.start()
    data = body.read()
    feeder.join()
    assert len(data) == 40 * 65536
    assert connection.paused == 0


def test_sized_reads_and_lines():
    body = http.Body(FakeConnection())
    body.feed(b'line1\nline2\nrest')
    body.end()
    assert body.readline() == b'line1\n'
    assert body.readline(3) == b'lin'
    assert body.readline() == b'e2\n'
    assert body.read(2) == b're'
    assert body.read(10) == b'st'
    assert body.read(10) == b''


def test_a_client_gone_mid_body_is_an_error_not_the_end():
    body = http.Body(FakeConnection())
    body.feed(b'abc')
    body.fail(ConnectionResetError('client disconnected'))
    assert body.read(2) == b'ab'
    assert body.read(5) == b'c'
    with pytest.raises(OSError):
        body.read(1)
