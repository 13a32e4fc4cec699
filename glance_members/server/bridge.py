"""The ASGI application uvicorn calls: which thread pool a request runs on,
and its body before it does.

Two thread pools, because a request that moves image bytes takes as long
as its client does:

* image data (GET/PUT/HEAD /v2/images/{id}/file) runs through a2wsgi on a
  pool of max_streaming_requests threads of its own (503 when all are
  busy), its body read and its answer sent as they flow;
* every other request runs on the worker's `threads`, its body read here
  on the loop first, at most max_request_body_size + 1 bytes (the
  application's own limit: it answers 413 past it), so a slow or silent
  client holds a socket, never a thread (a body that stops for
  body_idle_timeout gets 408); its answer, small by nature, is collected
  on the thread and sent in one go: one hand-off between the loop and a
  thread per request, not one per message as a2wsgi's streaming needs.

The application checks who asks before it reads an upload's body, so an
unauthenticated client never holds a streaming thread longer than that.
"""

import asyncio
import concurrent.futures
import contextvars
import io

import a2wsgi
from a2wsgi import wsgi as a2wsgi_wsgi

from glance_members.api import body as api_body

BUSY = b'The server is busy with other uploads and downloads: retry later.\n'
BODY_TIMEOUT = b'The request body was not sent in time.\n'


class ClientGone(ConnectionError):
    """The client closed the connection (or broke its framing) before the
    end of the body."""


class Bridge:

    def __init__(self, wsgi_app, limits, threads):
        self.app = wsgi_app
        self.limits = limits
        self.requests = concurrent.futures.ThreadPoolExecutor(
            threads, thread_name_prefix='request')
        self.streams = a2wsgi.WSGIMiddleware(
            wsgi_app, workers=limits.max_streaming_requests)
        self.streaming = 0

    async def __call__(self, scope, receive, send):
        if scope['type'] != 'http':
            return
        if api_body.is_image_data(scope['method'], scope['path']):
            await self._stream(scope, receive, send)
        elif _has_body(scope['headers']):
            await self._buffered(scope, receive, send)
        else:
            await self._whole(scope, b'', send)

    async def _stream(self, scope, receive, send):
        if self.streaming >= self.limits.max_streaming_requests:
            await _answer(send, 503, BUSY)
            return
        self.streaming += 1
        try:
            await self.streams(scope, self._timed(receive), send)
        finally:
            self.streaming -= 1

    def _timed(self, receive):
        """receive() for a body read on a thread: a stall past
        body_idle_timeout raises TimeoutError and a disconnect ClientGone
        in the reading thread (a2wsgi would read either as the end)."""
        async def timed_receive():
            message = await asyncio.wait_for(receive(),
                                             self.limits.body_idle_timeout)
            if message['type'] == 'http.disconnect':
                raise ClientGone('client disconnected')
            return message
        return timed_receive

    async def _buffered(self, scope, receive, send):
        chunks, size, more = [], 0, True
        while more and size <= self.limits.max_request_body_size:
            try:
                message = await asyncio.wait_for(
                    receive(), self.limits.body_idle_timeout)
            except asyncio.TimeoutError:
                await _answer(send, 408, BODY_TIMEOUT)
                return
            if message['type'] == 'http.disconnect':
                return
            chunk = message.get('body', b'')
            chunks.append(chunk)
            size += len(chunk)
            more = message.get('more_body', False)
        await self._whole(scope, b''.join(chunks), send)

    async def _whole(self, scope, body, send):
        """Run the application on a request thread with the body it has,
        and send its answer once it is complete."""
        environ = a2wsgi_wsgi.build_environ(scope, io.BytesIO(body))
        run = contextvars.copy_context().run   # each request its own vars
        status, headers, content = await asyncio.get_running_loop(
        ).run_in_executor(self.requests, run, _call, self.app, environ)
        await send({'type': 'http.response.start', 'status': status,
                    'headers': headers})
        await send({'type': 'http.response.body', 'body': content})


def _call(app, environ):
    """PEP 3333's call, the answer collected: (status, headers, body)."""
    answer, chunks = {}, []

    def start_response(status, headers, exc_info=None):
        # Nothing is sent before the answer is complete, so an error
        # page may always replace what was started.
        answer['status'], answer['headers'] = status, headers
        return chunks.append

    iterable = app(environ, start_response)
    try:
        for chunk in iterable:
            chunks.append(chunk)
    finally:
        if hasattr(iterable, 'close'):
            iterable.close()
    return (int(answer['status'].split(' ', 1)[0]),
            [(name.lower().encode('latin-1'), value.encode('latin-1'))
             for name, value in answer['headers']],
            b''.join(chunks))


def _has_body(headers):
    for name, value in headers:
        if name == b'transfer-encoding' or (
                name == b'content-length' and value.strip() != b'0'):
            return True
    return False


async def _answer(send, status, text):
    await send({'type': 'http.response.start', 'status': status,
                'headers': [(b'content-type', b'text/plain; charset=UTF-8'),
                            (b'content-length', b'%d' % len(text)),
                            (b'connection', b'close')]})
    await send({'type': 'http.response.body', 'body': text})
