"""The Horizon plugin's Django test-client tests
(horizon_plugin/gm_dashboard/tests/), run by Django's test runner in the
real Horizon 27's venv, against the session's real Keystone and Glance
(tests/support/horizon.py)."""

import json
import re
import subprocess

from testbed.stack import identities

OWNER = 'hz-owner'
OWNER_PROJECTS = ('hz-owner-a', 'hz-owner-b')


def two_project_user(keystone):
    """A user who is a member of two projects (the seed's second Share
    Image scenario), made for this test only."""
    ks = identities.KeystoneAdmin(keystone.admin_token())
    role_ids, _, _ = identities.ensure_roles(ks)
    project_ids = [identities.ensure_project(ks, name)
                   for name in OWNER_PROJECTS]
    user_id = identities.ensure_user(ks, OWNER, identities.PASSWORD,
                                     project_ids[0])
    for project_id in project_ids:
        identities.ensure_grants(ks, user_id, project_id, ['member'],
                                 role_ids)
    return {'user': OWNER, 'projects': list(OWNER_PROJECTS),
            'project_ids': project_ids}


def failures(output):
    """Each failed Django test's header and the start and end of its
    traceback (a page dump in an assertion can run to 100 KB)."""
    blocks = re.split(r'\n={50,}\n', output)[1:]
    shown = [b if len(b) < 3000 else b[:1500] + '\n[...]\n' + b[-1500:]
             for b in blocks]
    return '\n\n'.join(shown) or output[-6000:]


def test_plugin_views(horizon_stack, gm_keystone):
    """Stock Glance in Horizon's default region; glance-members (the
    session's gm_keystone, RegionOne of the same Keystone) in the region
    the extension tests switch to."""
    stack = horizon_stack
    keystone = stack.keystone
    document = {
        'keystone': keystone.url, 'glance': stack.glance.url,
        'projects': {user: stack.project_id(user) for user in (
            'producer', 'consumer', 'consumer2', 'outsider')},
        'two_projects': two_project_user(keystone),
        'sharing': {'url': gm_keystone.url, 'region': 'RegionOne'}}
    env = dict(stack.horizon.env(), GM_HORIZON_TEST=json.dumps(document))
    proc = subprocess.run(
        [str(stack.horizon.venv / 'bin' / 'django-admin'), 'test',
         'gm_dashboard.tests', '-v', '2', '--noinput'],
        cwd=str(stack.horizon.workdir), env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=600)
    print(proc.stdout[-6000:])
    assert proc.returncode == 0, failures(proc.stdout)
    assert 'Ran 0 tests' not in proc.stdout
    assert 'gAAAAA' not in proc.stdout  # no token in what the views log


def test_no_token_in_horizon_log(horizon_stack):
    """Fernet tokens start with gAAAAA: none may reach Horizon's log (its
    request lines carry every URL)."""
    log = (horizon_stack.horizon.workdir / 'horizon.log').read_text(
        errors='replace')
    assert '/project/' in log or '/auth/login/' in log
    assert 'gAAAAA' not in log
