"""The request-head accounting of the uvicorn protocol (server/worker.py):
only a head's own bytes count against max_header_size."""

from glance_members.server import worker


def test_only_the_head_counts_when_its_body_comes_in_the_same_read():
    head = b'PUT /v2/images/x/file HTTP/1.1\r\nContent-Length: 9\r\n\r\n'
    assert worker._head_part(head + b'x' * 300000) == len(head)


def test_a_head_without_its_end_counts_whole():
    assert worker._head_part(b'GET / HTTP/1.1\r\nX-A: ' + b'a' * 70000) \
        == 70021


def test_a_bare_lf_head_end_counts_too():
    assert worker._head_part(b'GET / HTTP/1.1\nHost: x\n\nnext') == 24
