"""How the WSGI application is served: gunicorn's arbiter (prefork workers,
signals, heartbeats) with uvicorn's worker (connections and HTTP/1.1 on an
asyncio loop, httptools' llhttp parser) and a2wsgi's bridge to our WSGI app.

Nothing here parses HTTP: run.py configures gunicorn, worker.py configures
uvicorn from the [server] options, bridge.py chooses the thread pool a
request runs on and reads small bodies before it does. Facing untrusted
networks, HAProxy goes in front (etc/haproxy/glance-members.cfg).
"""
