"""Image member rules: Glance 33's names, defaults, methods and paths."""

from oslo_policy import policy

from glance_members.policy import base

ADD_MEMBER = 'add_member'
DELETE_MEMBER = 'delete_member'
GET_MEMBER = 'get_member'
GET_MEMBERS = 'get_members'
MODIFY_MEMBER = 'modify_member'

_MEMBERS = '/v2/images/{image_id}/members'
_MEMBER = _MEMBERS + '/{member_id}'


def _rule(name, check_str, description, method, path):
    return policy.DocumentedRuleDefault(
        name=name, check_str=check_str, scope_types=['project'],
        description=description,
        operations=[{'path': path, 'method': method}])


rules = [
    _rule(ADD_MEMBER, base.ADMIN_OR_PROJECT_MEMBER,
          'Create image member', 'POST', _MEMBERS),
    _rule(DELETE_MEMBER, base.ADMIN_OR_PROJECT_MEMBER,
          'Delete image member', 'DELETE', _MEMBER),
    _rule(GET_MEMBER, base.ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER,
          'Show image member details', 'GET', _MEMBER),
    _rule(GET_MEMBERS, base.ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER,
          'List image members', 'GET', _MEMBERS),
    _rule(MODIFY_MEMBER, base.ADMIN_OR_SHARED_MEMBER,
          'Update image member', 'PUT', _MEMBER),
]


def list_rules():
    return rules
