"""Check strings shared by the rules: Glance 33's defaults, piece by piece.

In these strings the left-hand `project_id:` is the caller's project; the
target's `project_id` is the image owner and `member_id` the caller's own
project when it is a consumer of the shared image (see sharing.policy_target).
"""

from oslo_policy import policy

PROJECT_MEMBER = 'role:member and project_id:%(project_id)s'
PROJECT_READER = 'role:reader and project_id:%(project_id)s'
IMAGE_MEMBER_CHECK = 'project_id:%(member_id)s'
COMMUNITY_VISIBILITY_CHECK = "'community':%(visibility)s"
PUBLIC_VISIBILITY_CHECK = "'public':%(visibility)s"
SHARED_VISIBILITY_CHECK = "'shared':%(visibility)s"

_VISIBLE_TO = (f'project_id:%(project_id)s or {IMAGE_MEMBER_CHECK} '
               f'or {COMMUNITY_VISIBILITY_CHECK} or {PUBLIC_VISIBILITY_CHECK} '
               f'or {SHARED_VISIBILITY_CHECK}')

ADMIN = 'rule:context_is_admin'
SERVICE = 'rule:service_api'
ADMIN_OR_SERVICE_ROLE = f'{ADMIN} or {SERVICE}'
ADMIN_OR_PROJECT_MEMBER = f'{ADMIN} or ({PROJECT_MEMBER})'
ADMIN_OR_PROJECT_READER = f'{ADMIN} or ({PROJECT_READER})'
ADMIN_OR_PROJECT_READER_GET_IMAGE = (
    f'{ADMIN} or (role:reader and ({_VISIBLE_TO}))')
ADMIN_OR_PROJECT_MEMBER_DOWNLOAD_IMAGE = (
    f'{ADMIN} or (role:member and ({_VISIBLE_TO}))')
ADMIN_OR_PROJECT_MEMBER_CREATE_IMAGE = (
    f'{ADMIN} or ({PROJECT_MEMBER} and project_id:%(owner)s)')
ADMIN_OR_SHARED_MEMBER = f'{ADMIN} or (role:member and {IMAGE_MEMBER_CHECK})'
ADMIN_OR_PROJECT_READER_OR_SHARED_MEMBER = (
    f'{ADMIN} or '
    f'role:reader and (project_id:%(project_id)s or {IMAGE_MEMBER_CHECK})')

rules = [
    policy.RuleDefault(
        name='default', check_str='',
        description='Rule used for policies that are not otherwise defined.'),
    policy.RuleDefault(
        name='context_is_admin', check_str='role:admin',
        description='Defines the rule for the is_admin:True check.'),
    policy.RuleDefault(
        name='service_api', check_str='role:service or role:admin',
        description='Default rule for the service-to-service API.'),
]


def list_rules():
    return rules
