"""The framework's ceiling: a bare Flask view returning a fixed 50-item JSON
list, served exactly as `glance-members serve` serves (gunicorn's arbiter,
uvicorn's worker, a2wsgi: glance_members.server.run), so that every
glance-members figure can be given as a fraction of what Flask and the
server can do at all on this machine.

    python benchmarks/ceiling_app.py [--host 127.0.0.1] [--port 9393]
        [--workers 2] [--threads 4]

    GET /list   -> {"members": [50 member-like objects], "schema": ...}
                   (the list is built once; it is JSON-encoded per request,
                   as any Flask view's response is)
    GET /       -> "ok" (readiness probe)
"""

import argparse
import json

import flask

ITEMS = 50


def _items():
    return [{'member_id': '%032x' % (0xbe7c4 + i),
             'image_id': '6f1c0a4e-2f4b-4bd7-8f3c-%012x' % i,
             'status': 'accepted',
             'created_at': '2025-01-01T00:00:00Z',
             'updated_at': '2025-01-01T00:00:00Z',
             'schema': '/v2/schemas/member'} for i in range(ITEMS)]


def create_app():
    app = flask.Flask(__name__)
    document = {'members': _items(), 'schema': '/v2/schemas/members'}

    @app.route('/list')
    def fixed_list():
        return flask.Response(json.dumps(document),
                              mimetype='application/json')

    @app.route('/')
    def ready():
        return 'ok'

    return app


def run(host, port, workers, threads):
    # The very gunicorn settings `glance-members serve` runs with.
    from glance_members.server import run as gm_run
    gm_run.serve(create_app, host, port, workers, threads)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=9393)
    parser.add_argument('--workers', type=int, default=2)
    parser.add_argument('--threads', type=int, default=4)
    args = parser.parse_args(argv)
    run(args.host, args.port, args.workers, args.threads)


if __name__ == '__main__':
    main()
