"""The policy enforcer: Glance's rule names and defaults, overridable by file.

`Authorizer.check(ctx, rule, target)` answers yes or no; the sharing rules
decide what a "no" means (403 or a 404 that hides the image).
"""

import itertools

from oslo_config import cfg
from oslo_policy import policy as oslo_policy

from glance_members.policy import base
from glance_members.policy import image_members
from glance_members.policy import images


def list_rules():
    return list(itertools.chain(base.list_rules(), images.list_rules(),
                                image_members.list_rules()))


def get_enforcer():
    """Entry point for oslopolicy-* tools (generator, checker, upgrade)."""
    conf = cfg.ConfigOpts()
    conf([], project='glance-members')
    return _new_enforcer(conf)


def _new_enforcer(conf):
    enforcer = oslo_policy.Enforcer(conf, use_conf=True)
    enforcer.suppress_default_change_warnings = True
    enforcer.register_defaults(list_rules())
    return enforcer


class Authorizer:
    """Wraps an oslo.policy Enforcer with the yes/no questions we ask."""

    def __init__(self, conf):
        self.enforcer = _new_enforcer(conf)
        self.enforcer.load_rules()

    def check(self, ctx, rule, target):
        """True when `ctx` may do `rule` to `target`. Wrong scope is a no."""
        try:
            return bool(self.enforcer.enforce(rule, target, ctx,
                                              do_raise=False))
        except oslo_policy.InvalidScope:
            return False

    def is_admin(self, ctx):
        # Glance: context_is_admin is checked with no scope restriction, so
        # a system-scoped admin is admin; scoped rules still refuse it.
        return self.check(ctx, 'context_is_admin', {})
