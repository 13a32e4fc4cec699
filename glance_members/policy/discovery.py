"""Discovery rules (/v2/info): Glance 33's names, defaults, methods, paths."""

from oslo_policy import policy

from glance_members.policy import base

STORES_INFO_DETAIL = 'stores_info_detail'

rules = [
    policy.DocumentedRuleDefault(
        name=STORES_INFO_DETAIL, check_str=base.ADMIN_OR_SERVICE_ROLE,
        scope_types=['project'],
        description='Expose store specific information',
        operations=[{'path': '/v2/info/stores/detail', 'method': 'GET'}]),
]


def list_rules():
    return rules
