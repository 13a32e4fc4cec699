"""`glance-members serve`: run the API with a production WSGI server.

With no config file it runs the embedded default in --data-dir: SQLite and
a static token file, both created on first start.
"""

import argparse
import logging
import os
import sys

from oslo_config import cfg

from glance_members import app as gm_app
from glance_members import bootstrap
from glance_members import logs
from glance_members import conf as gm_conf
from glance_members import db
from glance_members.db import migrations
from glance_members.server import limits as gm_limits
from glance_members.server import run as gm_run

LOG = logging.getLogger(__name__)


def parse_args(argv):
    parser = argparse.ArgumentParser(prog='glance-members')
    commands = parser.add_subparsers(dest='command', required=True)
    serve = commands.add_parser('serve', help='serve the Image API')
    serve.add_argument('--config', help='oslo.config INI file')
    serve.add_argument('--host', help='address (default 127.0.0.1)')
    serve.add_argument('--port', type=int, help='port (default 9292)')
    serve.add_argument('--data-dir', help='embedded default data directory '
                       '(default ./glance-members-data)')
    serve.add_argument('--workers', type=int, help='worker processes')
    serve.add_argument('--threads', type=int,
                       help='request threads per worker')
    console = commands.add_parser(
        'console', help='serve only the web console, in front of the image '
        'API of a cloud (Keystone catalog or [console] image_endpoint)')
    console.add_argument('--config', help='oslo.config INI file')
    console.add_argument('--host', help='address (default 127.0.0.1)')
    console.add_argument('--port', type=int, help='port (default 9292)')
    console.add_argument('--workers', type=int, help='worker processes')
    console.add_argument('--threads', type=int,
                         help='request threads per worker')
    console.add_argument('--data-dir', help='where the sessions file lives '
                         '(default ./glance-members-data)')
    return parser.parse_args(argv)


def load_conf(args):
    overrides = {}
    for option, value in (('bind_host', args.host), ('bind_port', args.port),
                          ('data_dir', args.data_dir),
                          ('workers', args.workers),
                          ('threads', args.threads)):
        if value is not None:
            overrides[option] = value
    return gm_conf.new_conf(config_file=args.config, overrides=overrides)


def prepare(conf):
    """Create what the embedded default needs; print how to use it."""
    database = db.connect(gm_conf.database_url(conf),
                          conf.database.busy_timeout)
    if conf.database.connection is None:
        # The embedded default is its own deployment: create or upgrade
        # its schema here, in the master, before any worker starts.
        db.sync(database)
    elif db.version(database) != migrations.head():
        database.close()
        sys.exit('The database schema is at version %d, not %d: run '
                 '`glance-members-manage db sync` first.'
                 % (db.version(database), migrations.head()))
    database.close()
    url = 'http://%s:%d' % (conf.bind_host, conf.bind_port)
    print('glance-members serving on %s' % url)
    if conf.auth.backend == 'static':
        _print_tokens(conf, url)
    if conf.console.enabled:
        print('Console: %s/console/ (sign in with %s)' % (
            url, 'a token above' if conf.auth.backend == 'static'
            else 'your Keystone user name and password'))
    sys.stdout.flush()


def _print_tokens(conf, url):
    path = gm_conf.token_file(conf)
    created = bootstrap.ensure_token_file(path)
    if created is None:
        print('Tokens: see %s' % path)
        return
    print('Created %s (mode 0600) with these tokens:' % path)
    for name, (token, identity) in created.items():
        print('  %-9s %s  (project %s, roles %s)' % (
            name, token, identity['project_id'], ','.join(identity['roles'])))
    print('Try: glance --os-auth-token %s --os-image-url %s image-list'
          % (created['producer'][0], url))


def run(conf, args=None):
    """Serve `conf`; with `args`, SIGHUP re-reads the config file they name
    (the new workers get it; bind, workers and threads need a restart)."""
    current = {'conf': conf}

    def reread():
        try:
            new = load_conf(args)
            gm_conf.check(new)
        except (cfg.Error, ValueError) as e:
            LOG.error('SIGHUP: the configuration was not reloaded, the '
                      'workers keep the one they had: %s', e)
        else:
            current['conf'] = new
            LOG.info('SIGHUP: configuration reloaded')
        return gm_limits.from_conf(current['conf'])

    gm_run.serve(lambda: gm_app.create_app(current['conf']), conf.bind_host,
                 conf.bind_port, conf.workers or os.cpu_count() or 1,
                 conf.threads, gm_limits.from_conf(conf),
                 reread=reread if args is not None else None)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    conf = load_conf(args)
    try:
        gm_conf.check(conf)
    except (cfg.Error, ValueError) as e:
        sys.exit('glance-members: configuration error: %s' % e)
    logs.setup(conf)
    if args.command == 'console':
        from glance_members.cmd import console
        console.run(conf)
        return
    prepare(conf)
    run(conf, args)


if __name__ == '__main__':
    main()
