"""/sharing/v1/images/{image_id}/members: the members with their expiry
(GET), one's expiry (PATCH)."""

from marshmallow import fields
import marshmallow

from glance_members.schemas.sharing_v1 import common
from glance_members.schemas.sharing_v1 import inbox


class Expiry(marshmallow.Schema):
    class Meta:
        unknown = marshmallow.RAISE

    expires_at = common.UtcDateTime(required=True, allow_none=True,
                                    metadata={'description': 'null clears '
                                              'it'})


Share = inbox.Share


class Member(inbox.Share):
    member_name = fields.String(allow_none=True, metadata={
        'description': "The member's project name (null when the identity "
                       "service does not tell it)."})


class Members(marshmallow.Schema):
    members = fields.List(fields.Nested(Member))


def members_view(shares, names):
    return {'members': [dict(vars(s), member_name=names.get(s.member_id))
                        for s in shares]}
