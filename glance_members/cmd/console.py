"""`glance-members console --config FILE`: the web console alone, in front
of the image API of any cloud (over HTTP: catalog endpoints, or [console]
image_endpoint), real Glance included."""

import os
import sys

from glance_members.console import app as console_app
from glance_members.console import identity
from glance_members.server import run as gm_run

NEEDS_AN_API = ('glance-members console needs an image API: set [console] '
                'auth_url (Keystone; the catalog gives the endpoints) or '
                '[console] image_endpoint.')


def _elsewhere(environ, start_response):
    """Anything outside /console/: there is only the console here."""
    if environ.get('PATH_INFO', '') in ('', '/'):
        start_response('302 Found', [('Location', console_app.PREFIX + '/'),
                                     ('Content-Length', '0')])
        return [b'']
    start_response('404 Not Found', [('Content-Type', 'text/plain'),
                                     ('Content-Length', '10')])
    return [b'Not Found\n']


def create_wsgi(conf):
    return console_app.Mount(_elsewhere, console_app.create_app(conf))


def run(conf):
    if not (identity.keystone_url(conf) or conf.console.image_endpoint):
        sys.exit(NEEDS_AN_API)
    print('glance-members console on http://%s:%d%s/' % (
        conf.bind_host, conf.bind_port, console_app.PREFIX))
    sys.stdout.flush()
    gm_run.serve(lambda: create_wsgi(conf), conf.bind_host, conf.bind_port,
                 conf.workers or os.cpu_count() or 1, conf.threads)
