"""`glance-members-manage`: deploy-time database commands.

    glance-members-manage [--config-file FILE] db sync [--version N]
    glance-members-manage [--config-file FILE] db version
"""

import argparse
import sys

from glance_members import conf as gm_conf
from glance_members import db
from glance_members.db import migrations


def parse_args(argv):
    parser = argparse.ArgumentParser(prog='glance-members-manage')
    parser.add_argument('--config-file', '--config', dest='config',
                        help='oslo.config INI file')
    parser.add_argument('--data-dir', help='embedded default data directory')
    commands = parser.add_subparsers(dest='category', required=True)
    db_parser = commands.add_parser('db', help='database schema')
    db_commands = db_parser.add_subparsers(dest='action', required=True)
    sync = db_commands.add_parser('sync', help='upgrade to the latest '
                                  '(or given) schema version')
    sync.add_argument('--version', type=int)
    db_commands.add_parser('version', help='print the schema version')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    overrides = {'data_dir': args.data_dir} if args.data_dir else {}
    conf = gm_conf.new_conf(config_file=args.config, overrides=overrides)
    database = db.connect(gm_conf.database_url(conf),
                          conf.database.busy_timeout)
    if args.action == 'sync':
        before = db.version(database)
        after = db.sync(database, args.version)
        print('Database schema: version %d -> %d (head %d)'
              % (before, after, migrations.head()))
    else:
        print(db.version(database))
    return 0


if __name__ == '__main__':
    sys.exit(main())
