"""GET /sharing/v1/inbox, POST .../inbox/decisions."""

from marshmallow import fields
from marshmallow import validate
import marshmallow

from glance_members import records
from glance_members.schemas.sharing_v1 import common

INBOX_STATUSES = records.MEMBER_STATUSES + ('all',)
MAX_DECISIONS = 1000


class InboxQuery(common.PageQuery):
    status = fields.String(validate=validate.OneOf(INBOX_STATUSES),
                           load_default='pending')
    marker = fields.String(metadata={
        'description': 'The image_id of the last share of the previous '
                       'page.'})


class ImageSummary(marshmallow.Schema):
    id = fields.String()
    name = fields.String(allow_none=True)
    owner = fields.String(allow_none=True)
    disk_format = fields.String(allow_none=True)
    container_format = fields.String(allow_none=True)
    size = fields.Integer(allow_none=True)
    status = fields.String()
    created_at = common.UtcDateTime()


class Share(marshmallow.Schema):
    """A membership as the extension shows it (the /v2 member keys plus
    expires_at; in the inbox, the image's summary too)."""
    image_id = fields.String()
    member_id = fields.String()
    status = fields.String()
    created_at = common.UtcDateTime()
    updated_at = common.UtcDateTime()
    expires_at = common.UtcDateTime(allow_none=True)


NAME = ('The name the identity service gives the project (null when it '
        'does not tell it).')


class InboxShare(Share):
    image = fields.Nested(ImageSummary)
    producer_name = fields.String(allow_none=True, metadata={
        'description': "The image owner's project name. " + NAME})


def inbox_view(shares, names):
    """The shares with their producer's name."""
    return [dict(vars(s), producer_name=names.get(s.image.owner))
            for s in shares]


class Counts(marshmallow.Schema):
    pending = fields.Integer()
    accepted = fields.Integer()
    rejected = fields.Integer()


class Inbox(marshmallow.Schema):
    inbox = fields.List(fields.Nested(InboxShare))
    counts = fields.Nested(Counts)
    next = fields.String(metadata={'description': 'The next page, when '
                                   'this one is full.'})


class Decisions(marshmallow.Schema):
    """Either `images` or `all_pending: true`."""

    class Meta:
        unknown = marshmallow.RAISE

    status = fields.String(required=True,
                           validate=validate.OneOf(records.MEMBER_STATUSES))
    images = fields.List(fields.String(), validate=validate.Length(
        1, MAX_DECISIONS))
    all_pending = fields.Boolean()

    @marshmallow.validates_schema
    def _one_of(self, data, **kwargs):
        if ('images' in data) == bool(data.get('all_pending')):
            raise marshmallow.ValidationError(
                'Give either "images" or "all_pending": true.')


class Decision(marshmallow.Schema):
    image_id = fields.String()
    status = fields.String()
    previous_status = fields.String()
    result = fields.String(metadata={'description': '"changed" or '
                                     '"unchanged"'})


class DecisionResults(marshmallow.Schema):
    results = fields.List(fields.Nested(Decision))


def decisions_view(results):
    return {'results': [
        {'image_id': share.image_id, 'status': share.status,
         'previous_status': before,
         'result': 'unchanged' if before == share.status else 'changed'}
        for share, before in results]}
