"""`glance-members-manage`: deploy-time database commands and membership
housekeeping.

    glance-members-manage [--config-file FILE] db sync [--version N]
    glance-members-manage [--config-file FILE] db version
    glance-members-manage [--config-file FILE] members list|export|purge
        (--image IMAGE_ID | --project PROJECT_ID) [--yes]
    glance-members-manage [--config-file FILE] members purge-expired
    glance-members-manage [--config-file FILE] import-glance
        --connection GLANCE_DATABASE_URL [--dry-run]
    glance-members-manage [--config-file FILE] mirror sync|reconcile|listen
        (beside an existing Glance, [glance]: the local mirror of its
        images and memberships)
"""

import argparse
import csv
import json
import logging
import signal
import sys
import threading

import peewee

from glance_members import cmd
from glance_members import conf as gm_conf
from glance_members import db
from glance_members.db import glance_import
from glance_members.db import migrations
from glance_members import exception
from glance_members import records


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
    members = commands.add_parser('members', help='image memberships')
    member_commands = members.add_subparsers(dest='action', required=True)
    for action, text in (('list', 'print the memberships as a table'),
                         ('export', 'write the memberships as JSON lines '
                                    '(or CSV with --format csv)'),
                         ('purge', 'remove the memberships for good')):
        sub = member_commands.add_parser(action, help=text)
        which = sub.add_mutually_exclusive_group(required=True)
        which.add_argument('--image', help='an image id')
        which.add_argument('--project', help='a member project id')
        if action == 'export':
            sub.add_argument('--format', choices=['json', 'csv'],
                             default='json')
        if action == 'purge':
            sub.add_argument('--yes', action='store_true',
                             help='do it (otherwise only count)')
    member_commands.add_parser(
        'purge-expired', help='remove the memberships past their expiry '
        '(already invisible; each gets an "expired" history row)')
    glance = commands.add_parser(
        'import-glance', help="import the images and members of a Glance "
        "database (image data stays where Glance's store keeps it)")
    glance.add_argument('--connection', required=True,
                        help="Glance's [database] connection URL")
    glance.add_argument('--dry-run', action='store_true',
                        help='print what would be imported, write nothing')
    mirror = commands.add_parser(
        'mirror', help='beside an existing Glance ([glance]): its images '
        'and memberships mirrored here')
    mirror_commands = mirror.add_subparsers(dest='action', required=True)
    mirror_commands.add_parser(
        'sync', help='read every image of Glance (and the members of the '
        'shared ones) into the mirror; no history for what was there')
    reconcile = mirror_commands.add_parser(
        'reconcile', help='one bounded reconciliation run: images changed '
        'since the mirror\'s newest, then --batch-size mirrored images')
    reconcile.add_argument('--batch-size', type=int,
                           help='default: [glance] reconcile_batch_size')
    reconcile.add_argument('--all', action='store_true',
                           help='every mirrored image, batch after batch')
    mirror_commands.add_parser(
        'listen', help='apply Glance\'s notifications (and run the '
        'periodic reconciliation) until SIGTERM or SIGINT')
    return parser.parse_args(argv)


def mirror_command(args, conf, repo, out):
    """`mirror sync|reconcile|listen`; Glance or the database away is a
    one-line failure (status 1)."""
    from glance_members.glance import mirror as glance_mirror
    if args.action == 'listen':
        return mirror_listen(conf, repo, out)
    mirror = glance_mirror.from_conf(conf, repo)
    try:
        if args.action == 'sync':
            out.write('Synced: %s\n' % mirror.sync().line())
        elif args.action == 'reconcile':
            batch = args.batch_size or conf.glance.reconcile_batch_size
            while True:
                report = mirror.reconcile(batch)
                out.write('Reconciled: %s\n' % report.line())
                if not args.all or report.cursor is None:
                    break
    except exception.ServiceUnavailable as e:
        out.write('%s\n' % e)
        return 1
    return 0


def mirror_listen(conf, repo, out):
    from glance_members.glance import mirror as glance_mirror
    logging.basicConfig(level=logging.DEBUG if conf.debug else logging.INFO,
                        format='%(asctime)s %(name)s %(message)s')
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    running = glance_mirror.start(conf, repo)
    out.write('Listening to Glance\'s notifications (pool %s)\n'
              % conf.glance.notifications_pool)
    out.flush()
    stop.wait()
    running.stop()
    out.write('Applied: %s\n' % json.dumps(running.applied, sort_keys=True))
    return 0


def import_glance_command(args, repo, out):
    glance_db = glance_import.open_glance(args.connection)
    try:
        report = glance_import.import_glance(glance_db, repo, args.dry_run)
    finally:
        glance_db.close()
    if report.refused:
        out.write('Nothing imported: %d Glance rows cannot be mapped:\n'
                  % len(report.refused))
        for problem in report.refused:
            out.write('  cannot map %s\n' % problem)
        return 1
    verb = 'Would import' if args.dry_run else 'Imported'
    out.write('%s %d images (%s), %d members, %d properties, %d tags.\n' % (
        verb, report.images, ', '.join(
            '%d %s' % (n, status) for status, n in sorted(
                report.by_status.items())) or 'none',
        report.members, report.properties, report.tags))
    out.write('%d images already here: left alone.\n' % report.existing)
    out.write('%s %d ids of deleted images (never to be reused); skipped '
              '%d removed member rows.\n' % (
                  'Would record' if args.dry_run else 'Recorded',
                  report.deleted_images, report.deleted_members))
    out.write('Collapsed %d duplicate member rows of Glance%s\n' % (
        len(report.collapsed), ':' if report.collapsed else '.'))
    for line in report.collapsed:
        out.write('  %s\n' % line)
    return 0


_COLUMNS = ('image_id', 'member_id', 'status', 'created_at', 'updated_at')


def _row(member):
    return [member.image_id, member.member_id, member.status,
            member.created_at.strftime('%Y-%m-%dT%H:%M:%SZ'),
            member.updated_at.strftime('%Y-%m-%dT%H:%M:%SZ')]


def purge_expired(repo, out):
    """Purge expired memberships in batches; the history names this
    command as the actor."""
    records.current_actor.set(records.Actor(
        user_id='glance-members-manage'))
    total = 0
    while True:
        gone = repo.purge_expired()
        total += gone
        if not gone:
            break
    out.write('Purged %d expired memberships.\n' % total)
    return 0


def members_command(args, repo, out):
    if args.action == 'purge-expired':
        return purge_expired(repo, out)
    found = repo.find_memberships(args.image, args.project)
    if args.action == 'list':
        widths = [max([len(c)] + [len(_row(m)[i]) for m in found])
                  for i, c in enumerate(_COLUMNS)]
        for cells in [_COLUMNS] + [_row(m) for m in found]:
            out.write('  '.join(c.ljust(w) for c, w in zip(cells, widths))
                      .rstrip() + '\n')
    elif args.action == 'export':
        if args.format == 'csv':
            writer = csv.writer(out)
            writer.writerow(_COLUMNS)
            writer.writerows(_row(m) for m in found)
        else:
            for member in found:
                out.write(json.dumps(dict(zip(_COLUMNS, _row(member)))) +
                          '\n')
    elif not args.yes:
        out.write('%d current memberships would be purged; add --yes.\n'
                  % len(found))
        return 1
    else:
        gone = repo.purge_memberships(args.image, args.project)
        out.write('Purged %d membership rows.\n' % gone)
    return 0


PROG = 'glance-members-manage'


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    overrides = {'data_dir': args.data_dir} if args.data_dir else {}
    conf = cmd.load_conf(PROG, args.config, overrides)
    try:
        return run(args, conf)
    except peewee.DatabaseError as e:
        cmd.fail(PROG, 'database error', e)


def run(args, conf):
    try:
        database = db.connect(gm_conf.database_url(conf),
                              conf.database.busy_timeout)
    except ValueError as e:
        cmd.fail(PROG, 'configuration error', e)
    if args.category == 'members':
        repo = db.make_repository(database)
        if conf.image_backend == 'glance' and args.action == 'purge':
            cmd.fail(PROG, 'members purge', ValueError(
                'beside Glance the memberships are Glance\'s: remove them '
                'there (glance member-delete); the mirror follows'))
        if conf.image_backend == 'glance' and \
                args.action == 'purge-expired':
            # Beside an existing Glance the memberships are Glance's: an
            # expired one is removed there (by the service identity of
            # [glance]), then in the mirror.
            from glance_members.glance import client as glance_client
            from glance_members.glance import shares
            repo = shares.BesideGlance(
                repo, glance_client.GlanceClient.from_conf(conf))
        try:
            return members_command(args, repo, sys.stdout)
        except exception.ServiceUnavailable as e:
            cmd.fail(PROG, 'unavailable', e)
    if args.category == 'mirror':
        return mirror_command(args, conf, db.make_repository(database),
                              sys.stdout)
    if args.category == 'import-glance':
        if db.version(database) != migrations.head():
            print('The database is not at the latest schema: run '
                  '`glance-members-manage db sync` first.')
            return 1
        return import_glance_command(args, db.make_repository(database),
                                     sys.stdout)
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
