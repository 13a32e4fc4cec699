"""The HTTP server: connections on an asyncio loop, the WSGI app on threads
(http.py), run as gunicorn workers (worker.py)."""
