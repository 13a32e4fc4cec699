"""The operator's tools: health check, API document, upgrade checks,
manage commands, and samples that match their generators."""

import os
import shutil
import subprocess
import sys


from glance_members.cmd import manage
from glance_members.cmd import status
from glance_members.db import migrations
from testbed import servers
from tests import conftest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def test_healthcheck_needs_no_token_and_checks_the_database(client):
    r = client.get('/healthcheck', headers={'Accept': 'application/json'})
    assert r.status_code == 200
    assert r.json['reasons'] == ['OK', 'DATABASE OK']


def test_healthcheck_asks_its_own_apps_database(tmp_path):
    """Two apps in one process: each one's health is its own database's,
    whichever was connected last (the models' global proxy)."""
    up = conftest.make_app(str(tmp_path / 'up'))
    down_dir = tmp_path / 'down'
    down = conftest.make_app(str(down_dir), 'sqlite:///%s' % (
        down_dir / 'gm.sqlite'))
    # The second app's database goes away: closed, its directory removed,
    # so it cannot be opened again.
    down.extensions['glance_members'].repo.database.close()
    shutil.rmtree(down_dir)
    r = down.test_client().get('/healthcheck')
    assert r.status_code == 503
    assert r.data == b'OK\nDATABASE UNAVAILABLE'
    r = up.test_client().get('/healthcheck',
                             headers={'Accept': 'application/json'})
    assert r.status_code == 200
    assert r.json['reasons'] == ['OK', 'DATABASE OK']


def test_healthcheck_disable_file_drains_the_node(app, client):
    conf = app.extensions['glance_members'].conf
    path = conf.healthcheck.disable_by_file_path
    open(path, 'w').close()
    try:
        r = client.get('/healthcheck')
        assert r.status_code == 503
        assert r.data.startswith(b'DISABLED BY FILE')
    finally:
        os.unlink(path)
    assert client.get('/healthcheck').status_code == 200


def test_openapi_document_lists_every_route(app, client):
    r = client.get('/openapi.json')
    assert r.status_code == 200
    served = {path for path in r.json['paths']
              if path.startswith(('/v2/', '/sharing/v1/'))}
    rules = {rule.rule.replace('<', '{').replace('>', '}')
             for rule in app.url_map.iter_rules()
             if rule.rule.startswith(('/v2/', '/sharing/v1/')) and
             rule.endpoint != 'static'}
    rules = {'/v2/schemas/{name}' if r.startswith('/v2/schemas/') else r
             for r in rules}
    assert served == rules


def _conf_file(tmp_path, extra=''):
    path = tmp_path / 'gm.conf'
    path.write_text('[DEFAULT]\ndata_dir = %s\n%s' % (tmp_path / 'd', extra))
    return str(path)


def test_upgrade_check_fails_until_db_sync(tmp_path, capsys):
    config = _conf_file(tmp_path)
    assert status.main(['--config', config, 'upgrade', 'check']) == 2
    assert manage.main(['--config', config, 'db', 'sync']) == 0
    assert status.main(['--config', config, 'upgrade', 'check']) == 0
    manage.main(['--config', config, 'db', 'version'])
    assert capsys.readouterr().out.strip().endswith(str(migrations.head()))


def test_upgrade_check_finds_an_incomplete_keystone_section(tmp_path):
    config = _conf_file(tmp_path, '[auth]\nbackend = keystone\n'
                        '[keystone_authtoken]\nauth_type = password\n')
    manage.main(['--config', config, 'db', 'sync'])
    assert status.main(['--config', config, 'upgrade', 'check']) == 2


def test_upgrade_check_finds_a_broken_policy_file(tmp_path):
    policy = tmp_path / 'policy.yaml'
    policy.write_text('"add_member": "role:member and ("\n')
    config = _conf_file(tmp_path, '[oslo_policy]\npolicy_file = %s\n'
                        % policy)
    manage.main(['--config', config, 'db', 'sync'])
    assert status.main(['--config', config, 'upgrade', 'check']) == 2


def _generated(tool, config, tmp_path):
    out = tmp_path / 'sample'
    subprocess.run([os.path.join(os.path.dirname(sys.executable), tool),
                    '--config-file', os.path.join(ROOT, 'etc', config),
                    '--output-file', str(out)], check=True, cwd=ROOT,
                   capture_output=True, env=servers.child_env())
    return out.read_text()


def test_config_sample_is_what_the_generator_writes(tmp_path):
    committed = open(os.path.join(ROOT, 'etc',
                                  'glance-members.conf.sample')).read()
    assert _generated('oslo-config-generator', 'oslo-config-generator.conf',
                      tmp_path) == committed


def test_policy_sample_is_what_the_generator_writes(tmp_path):
    committed = open(os.path.join(ROOT, 'etc', 'policy.yaml.sample')).read()
    assert _generated('oslopolicy-sample-generator',
                      'oslo-policy-generator.conf', tmp_path) == committed


def test_every_log_line_of_a_request_carries_its_id(client, caplog):
    import logging
    from glance_members import logs
    from testbed import personas
    caplog.set_level(logging.INFO, logger='glance_members.access')
    caplog.handler.addFilter(logs.RequestContextFilter())
    r = client.get('/v2/images?limit=1', headers={
        'X-Auth-Token': personas.token('producer'),
        'X-Openstack-Request-Id': 'req-0123'})
    assert r.status_code == 200
    (record,) = [rec for rec in caplog.records
                 if rec.name == 'glance_members.access']
    assert record.request_id == 'req-0123'
    assert record.project_id == personas.PRODUCER_PROJECT
    assert record.getMessage().startswith('GET /v2/images?limit=1 200 ')
    assert 'tok-producer' not in record.getMessage()


def test_manage_members_list_export_purge(app, client, tmp_path, capsys):
    import json as json_module
    from testbed import personas
    headers = {'X-Auth-Token': personas.token('producer')}
    image_id = client.post('/v2/images', json={'name': 'x'},
                           headers=headers).json['id']
    for project in (personas.CONSUMER_PROJECT, personas.CONSUMER2_PROJECT):
        assert client.post('/v2/images/%s/members' % image_id,
                           json={'member': project},
                           headers=headers).status_code == 200
    repo = app.extensions['glance_members'].repo

    def run(*argv):
        args = manage.parse_args(list(argv))
        code = manage.members_command(args, repo, sys.stdout)
        return code, capsys.readouterr().out

    code, out = run('members', 'list', '--image', image_id)
    assert code == 0 and out.count('pending') == 2
    code, out = run('members', 'export', '--project',
                    personas.CONSUMER_PROJECT)
    (line,) = out.splitlines()
    assert json_module.loads(line)['image_id'] == image_id
    code, out = run('members', 'purge', '--project',
                    personas.CONSUMER_PROJECT)
    assert code == 1 and '1 current memberships would be purged' in out
    code, out = run('members', 'purge', '--project',
                    personas.CONSUMER_PROJECT, '--yes')
    assert code == 0 and 'Purged 1' in out
    r = client.get('/v2/images/%s/members' % image_id, headers=headers)
    assert [m['member_id'] for m in r.json['members']] == [
        personas.CONSUMER2_PROJECT]
