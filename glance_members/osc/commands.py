"""`openstack image share ...`: the sharing workflow Glance has no command
for. Each command is one call of glance_members.osc.client, formatted by
OSC (`-f table|json|yaml|value|csv`)."""

from osc_lib.command import command

from glance_members import records
from glance_members.osc import plugin

STATUSES = records.MEMBER_STATUSES + ('all',)


def _client(app):
    return getattr(app.client_manager, plugin.API_NAME)


def _image_ids(client, names_or_ids):
    return [client.find_image_id(image) for image in names_or_ids]


def _pair_results(results):
    columns = ('Image ID', 'Member ID', 'Result', 'Status', 'Expires At')
    return columns, [(r['image_id'], r['member_id'], r['result'],
                      r.get('status'), r.get('expires_at'))
                     for r in results]


def _state(state):
    """A history entry's before/after: its status (and expiry)."""
    if not state:
        return None
    if state.get('expires_at'):
        return '%s until %s' % (state.get('status'), state['expires_at'])
    return state.get('status')


class ListInbox(command.Lister):
    """Images shared with your project, pending ones first of all."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--status', choices=STATUSES, default='pending',
                            help='Which shares to list (default: pending)')
        parser.add_argument('--limit', type=int, metavar='<n>',
                            help='At most <n> shares (default: all)')
        return parser

    def take_action(self, args):
        shares = _client(self.app).inbox(args.status, args.limit)
        columns = ('Image ID', 'Name', 'Owner', 'Owner Name', 'Disk Format',
                   'Size', 'Status', 'Created At', 'Updated At',
                   'Expires At')
        return columns, [
            (share['image_id'], share['image'].get('name'),
             share['image'].get('owner'), share.get('producer_name'),
             share['image'].get('disk_format'),
             share['image'].get('size'), share['status'],
             share['created_at'], share['updated_at'], share['expires_at'])
            for share in shares]


class _Decide(command.Lister):
    status = None

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument('images', metavar='<image>', nargs='*', default=[],
                           help='Images (name or ID) to decide on')
        group.add_argument('--all-pending', action='store_true',
                           help='Every share that is pending')
        return parser

    def take_action(self, args):
        client = _client(self.app)
        if not args.all_pending and not args.images:
            self.app.parser.error('give images or --all-pending')
        result = client.decide(self.status, _image_ids(client, args.images),
                               all_pending=args.all_pending)
        return (('Image ID', 'Status', 'Previous Status', 'Result'),
                [(r['image_id'], r['status'], r['previous_status'],
                  r['result']) for r in result['results']])


class AcceptShares(_Decide):
    """Accept shares: the images appear in your project's image list."""
    status = 'accepted'


class RejectShares(_Decide):
    """Reject shares: the images leave your list (you may accept them
    again later, until the owner removes you)."""
    status = 'rejected'


class LeaveShare(command.Command):
    """Leave a share: your project is no longer a member of the image."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('image', metavar='<image>',
                            help='Image (name or ID) to leave')
        return parser

    def take_action(self, args):
        client = _client(self.app)
        client.leave(client.find_image_id(args.image))


class ShowHistory(command.Lister):
    """What happened to shares: created, accepted, rejected, removed, left,
    expired, and by whom."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--image', metavar='<image>',
                            help='One image (name or ID)')
        parser.add_argument('--as', dest='as_role', default='producer',
                            choices=('producer', 'consumer'),
                            help='Your project as producer or as consumer '
                                 '(default: producer; without --image)')
        return parser

    def take_action(self, args):
        client = _client(self.app)
        image_id = client.find_image_id(args.image) if args.image else None
        events = client.history(image_id, args.as_role)
        columns = ('At', 'Image ID', 'Member ID', 'Member Name', 'Event',
                   'Before', 'After', 'User', 'User Name', 'Project',
                   'Project Name', 'Request ID')
        return columns, [(e['created_at'], e['image_id'], e['member_id'],
                          e.get('member_name'), e['event'],
                          _state(e.get('before')), _state(e.get('after')),
                          (e.get('actor') or {}).get('user_id'),
                          (e.get('actor') or {}).get('user_name'),
                          (e.get('actor') or {}).get('project_id'),
                          (e.get('actor') or {}).get('project_name'),
                          e.get('request_id')) for e in events]


class _Batch(command.Lister):

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--image', metavar='<image>', action='append',
                            required=True, dest='images',
                            help='Image (name or ID); repeat for several')
        parser.add_argument('--project', metavar='<project-id>',
                            action='append', required=True, dest='members',
                            help='Member project ID; repeat for several')
        return parser


class ShareBatch(_Batch):
    """Share every given image with every given project, all or nothing."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--expires-at', metavar='<time>',
                            help='When the shares end (ISO 8601, UTC)')
        return parser

    def take_action(self, args):
        client = _client(self.app)
        result = client.share(_image_ids(client, args.images), args.members,
                              args.expires_at)
        return _pair_results(result['results'])


class RevokeBatch(_Batch):
    """Stop sharing every given image with every given project."""

    def take_action(self, args):
        client = _client(self.app)
        result = client.revoke(_image_ids(client, args.images), args.members)
        return _pair_results(result['results'])


class _ProducerCommand(command.Command):

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('project', metavar='<project-id>',
                            help='The producer project ID')
        return parser


class AddTrust(_ProducerCommand, command.ShowOne):
    """Trust a producer: its new shares arrive accepted."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--accept-pending', action='store_true',
                            help="Also accept that producer's pending shares")
        return parser

    def take_action(self, args):
        trust = _client(self.app).trust(args.project, args.accept_pending)
        return (('Project ID', 'Created At', 'Accepted Images'),
                (trust['project_id'], trust['created_at'],
                 ','.join(trust.get('accepted', []))))


class RemoveTrust(_ProducerCommand):
    """Stop trusting a producer (shares already accepted stay)."""

    def take_action(self, args):
        _client(self.app).distrust(args.project)


class ListTrust(command.Lister):
    """The producers your project trusts."""

    def take_action(self, args):
        producers = _client(self.app).trusted_producers()
        return (('Project ID', 'Created At'),
                [(p.get('project_id'), p.get('created_at'))
                 for p in producers])
