"""PATCH /sharing/v1/images/{image_id}/members/{member_id}: expiry."""

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
