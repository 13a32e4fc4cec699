"""POST /sharing/v1/shares and /sharing/v1/shares/revoke."""

from marshmallow import fields
from marshmallow import validate
import marshmallow

from glance_members.schemas import timestamps
from glance_members.schemas.sharing_v1 import common
from glance_members.sharing import batch


class MemberSpec(fields.Field):
    """A project id (a string, or an integer as its decimal string), or
    {"name": ..., "domain": ...} resolved by the identity directory."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if isinstance(value, str):
            if not value or len(value) > common.ID_MAX_LENGTH or \
                    timestamps.has_4byte_unicode(value):
                raise marshmallow.ValidationError(
                    'A member id is 1 to %d characters (no 4 byte unicode).'
                    % common.ID_MAX_LENGTH)
            return value
        if isinstance(value, dict) and set(value) == {'name', 'domain'} and \
                all(isinstance(v, str) and 0 < len(v) <= common.ID_MAX_LENGTH
                    for v in value.values()):
            return dict(value)
        raise marshmallow.ValidationError(
            'A member is a project id or {"name": ..., "domain": ...}.')

    def _jsonschema_type_mapping(self):  # pragma: no cover - docs only
        return {'oneOf': [{'type': 'string'}, {'type': 'object'}]}


class Batch(marshmallow.Schema):
    class Meta:
        unknown = marshmallow.RAISE

    images = fields.List(fields.String(), required=True,
                         validate=validate.Length(1, batch.MAX_IMAGES))
    members = fields.List(MemberSpec(), required=True,
                          validate=validate.Length(1, batch.MAX_MEMBERS))


class ShareBatch(Batch):
    expires_at = common.UtcDateTime(allow_none=True, load_default=None)


class PairResult(marshmallow.Schema):
    image_id = fields.String()
    member_id = fields.String()
    result = fields.String(metadata={'description': 'created, existing, '
                                     'revived, removed or absent'})
    status = fields.String(allow_none=True)
    expires_at = common.UtcDateTime(allow_none=True)


class PairResults(marshmallow.Schema):
    results = fields.List(fields.Nested(PairResult))
