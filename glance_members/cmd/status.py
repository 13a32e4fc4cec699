"""`glance-members-status upgrade check`: the OpenStack upgrade checks.

Exit codes follow oslo.upgradecheck: 0 success, 1 warning, 2 failure.
"""

import sys

from oslo_config import cfg
from oslo_policy import _checks
from oslo_policy import _parser
from oslo_policy import policy as oslo_policy
from oslo_upgradecheck import upgradecheck

from glance_members import cmd
from glance_members import conf as gm_conf
from glance_members import db
from glance_members.db import migrations
from glance_members import policy

# What keystonemiddleware needs to validate tokens with a password plugin.
_KEYSTONE_REQUIRED = ('www_authenticate_uri', 'auth_url', 'auth_type',
                      'username', 'password', 'project_name')


class Checks(upgradecheck.UpgradeCommands):

    def __init__(self, conf):
        self.conf = conf

    def _check_database(self):
        url = gm_conf.database_url(self.conf)
        missing = db.missing_sqlite_file(url)
        if missing:
            # A check reads; it does not create the database it checks.
            return upgradecheck.Result(
                upgradecheck.Code.FAILURE,
                'No database at %s: run `glance-members-manage db sync` '
                '(or start the embedded default once).' % missing)
        try:
            database = db.connect(url, self.conf.database.busy_timeout)
            current = db.version(database)
            database.close()
        except Exception as e:  # noqa: BLE001 - report whatever it is
            return upgradecheck.Result(upgradecheck.Code.FAILURE,
                                       'Cannot read the database: %s' % e)
        if current != migrations.head():
            return upgradecheck.Result(
                upgradecheck.Code.FAILURE,
                'Database schema is at version %d, head is %d: run '
                '`glance-members-manage db sync`.'
                % (current, migrations.head()))
        return upgradecheck.Result(upgradecheck.Code.SUCCESS)

    def _check_policy(self):
        try:
            authz = policy.Authorizer(self.conf)
            authz.enforcer.check_rules(raise_on_violation=True)
        except (oslo_policy.InvalidDefinitionError, ValueError,
                OSError) as e:
            return upgradecheck.Result(upgradecheck.Code.FAILURE,
                                       'Policy file is not valid: %s' % e)
        # oslo.policy reads a check string it cannot parse as "never":
        # say so here rather than let a typo lock every user out.
        broken = [name for name, rule in authz.enforcer.file_rules.items()
                  if rule.check_str.strip() != '!' and isinstance(
                      _parser.parse_rule(rule.check_str),
                      _checks.FalseCheck)]
        if broken:
            return upgradecheck.Result(
                upgradecheck.Code.FAILURE,
                'Policy rules that cannot be parsed: %s' % ', '.join(broken))
        return upgradecheck.Result(upgradecheck.Code.SUCCESS)

    def _check_keystone(self):
        if self.conf.auth.backend != 'keystone':
            return upgradecheck.Result(
                upgradecheck.Code.SUCCESS,
                'auth backend is %r: no Keystone needed'
                % self.conf.auth.backend)
        from keystoneauth1 import loading
        from keystonemiddleware.auth_token import _opts
        group = 'keystone_authtoken'
        for _, opts in _opts.list_opts():
            self.conf.register_opts(opts, group=group)
        loading.register_auth_conf_options(self.conf, group)
        plugin = self.conf[group].auth_type
        if plugin:
            try:
                plugin_opts = loading.get_auth_plugin_conf_options(plugin)
            except Exception as e:  # noqa: BLE001 - unknown plugin name
                return upgradecheck.Result(
                    upgradecheck.Code.FAILURE,
                    '[keystone_authtoken] auth_type %r: %s' % (plugin, e))
            self.conf.register_opts(plugin_opts, group=group)
        missing = [name for name in _KEYSTONE_REQUIRED
                   if not getattr(self.conf[group], name, None)]
        if missing:
            return upgradecheck.Result(
                upgradecheck.Code.FAILURE,
                '[keystone_authtoken] lacks: %s' % ', '.join(missing))
        return upgradecheck.Result(upgradecheck.Code.SUCCESS)

    _upgrade_checks = (
        ('Database schema', _check_database),
        ('Policy file', _check_policy),
        ('Keystone section', _check_keystone),
    )


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    config_file = None
    if len(argv) >= 2 and argv[0] in ('--config', '--config-file'):
        config_file, argv = argv[1], argv[2:]
    conf = cmd.load_conf('glance-members-status', config_file)
    command_conf = cfg.ConfigOpts()
    return upgradecheck.main(command_conf, project='glance-members',
                             upgrade_command=Checks(conf),
                             argv=argv, default_config_files=[])


if __name__ == '__main__':
    sys.exit(main())
