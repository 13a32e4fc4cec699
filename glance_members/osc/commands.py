"""`openstack image share ...`: the sharing workflow Glance has no command
for. Each command is one call of glance_members.osc.client, formatted by
OSC (`-f table|json|yaml|value|csv`)."""

from osc_lib.command import command

from glance_members.osc import plugin

STATUSES = ('pending', 'accepted', 'rejected', 'all')


def _client(app):
    return getattr(app.client_manager, plugin.API_NAME)


def _image_ids(client, names_or_ids):
    return [client.find_image_id(image) for image in names_or_ids]


def _results(results):
    columns = ('Image ID', 'Member ID', 'Result')
    return columns, [(r.get('image_id'), r.get('member_id'),
                      r.get('result', r.get('status'))) for r in results]


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
        inbox = _client(self.app).inbox(args.status, args.limit)
        columns = ('Image ID', 'Name', 'Owner', 'Disk Format', 'Size',
                   'Status', 'Created At', 'Updated At', 'Expires At')
        rows = []
        for share in inbox.get('memberships', []):
            image = share.get('image', {})
            rows.append((image.get('id'), image.get('name'),
                         image.get('owner'), image.get('disk_format'),
                         image.get('size'), share.get('status'),
                         share.get('created_at'), share.get('updated_at'),
                         share.get('expires_at')))
        return columns, rows


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
        return _results(result.get('results', []))


class AcceptShares(_Decide):
    """Accept shares: the images appear in your project's image list."""
    status = 'accepted'


class RejectShares(_Decide):
    """Reject shares: the images leave your list (the owner may ask
    again only by removing and re-adding you)."""
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
        parser.add_argument('--as', dest='as_role', default='consumer',
                            choices=('producer', 'consumer'),
                            help='Your project as producer or as consumer '
                                 '(default: consumer; without --image)')
        return parser

    def take_action(self, args):
        client = _client(self.app)
        image_id = client.find_image_id(args.image) if args.image else None
        events = client.history(image_id, args.as_role)
        columns = ('At', 'Image ID', 'Member ID', 'Event', 'Before', 'After',
                   'User', 'Project', 'Request ID')
        return columns, [(e.get('created_at'), e.get('image_id'),
                          e.get('member_id'), e.get('event'),
                          e.get('before'), e.get('after'),
                          e.get('actor_user_id'), e.get('actor_project_id'),
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
        return _results(result.get('results', []))


class RevokeBatch(_Batch):
    """Stop sharing every given image with every given project."""

    def take_action(self, args):
        client = _client(self.app)
        result = client.revoke(_image_ids(client, args.images), args.members)
        return _results(result.get('results', []))


class _ProducerCommand(command.Command):

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('project', metavar='<project-id>',
                            help='The producer project ID')
        return parser


class AddTrust(_ProducerCommand):
    """Trust a producer: its new shares arrive accepted."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('--accept-pending', action='store_true',
                            help="Also accept that producer's pending shares")
        return parser

    def take_action(self, args):
        _client(self.app).trust(args.project, args.accept_pending)


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
