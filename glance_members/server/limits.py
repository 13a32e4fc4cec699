"""The limits of one worker process, from the [server] options and
[DEFAULT] max_request_body_size (the application's limit on a body that is
not image data, so all of it the server reads first: README, The server)."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Limits:
    request_head_timeout: float = 30.0
    max_header_size: int = 65536
    body_idle_timeout: float = 60.0
    keepalive_timeout: float = 60.0
    max_connections: int = 4096
    max_streaming_requests: int = 64
    max_request_body_size: int = 65536
    shutdown_timeout: float = 60.0


def from_conf(conf):
    server = conf.server
    return Limits(
        request_head_timeout=server.request_head_timeout,
        max_header_size=server.max_header_size,
        body_idle_timeout=server.body_idle_timeout,
        keepalive_timeout=server.keepalive_timeout,
        max_connections=server.max_connections,
        max_streaming_requests=server.max_streaming_requests,
        max_request_body_size=conf.max_request_body_size,
        shutdown_timeout=server.shutdown_timeout)
