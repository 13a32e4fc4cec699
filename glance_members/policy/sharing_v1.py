"""The /sharing/v1 rules: `sharing:...` names, defaults that follow
Glance's (a consumer's decisions as modify_member, a producer's as
add_member / delete_member, reading as get_members), so a policy file that
overrides those extends to these naturally.

Targets: per image, the image's (sharing.policy_target: project_id is the
owner, member_id the caller's project when it is a consumer); for the
caller's own lists and decisions (inbox, trusted producers, history),
project_id and member_id are both the caller's project.
"""

from oslo_policy import policy

from glance_members.policy import base

LIST_INBOX = 'sharing:inbox:list'
DECIDE = 'sharing:inbox:decide'
LEAVE = 'sharing:inbox:leave'
LIST_TRUSTS = 'sharing:trusted_producers:list'
ADD_TRUST = 'sharing:trusted_producers:add'
REMOVE_TRUST = 'sharing:trusted_producers:remove'
SHARE = 'sharing:shares:create'
REVOKE = 'sharing:shares:revoke'
SET_EXPIRY = 'sharing:member:set_expiry'
IMAGE_HISTORY = 'sharing:history:image'
PROJECT_HISTORY = 'sharing:history:project'
SHOW_PROJECT = 'sharing:projects:show'

_ROOT = '/sharing/v1'


def _rule(name, check_str, description, operations):
    return policy.DocumentedRuleDefault(
        name=name, check_str=check_str, scope_types=['project'],
        description=description,
        operations=[{'method': m, 'path': _ROOT + p} for m, p in operations])


rules = [
    _rule(LIST_INBOX, base.ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER,
          "List the caller's project's shares (as get_members).",
          [('GET', '/inbox')]),
    _rule(DECIDE, base.ADMIN_OR_SHARED_MEMBER,
          'Accept, reject or reset shares in bulk (as modify_member).',
          [('POST', '/inbox/decisions')]),
    _rule(LEAVE, base.ADMIN_OR_SHARED_MEMBER,
          "Remove the caller's project's own membership (as "
          "modify_member).", [('DELETE', '/inbox/{image_id}')]),
    _rule(LIST_TRUSTS, base.ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER,
          'List the producers whose shares arrive accepted (as '
          'get_members).', [('GET', '/trusted-producers')]),
    _rule(ADD_TRUST, base.ADMIN_OR_SHARED_MEMBER,
          'Trust a producer: its shares arrive accepted (as '
          'modify_member).', [('PUT', '/trusted-producers/{project_id}')]),
    _rule(REMOVE_TRUST, base.ADMIN_OR_SHARED_MEMBER,
          'Stop trusting a producer (as modify_member).',
          [('DELETE', '/trusted-producers/{project_id}')]),
    _rule(SHARE, base.ADMIN_OR_PROJECT_MEMBER,
          'Share images with projects in one request, checked on each '
          'image (as add_member).', [('POST', '/shares')]),
    _rule(REVOKE, base.ADMIN_OR_PROJECT_MEMBER,
          'Revoke shares in one request, checked on each image (as '
          'delete_member).', [('POST', '/shares/revoke')]),
    _rule(SET_EXPIRY, base.ADMIN_OR_PROJECT_MEMBER,
          "Set or clear a membership's expiry (as add_member).",
          [('PATCH', '/images/{image_id}/members/{member_id}')]),
    _rule(IMAGE_HISTORY, base.ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER,
          "An image's membership history: the owner's every row, a "
          "member's own (as get_members).",
          [('GET', '/images/{image_id}/history')]),
    _rule(PROJECT_HISTORY, base.ADMIN_OR_PROJECT_READER,
          "The membership history of the caller's project, as producer "
          "or consumer (as get_images).", [('GET', '/history')]),
    _rule(SHOW_PROJECT, base.ADMIN_OR_PROJECT_MEMBER,
          'Whose project an id is (its name), before sharing with it (as '
          'add_member).', [('GET', '/projects/{project_id}')]),
]


def list_rules():
    return rules
