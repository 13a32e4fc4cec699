"""The Rackspace Cloud Images example policy (etc/policy.rackspace.yaml) as
a configuration the real Authorizer loads: test_policy_rackspace.py and
test_policy_decisions.py."""

import os

from oslo_policy import opts as policy_opts

from glance_members import conf as gm_conf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
POLICY_FILE = os.path.join(ROOT, 'etc', 'policy.rackspace.yaml')


def rackspace_conf(path=POLICY_FILE):
    """A ConfigOpts whose [oslo_policy] policy_file is `path`.

    new_conf(overrides={'oslo_policy.policy_file': ...}) cannot be used as
    is: the [oslo_policy] options are registered only when the Enforcer is
    built, after the overrides are applied. Register copies of them first
    (list_opts() returns copies; re-registering an equal option is a no-op
    in oslo.config), then override. set_defaults() is avoided on purpose: it
    changes the process-wide defaults of oslo.policy's option objects.
    """
    conf = gm_conf.new_conf()
    for group, opts in policy_opts.list_opts():
        conf.register_opts(opts, group=group)
    conf.set_override('policy_file', path, group='oslo_policy')
    return conf
