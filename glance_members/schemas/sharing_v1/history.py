"""GET /sharing/v1/images/{image_id}/history and /sharing/v1/history."""

from marshmallow import fields
from marshmallow import validate
import marshmallow

from glance_members.schemas.sharing_v1 import common
from glance_members.sharing import history


class HistoryQuery(common.PageQuery):
    marker = fields.Integer(validate=validate.Range(1, 2 ** 63 - 1),
                            metadata={'description': 'The id of the last '
                                      'entry of the previous page.'})


class ProjectHistoryQuery(HistoryQuery):
    as_ = fields.String(data_key='as', load_default='producer',
                        validate=validate.OneOf(history.AS_VALUES))


class State(marshmallow.Schema):
    status = fields.String()
    expires_at = common.UtcDateTime(allow_none=True)


NAME = ('(null when the identity service does not tell it)')


class Actor(marshmallow.Schema):
    user_id = fields.String(allow_none=True)
    user_name = fields.String(allow_none=True, metadata={
        'description': 'The user\'s name ' + NAME})
    project_id = fields.String(allow_none=True)
    project_name = fields.String(allow_none=True, metadata={
        'description': 'The project\'s name ' + NAME})


class Entry(marshmallow.Schema):
    id = fields.Integer()
    image_id = fields.String()
    member_id = fields.String()
    member_name = fields.String(allow_none=True, metadata={
        'description': 'The member project\'s name ' + NAME})
    event = fields.String()
    actor = fields.Nested(Actor)
    request_id = fields.String(allow_none=True)
    created_at = common.UtcDateTime()
    before = fields.Nested(State, allow_none=True)
    after = fields.Nested(State, allow_none=True)


class History(marshmallow.Schema):
    history = fields.List(fields.Nested(Entry))
    next = fields.String()


def entry_view(entry, project_names=None, user_names=None):
    """An entry; the names ({id: name}) of its projects and users."""
    project_names, user_names = project_names or {}, user_names or {}

    def state(status, expires_at):
        return None if status is None else {'status': status,
                                            'expires_at': expires_at}
    return {'id': entry.id, 'image_id': entry.image_id,
            'member_id': entry.member_id,
            'member_name': project_names.get(entry.member_id),
            'event': entry.event,
            'actor': {'user_id': entry.actor_user_id,
                      'user_name': user_names.get(entry.actor_user_id),
                      'project_id': entry.actor_project_id,
                      'project_name': project_names.get(
                          entry.actor_project_id)},
            'request_id': entry.request_id, 'created_at': entry.created_at,
            'before': state(entry.before_status, entry.before_expires_at),
            'after': state(entry.after_status, entry.after_expires_at)}
