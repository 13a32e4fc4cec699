"""`glance-members serve`: run the API with a production WSGI server.

With no config file it runs the embedded default in --data-dir: SQLite and
a static token file, both created on first start.
"""

import argparse
import logging
import os
import socket
import sys

from oslo_config import cfg

from glance_members import app as gm_app
from glance_members import cmd
from glance_members import bootstrap
from glance_members import logs
from glance_members import conf as gm_conf
from glance_members import db
from glance_members.db import migrations
from glance_members.server import limits as gm_limits
from glance_members.server import run as gm_run

LOG = logging.getLogger(__name__)
PROG = 'glance-members'


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


def overrides(args):
    given = {}
    for option, value in (('bind_host', args.host), ('bind_port', args.port),
                          ('data_dir', args.data_dir),
                          ('workers', args.workers),
                          ('threads', args.threads)):
        if value is not None:
            given[option] = value
    return given


def load_conf(args):
    return gm_conf.new_conf(config_file=args.config, overrides=overrides(args))


def prepare(conf):
    """Create what the embedded default needs, or stop with one line if the
    database or the address cannot be used; then say how to use it."""
    try:
        database = db.connect(gm_conf.database_url(conf),
                              conf.database.busy_timeout)
        if conf.database.connection is None:
            # The embedded default is its own deployment: create or upgrade
            # its schema here, in the master, before any worker starts.
            db.sync(database)
        current = db.version(database)
        database.close()
    except Exception as e:  # noqa: BLE001 - whatever the driver raises
        cmd.fail(PROG, 'cannot use the database', e)
    if current != migrations.head():
        sys.exit('%s: the database schema is at version %d, not %d: run '
                 '`glance-members-manage db sync` first.'
                 % (PROG, current, migrations.head()))
    try:
        beside = gm_app.is_beside_glance(conf)
    except ValueError as e:
        cmd.fail(PROG, 'configuration error', e)
    check_address(conf.bind_host, conf.bind_port)
    url = 'http://%s:%d' % (conf.bind_host, conf.bind_port)
    print('glance-members serving on %s' % url)
    if beside:
        print('Beside Glance: /sharing/v1 here, /v2 is Glance\'s')
    if conf.auth.backend == 'static':
        _print_tokens(conf, url)
    if conf.console.enabled:
        print('Console: %s/console/ (sign in with %s)' % (
            url, 'a token from %s' % gm_conf.token_file(conf)
            if conf.auth.backend == 'static'
            else 'your Keystone user name and password'))
    sys.stdout.flush()


def check_address(host, port):
    """Stop with one line if the address is taken (before the banner, and
    before gunicorn retries it for 5 s)."""
    try:
        with socket.socket(socket.AF_INET6 if ':' in host
                           else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as e:
        sys.exit('%s: cannot listen on %s:%d: %s' % (
            PROG, host, port, e.strerror or e))


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
    conf = cmd.load_conf(PROG, args.config, overrides(args))
    logs.setup(conf)
    if args.command == 'console':
        from glance_members.cmd import console
        console.run(conf)
        return
    prepare(conf)
    run(conf, args)


if __name__ == '__main__':
    main()
