"""Other projects' own image tests, unchanged, as the judge of this service:
tempest's whole ``tempest.api.image.v2`` and the functional image tests of
python-openstackclient, openstacksdk and python-glanceclient, from the
versions pinned for the other client tests.

``ensure_peer_venv()`` builds ``<cache root>/venv-peer-suites`` once: the
clients of ``clients.py`` and tempest 47.0.0 (whose ``tempest.lib`` the
clients' functional bases import), pinned by ``constraints-peer-suites.txt``.

:class:`ClientSuites` writes the ``clouds.yaml`` the clients' functional
bases read (devstack's cloud names: ``devstack`` is the producer,
``devstack-alt`` the consumer, ``devstack-admin`` the admin,
``devstack-system-admin`` the admin on the system), with the image endpoint
of one Keystone region, and runs each suite's test modules in the venv with
:data:`RUNNER` (unittest's loader and a result that records every test's
outcome as JSON).

``GLANCE33_OUTCOMES`` (``tests/data/peer_suites_glance33.json``) holds what
the same runs gave against a real Glance 33.0.0 on the same Keystone
(``python -m tests.integration.record_peer_suites`` rewrites it).
:data:`NOT_SERVED` lists the tests that pass there and are expected not to
pass here, each with its reason: only metadata definitions, tasks and
interoperable import, which the standalone service does not serve (README,
"What is served"). :func:`judge` compares a run with both.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import requests

from tests.support import clients
from testbed.stack import identities as ids_mod
from tests.support import tempest_runner
from testbed import venvs
from testbed import processes

HERE = Path(__file__).resolve().parent
CONSTRAINTS = HERE / 'constraints-peer-suites.txt'
VENV_NAME = 'venv-peer-suites'
PACKAGES = clients.CLIENT_PACKAGES + (
    'tempest==%s' % tempest_runner.TEMPEST_VERSION, 'oslotest')
GLANCE33_OUTCOMES = (HERE.parent / 'data' / 'peer_suites_glance33.json')
RUN_TIMEOUT = 1200
TEMPEST_REGEX = r'^tempest\.api\.image\.v2\.'

# suite -> the test modules run (the whole image part of each suite).
SUITES = {
    'osc': ['openstackclient.tests.functional.image.v2.test_image',
            'openstackclient.tests.functional.image.v2.test_info',
            'openstackclient.tests.functional.image.v2.test_cache',
            'openstackclient.tests.functional.image.v2.test_metadef_objects',
            'openstackclient.tests.functional.image.v2.'
            'test_metadef_resource_type'],
    'sdk': ['openstack.tests.functional.image.v2.test_image',
            'openstack.tests.functional.image.v2.test_member',
            'openstack.tests.functional.image.v2.test_schema',
            'openstack.tests.functional.image.v2.test_task',
            'openstack.tests.functional.image.v2.test_metadef_namespace',
            'openstack.tests.functional.image.v2.test_metadef_object',
            'openstack.tests.functional.image.v2.test_metadef_property',
            'openstack.tests.functional.image.v2.test_metadef_resource_type',
            'openstack.tests.functional.image.v2.test_metadef_schema'],
    'glanceclient': ['glanceclient.tests.functional.v2.test_readonly_glance',
                     'glanceclient.tests.functional.v2.test_http_headers'],
}

# OSC's tests spend their time starting `openstack` processes (CPU in the
# client, little in the server): two runners use both cores.
SHARDS = {'osc': 2}

METADEFS = ('metadata definitions (/v2/metadefs, /v2/schemas/metadefs) are '
            'not served by the standalone service (README, "What is '
            'served"): 404')
TASKS = ('tasks (/v2/tasks, /v2/schemas/task[s]) are not served by the '
         'standalone service (README, "What is served"): 404')
# Tests that pass on Glance 33 and are expected not to pass here, each
# with its reason (suite -> {test id: reason}).
_TEMPEST_METADEF_SCHEMAS = (
    'tempest.api.image.v2.test_images_metadefs_schema.MetadataSchemaTest.'
    'test_get_metadata_%s_schema')
_OSC = 'openstackclient.tests.functional.image.v2.'
_SDK = 'openstack.tests.functional.image.v2.'
NOT_SERVED = {
    'tempest': {_TEMPEST_METADEF_SCHEMAS % kind: METADEFS for kind in (
        'namespace', 'namespaces', 'object', 'objects', 'properties',
        'property', 'resource_type', 'resources_types', 'tag', 'tags')},
    'osc': {
        _OSC + 'test_metadef_objects.MetadefObjectTests.'
        'test_metadef_objects': METADEFS,
        _OSC + 'test_metadef_resource_type.ImageMetadefResourceTypeTests.'
        'test_metadef_resource_type': METADEFS,
    },
    'sdk': dict({
        _SDK + 'test_metadef_namespace.TestMetadefNamespace.'
        'test_metadef_namespace': METADEFS,
        _SDK + 'test_metadef_namespace.TestMetadefNamespace.test_tags':
            METADEFS,
        _SDK + 'test_metadef_object.TestMetadefObject.test_metadef_objects':
            METADEFS,
        _SDK + 'test_metadef_property.TestMetadefProperty.'
        'test_metadef_property': METADEFS,
        _SDK + 'test_metadef_resource_type.TestMetadefResourceType.'
        'test_metadef_resource_types': METADEFS,
        _SDK + 'test_task.TestTask.test_tasks': TASKS,
    }, **{_SDK + 'test_metadef_schema.TestMetadefSchema.'
          'test_get_metadef_%s_schema' % kind: METADEFS for kind in (
              'namespace', 'namespaces', 'object', 'objects', 'properties',
              'property', 'resource_type', 'resource_types', 'tag',
              'tags')}),
    'glanceclient': {},
}

# Runs inside the venv: python RUNNER OUT_JSON SHARD SHARDS MODULE...; runs
# every SHARDS-th test of the modules, from the SHARD-th on.
RUNNER = r'''
import json, sys, time, unittest
out, shard, shards, names = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                             sys.argv[4:])
outcomes = {}

class Recording(unittest.TextTestResult):
    def _set(self, test, outcome, detail=''):
        outcomes[test.id()] = [outcome, detail[-2000:]]
    def addSuccess(self, test):
        super().addSuccess(test); self._set(test, 'passed')
    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._set(test, 'failed', self._exc_info_to_string(err, test))
    def addError(self, test, err):
        super().addError(test, err)
        self._set(test, 'failed', self._exc_info_to_string(err, test))
    def addSkip(self, test, reason):
        super().addSkip(test, reason); self._set(test, 'skipped', reason)
    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err); self._set(test, 'failed')
    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test); self._set(test, 'passed')

loaded = unittest.TestSuite()
for name in names:
    try:
        loaded.addTests(unittest.defaultTestLoader.loadTestsFromName(name))
    except Exception as e:  # a module that does not import is a failure
        outcomes[name] = ['failed', 'import: %r' % e]

def flat(tests):
    for test in tests:
        if isinstance(test, unittest.TestSuite):
            yield from flat(test)
        else:
            yield test

suite = unittest.TestSuite(list(flat(loaded))[shard::shards])
unittest.TextTestRunner(stream=sys.stderr, verbosity=2,
                        resultclass=Recording).run(suite)
with open(out, 'w') as f:
    json.dump(outcomes, f, indent=1, sort_keys=True)
'''

CONTRIBUTING = ('The image data openstacksdk\'s functional TestImage '
                'uploads.\n' * 40)

CLOUDS = {'devstack': ('producer', 'producer'),
          'devstack-alt': ('consumer', 'consumer'),
          'devstack-admin': ('admin', 'admin'),
          'devstack-system-admin': ('admin', None)}


def ensure_peer_venv(cache_root=None):
    return venvs.ensure_venv(VENV_NAME, PACKAGES, CONSTRAINTS,
                             ('openstack', 'glance', 'python'), cache_root)


# devstack uploads a cirros image; openstacksdk's functional base picks
# one by name in setUp and fails without it.
SENSIBLE_IMAGE = {'name': 'cirros-0.6.2-x86_64-disk', 'disk_format': 'qcow2',
                  'container_format': 'bare', 'visibility': 'public'}


def prepare_region(keystone, region, image_url):
    """What a devstack region has and the suites expect: Keystone's own
    endpoint in `region` too (OSC resolves project names through the
    identity service of its region) and a public cirros image at
    `image_url`, created by the admin; idempotent."""
    ks = ids_mod.KeystoneAdmin(keystone.admin_token())
    try:
        service = ks.find('services', type='identity')[0]
        public = ks.find('endpoints', service_id=service['id'],
                         interface='public')
        if not [e for e in public if e['region_id'] == region]:
            ks.post('/endpoints', {'endpoint': {
                'service_id': service['id'], 'interface': 'public',
                'region_id': region, 'url': public[0]['url'],
                'enabled': True}})
    finally:
        ks.close()
    headers = {'X-Auth-Token': keystone.token('admin')}
    listed = requests.get(image_url + '/v2/images', headers=headers,
                          params={'name': SENSIBLE_IMAGE['name']},
                          timeout=60)
    listed.raise_for_status()
    if not listed.json()['images']:
        requests.post(image_url + '/v2/images', headers=headers,
                      json=SENSIBLE_IMAGE, timeout=60).raise_for_status()


def release_region(keystone, region):
    """Remove every endpoint of `region` (the catalog is the session's)."""
    ks = ids_mod.KeystoneAdmin(keystone.admin_token())
    try:
        for endpoint in ks.find('endpoints', region_id=region):
            ks.call('DELETE', '/endpoints/' + endpoint['id'],
                    expect=(204, 404))
    finally:
        ks.close()


def clouds_yaml(keystone, region):
    """clouds.yaml text: devstack's cloud names, the test identities, the
    image endpoint of `region`."""
    lines = ['clouds:']
    for cloud, (user, project) in CLOUDS.items():
        password = keystone.password(user)
        lines += ['  %s:' % cloud, '    region_name: %s' % region,
                  '    identity_api_version: 3', '    interface: public',
                  '    auth:', '      auth_url: %s' % keystone.url,
                  '      username: %s' % user,
                  '      password: %s' % json.dumps(password),
                  '      user_domain_id: default',
                  '      user_domain_name: Default']
        if project:
            lines += ['      project_name: %s' % project,
                      '      project_domain_id: default',
                      '      project_domain_name: Default']
        else:
            lines += ['      system_scope: all']
    return '\n'.join(lines) + '\n'


class ClientSuites:
    """The clients' functional image tests against the image endpoint of
    `region` in `keystone`'s catalog; `workdir` holds HOME and results."""

    def __init__(self, keystone, region, workdir, venv=None):
        self.keystone = keystone
        self.region = region
        self.workdir = Path(workdir)
        self.venv = Path(venv) if venv else ensure_peer_venv()
        self.home = self.workdir / 'home'
        (self.home / '.config' / 'openstack').mkdir(parents=True,
                                                    exist_ok=True)
        (self.home / '.config' / 'openstack' / 'clouds.yaml').write_text(
            clouds_yaml(keystone, region))
        (self.workdir / 'runner.py').write_text(RUNNER)
        # openstacksdk's TestImage uploads the file of this name from its
        # repository's root (the working directory) as image data.
        (self.workdir / 'CONTRIBUTING.rst').write_text(CONTRIBUTING)

    def env(self):
        env = venvs.clean_env(HOME=str(self.home))
        env['PATH'] = '%s%s%s' % (self.venv / 'bin', os.pathsep,
                                  env.get('PATH', ''))
        env['OS_GLANCECLIENT_EXEC_DIR'] = str(self.venv / 'bin')
        return env

    def run(self, suite):
        """{test id: [outcome, detail]} of one suite, its tests split
        across SHARDS[suite] concurrent runners."""
        shards = SHARDS.get(suite, 1)
        runs = []
        for shard in range(shards):
            out = self.workdir / ('%s-%d.json' % (suite, shard))
            log = self.workdir / ('%s-%d.log' % (suite, shard))
            with open(log, 'w') as f:
                runs.append((out, log, subprocess.Popen(
                    [str(self.venv / 'bin' / 'python'),
                     str(self.workdir / 'runner.py'), str(out), str(shard),
                     str(shards)] + SUITES[suite],
                    stdin=subprocess.DEVNULL, stdout=f,
                    stderr=subprocess.STDOUT, env=self.env(),
                    cwd=str(self.workdir), start_new_session=True)))
        outcomes = {}
        try:
            for out, log, proc in runs:
                rc = proc.wait(timeout=RUN_TIMEOUT)
                if not out.exists():
                    raise RuntimeError(
                        '%s suite wrote no results (rc %s):\n%s'
                        % (suite, rc, venvs.tail(log, 60)))
                outcomes.update(json.loads(out.read_text()))
        finally:
            for _, _, proc in runs:
                processes.stop_group(proc)  # only those still running
        return outcomes


def bare(test_id):
    """A tempest id without its [id-...,smoke] attributes."""
    return test_id.split('[', 1)[0]


def not_served_reason(suite, test_id):
    return NOT_SERVED[suite].get(test_id)


def load_glance33():
    return json.loads(GLANCE33_OUTCOMES.read_text())


def judge(suite, outcomes, glance33):
    """Problems of one suite's run (empty: the run passes): a test that
    passed on Glance 33 and does not pass here, outside NOT_SERVED; a test
    in NOT_SERVED that passes here (the list would be wrong); a test Glance
    33 ran that did not run here."""
    problems = []
    reference = glance33[suite]
    for test_id, (outcome, *_) in sorted(reference.items()):
        got = outcomes.get(test_id, ['missing', ''])
        reason = not_served_reason(suite, test_id)
        if outcome == 'passed' and got[0] != 'passed' and reason is None:
            problems.append('%s: passes on Glance 33, %s here: %s' % (
                test_id, got[0], got[1][-1500:] if len(got) > 1 else ''))
        if reason is not None and outcome == 'passed' and \
                got[0] == 'passed':
            problems.append('%s: listed as not served, passes here' %
                            test_id)
    return problems


def counts(outcomes):
    result = {'passed': 0, 'failed': 0, 'skipped': 0}
    for outcome, *_ in outcomes.values():
        result[outcome if outcome in result else 'failed'] += 1
    return result


def tempest_outcomes(run):
    """A TempestRun's outcomes in this module's form."""
    mapping = {'ok': 'passed', 'FAILED': 'failed'}
    return {bare(t): [mapping.get(o, 'skipped' if o.lower().startswith(
        'skip') else 'failed'), ''] for t, o in run.outcomes.items()}


if __name__ == '__main__':  # pragma: no cover
    print(json.dumps(SUITES, indent=1), file=sys.stderr)
