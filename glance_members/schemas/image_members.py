"""Member wire format: the request bodies and the six-key member object."""

from marshmallow import fields
import marshmallow

from glance_members import exception
from glance_members.schemas import timestamps

MEMBER_MAX_LENGTH = 255


class MemberSchema(marshmallow.Schema):
    """Glance's member view: exactly these keys, in this order."""
    member_id = fields.String(required=True)
    image_id = fields.String(required=True)
    status = fields.String(required=True)
    created_at = timestamps.IsoTime(required=True)
    updated_at = timestamps.IsoTime(required=True)
    schema = fields.Constant('/v2/schemas/member', required=True)


class MembersSchema(marshmallow.Schema):
    members = fields.List(fields.Nested(MemberSchema), required=True)
    schema = fields.Constant('/v2/schemas/members', required=True)


# The hot path renders with these plain functions: the same six keys as
# MemberSchema (a unit test holds them equal), at a fraction of the cost of
# a marshmallow dump, which dominated a 50-member list.

_isotimes = timestamps.isotimes


def member_view(member):
    created_at, updated_at = _isotimes(member.created_at, member.updated_at)
    return {'member_id': member.member_id, 'image_id': member.image_id,
            'status': member.status, 'created_at': created_at,
            'updated_at': updated_at, 'schema': '/v2/schemas/member'}


def members_view(members):
    return {'members': [member_view(m) for m in members],
            'schema': '/v2/schemas/members'}


class MemberCreateSchema(marshmallow.Schema):
    """Documents POST .../members; parse_create enforces Glance's rules."""
    member = fields.Raw(required=True, metadata={'oneOf': [
        {'type': 'string', 'minLength': 1, 'maxLength': MEMBER_MAX_LENGTH},
        {'type': 'integer'}]})


class MemberUpdateSchema(marshmallow.Schema):
    status = fields.String(required=True)


def parse_create(document):
    """The member id from {"member": "<project>"}, with Glance's messages.

    Glance takes any truthy JSON value; we take a non-empty string of at
    most 255 characters, or an integer as its decimal string (Rackspace
    tenant ids are numbers, and scripts send them unquoted). Anything else
    breaks the member schema that clients validate against (and crashes
    Glance).
    """
    if not isinstance(document, dict):
        raise exception.Invalid(
            'Expected a member in the form: {"member": "image_id"}')
    if 'member' not in document:
        raise exception.Invalid('Member to be added not specified')
    member = document['member']
    if not member:
        raise exception.Invalid("Member can't be empty")
    if isinstance(member, int) and not isinstance(member, bool):
        member = str(member)  # JSON true is a bool, which is an int
    if not isinstance(member, str):
        raise exception.Invalid(
            'Expected a member in the form: {"member": "image_id"}')
    if len(member) > MEMBER_MAX_LENGTH:
        raise exception.Invalid("Member can't be longer than %d characters."
                                % MEMBER_MAX_LENGTH)
    if timestamps.has_4byte_unicode(member):
        raise exception.Invalid("Member can't contain 4 byte unicode "
                                "characters.")
    return member


def parse_update(document):
    """The status from {"status": ...}; its value is the sharing rules' to
    judge, after policy (Glance's order)."""
    if not isinstance(document, dict):
        raise exception.Invalid(
            'Expected a status in the form: {"status": "status"}')
    if 'status' not in document:
        raise exception.Invalid('Status not specified')
    return document['status']
