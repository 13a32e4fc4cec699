"""The policy enforcer: Glance's rule names and defaults, overridable by file.

`Authorizer.check(ctx, rule, target)` answers yes or no; the sharing rules
decide what a "no" means (403 or a 404 that hides the image).
"""

import itertools
import re
import threading
import time

from oslo_config import cfg
from oslo_policy import _checks
from oslo_policy import policy as oslo_policy

from glance_members.policy import base
from glance_members.policy import discovery
from glance_members.policy import image_members
from glance_members.policy import images
from glance_members.policy import sharing_v1


def list_rules():
    return list(itertools.chain(base.list_rules(), images.list_rules(),
                                image_members.list_rules(),
                                discovery.list_rules(),
                                sharing_v1.list_rules()))


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
    """Wraps an oslo.policy Enforcer with the yes/no questions we ask.

    oslo.policy evaluates a rule in hundreds of microseconds (it inspects
    every check's signature on every call), and a request asks several.
    A decision depends only on the rule, the caller's credentials and the
    target attributes the rule refers to (`%(owner)s`...), so decisions are
    remembered by those, and forgotten whenever the policy file changes
    (looked at no more than once a second). Keyed on the whole target, every
    image would be a new key, and a walk over a list would evaluate the
    policy afresh for each image (figures: benchmarks/README.md).
    """

    CACHE_SIZE = 8192
    RELOAD_INTERVAL = 1.0

    def __init__(self, conf):
        self.enforcer = _new_enforcer(conf)
        self.enforcer.load_rules()
        self._decisions = {}
        self._target_keys = {}  # rule -> the target keys it reads, or None
        self._rules_seen = self.enforcer.rules
        self._next_reload = time.monotonic() + self.RELOAD_INTERVAL
        self._lock = threading.Lock()

    def _reload_rules(self):
        now = time.monotonic()
        if now < self._next_reload:
            return
        self._next_reload = now + self.RELOAD_INTERVAL
        self.enforcer.load_rules()
        if self.enforcer.rules is not self._rules_seen:
            with self._lock:
                self._rules_seen = self.enforcer.rules
                self._decisions.clear()
                self._target_keys.clear()

    def check(self, ctx, rule, target):
        """True when `ctx` may do `rule` to `target`. Wrong scope is a no."""
        self._reload_rules()
        key = self._decision_key(ctx, rule, target)
        decision = None if key is None else self._decisions.get(key)
        if decision is None:
            try:
                decision = bool(self.enforcer.enforce(rule, target, ctx,
                                                      do_raise=False))
            except oslo_policy.InvalidScope:
                decision = False
            if key is not None:
                with self._lock:
                    if len(self._decisions) >= self.CACHE_SIZE:
                        self._decisions.clear()
                    self._decisions[key] = decision
        return decision

    def _decision_key(self, ctx, rule, target):
        """What the decision depends on; None when it cannot be told."""
        names = self._target_keys.get(rule, _UNKNOWN)
        if names is _UNKNOWN:
            names = self._target_keys[rule] = _target_references(
                self.enforcer.rules, rule)
        if names is None:  # a check we cannot see into: the whole target
            names = sorted(target)
        values = tuple(target.get(name, _UNKNOWN) for name in names)
        if not all(isinstance(v, _SCALARS) or v is _UNKNOWN for v in values):
            return None
        return rule, _credentials_key(ctx), tuple(names), values

    def is_admin(self, ctx):
        # Glance: context_is_admin is checked with no scope restriction, so
        # a system-scoped admin is admin; scoped rules still refuse it.
        return self.check(ctx, 'context_is_admin', {})


_UNKNOWN = object()
_SCALARS = (str, int, bool, type(None))
_REFERENCE = re.compile(r'%\(([^)]+)\)s')


def _target_references(rules, name, seen=()):
    """Sorted target keys the rule `name` reads, through the rules it
    refers to; None if one of its checks may read anything (http:...)."""
    if name in seen:
        return []
    try:
        check = rules[name]  # a missing rule means the default rule
    except KeyError:
        return None
    names = set()
    pending = [check]
    while pending:
        check = pending.pop()
        if isinstance(check, (_checks.AndCheck, _checks.OrCheck)):
            pending.extend(check.rules)
        elif isinstance(check, _checks.NotCheck):
            pending.append(check.rule)
        elif isinstance(check, _checks.RuleCheck):
            inner = _target_references(rules, check.match, seen + (name,))
            if inner is None:
                return None
            names.update(inner)
        elif isinstance(check, (_checks.GenericCheck, _checks.RoleCheck)):
            # oslo.policy fills `match` from the target: match % target.
            names.update(_REFERENCE.findall(check.match))
        elif not isinstance(check, (_checks.TrueCheck, _checks.FalseCheck)):
            return None
    return sorted(names)


def _credentials_key(ctx):
    """What of the caller a rule can look at, hashable; computed once per
    request context."""
    key = getattr(ctx, '_policy_key', None)
    if key is None:
        values = ctx.to_policy_values()
        key = tuple(sorted(
            (k, tuple(sorted(v)) if isinstance(v, (list, tuple, set)) else v)
            for k, v in values.items()
            if isinstance(v, (str, int, bool, type(None), list, tuple, set))))
        ctx._policy_key = key
    return key
