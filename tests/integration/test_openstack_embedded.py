"""The README's `openstack` command lines for the embedded default, run as
written: the stock `openstack` (python-openstackclient 10.5.0 from PyPI,
the cached client venv, with this checkout's plugin installed) against a
fresh `glance-members serve` with no config (tests.support.embedded), with
the tokens and project ids its banner printed pasted where the README says
so.

The command lines are read from README.md ("The `openstack` command on
the embedded default"), so the docs cannot drift from what works.
"""

import json
import os
import pathlib
import re
import subprocess
import urllib.error
import urllib.request

import pytest

from tests.support import embedded as browser_embedded
from tests.support import clients
from testbed import venvs

README = pathlib.Path(__file__).resolve().parents[2] / 'README.md'
SECTION = '### The `openstack` command on the embedded default'
SH_BLOCK = re.compile(r'^```sh\n(.*?)^```', re.S | re.M)
# `NAME=...`: a value the reader pastes from what `serve` printed.
PASTED = re.compile(r'^(\w+)=\S*\.\.\.(\s+#.*)?$')
README_PORT = '127.0.0.1:9292'
MARK = '@@gm-readme-command '
# What the README must show, each at least once.
REQUIRED = ('openstack image list', 'openstack image create',
            '--file', 'openstack image set --shared',
            'openstack image add project', 'openstack image member list',
            'openstack image set --accept', 'openstack image share batch',
            'openstack image share inbox', 'openstack image share accept',
            'openstack image share history', 'openstack image share leave',
            'openstack image share trust add',
            'openstack image share trust list',
            'openstack image share trust remove',
            'openstack image share revoke')
NOT_A_PROJECT = 'Member %s is not an existing, enabled project.'


def readme_lines():
    text = README.read_text(encoding='utf-8')
    start = text.index(SECTION)
    end = re.compile(r'^##+ ', re.M).search(text, start + len(SECTION))
    blocks = SH_BLOCK.findall(text[start:end.start()])
    assert len(blocks) == 2, blocks
    return [line for block in blocks for line in block.splitlines()
            if line.strip() and not line.lstrip().startswith('#')]


class Embedded:
    """A running embedded default, its printed identities, the stock
    client's environment."""

    def __init__(self, running, venv, workdir):
        self.server = running.server
        self.workdir = workdir
        # What the start-up banner printed, as the reader pastes it.
        self.pasted = {}
        for name, persona in running.printed.items():
            self.pasted[name.upper()] = persona.token
            self.pasted[name.upper() + '_PROJECT'] = persona.project_id
        self.env = venvs.clean_env(
            HOME=workdir,
            PATH=os.pathsep.join([str(venv / 'bin'), os.environ['PATH']]))

    def port_of(self, line):
        return line.replace(README_PORT, '127.0.0.1:%d' % self.server.port)

    def script(self, lines):
        """A bash script running `lines`, each after a marker on both
        streams, with the pasted values filled in."""
        out = ['set -e', 'cd %s' % self.workdir]
        for index, line in enumerate(lines):
            paste = PASTED.match(line)
            if paste:
                name = paste.group(1)
                assert name in self.pasted, 'nothing printed is %s' % name
                line = '%s=%s' % (name, self.pasted[name])
            out.append("echo '%s%d'; echo '%s%d' >&2" % (MARK, index, MARK,
                                                         index))
            out.append(self.port_of(line))
        out.append("echo '%svars'; echo \"$IMAGE $SECOND\"" % MARK)
        return '\n'.join(out) + '\n'

    def run(self, script):
        return subprocess.run(['bash', '-c', script], capture_output=True,
                              text=True, env=self.env, cwd=self.workdir,
                              stdin=subprocess.DEVNULL, timeout=900)

    def openstack(self, token, *args):
        env = dict(self.env, OS_TOKEN=token, **self.os_vars())
        return subprocess.run(['openstack'] + list(args),
                              capture_output=True, text=True, env=env,
                              cwd=self.workdir, stdin=subprocess.DEVNULL,
                              timeout=300)

    def os_vars(self):
        """The README's exported OS_* variables, for this server."""
        for line in readme_lines():
            if line.startswith('export OS_'):
                return dict(item.split('=', 1) for item in
                            self.port_of(line).split()[1:])
        raise AssertionError('the README exports no OS_* variables')

    def get(self, token, path):
        request = urllib.request.Request(self.server.url + path, headers={
            'X-Auth-Token': token, 'Accept': 'application/json'})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.load(response)


@pytest.fixture(scope='module')
def embedded(tmp_path_factory):
    venv = clients.ensure_client_venv()
    clients.install_plugin(venv)
    base = tmp_path_factory.mktemp('openstack-embedded')
    workdir = base / 'work'
    workdir.mkdir()
    with browser_embedded.serve(base, any_member_id=False) as running:
        yield Embedded(running, venv, str(workdir))


def sections(stream):
    """{command index (or 'vars'): what it printed on `stream`}."""
    found, key = {}, None
    for line in stream.splitlines():
        if line.startswith(MARK):
            key = line[len(MARK):]
            key = int(key) if key.isdigit() else key
            found[key] = []
        elif key is not None:
            found[key].append(line)
    return {k: '\n'.join(v) for k, v in found.items()}


def test_the_readme_shows_every_command():
    text = '\n'.join(readme_lines())
    missing = [command for command in REQUIRED if command not in text]
    assert not missing, missing


def test_the_readme_command_lines_work_as_written(embedded):
    lines = readme_lines()
    result = embedded.run(embedded.script(lines))
    out, err = sections(result.stdout), sections(result.stderr)
    assert result.returncode == 0, (result.stdout[-3000:],
                                    result.stderr[-3000:])
    image, second = out['vars'].split()
    consumer = embedded.pasted['CONSUMER_PROJECT']
    producer = embedded.pasted['PRODUCER_PROJECT']

    def printed(fragment, token=None):
        """The table (rows of cells) or text printed by the only line
        holding `fragment` (and `token`, if given)."""
        found = [i for i, line in enumerate(lines) if fragment in line and
                 (token is None or token in line)]
        assert len(found) == 1, (fragment, found)
        assert 'Traceback' not in err[found[0]], err[found[0]]
        return out[found[0]]

    assert printed('image list', '$PRODUCER') == ''  # nothing yet
    assert printed('image set --shared') == ''
    assert embedded.get(embedded.pasted['PRODUCER'],
                        '/v2/images/' + image)['visibility'] == 'shared'
    added = dict(clients.table(printed('image add project'))[1:])
    assert (added['image_id'], added['member_id'], added['status']) == (
        image, consumer, 'pending')
    assert clients.table(printed('image member list')) == [
        ['Image ID', 'Member ID', 'Status'], [image, consumer, 'pending']]
    assert printed('image set --accept') == ''
    assert clients.table(printed('image list', '$CONSUMER')) == [
        ['ID', 'Name', 'Status'], [image, 'demo', 'active']]
    uploaded = embedded.get(embedded.pasted['PRODUCER'],
                            '/v2/images/' + image)
    assert (uploaded['status'], uploaded['size']) == ('active', 1048576)

    # The plugin.
    batch = clients.table(printed('image share batch'))
    assert [second, consumer, 'created'] == [
        batch[1][batch[0].index(c)] for c in ('Image ID', 'Member ID',
                                              'Result')]
    inbox = clients.table(printed('image share inbox'))
    row = dict(zip(inbox[0], [r for r in inbox if r[0] == second][0]))
    assert (row['Owner'], row['Owner Name'], row['Status']) == (
        producer, 'producer', 'pending')
    accepted = clients.table(printed('image share accept'))
    assert [second, 'accepted'] == [accepted[1][accepted[0].index(c)]
                                    for c in ('Image ID', 'Status')]
    history = clients.table(printed('image share history'))
    events = [dict(zip(history[0], r)) for r in history[1:]]
    assert [(e['Event'], e['Project Name']) for e in events] == [
        ('status_changed', 'consumer'), ('created', 'producer')]
    assert printed('image share leave') == ''
    trusted = dict(clients.table(printed('image share trust add'))[1:])
    assert trusted['Project ID'] == producer
    assert producer in printed('image share trust list')
    assert printed('image share trust remove') == ''
    revoked = clients.table(printed('image share revoke'))
    assert [image, consumer, 'removed'] == [
        revoked[1][revoked[0].index(c)] for c in ('Image ID', 'Member ID',
                                                  'Result')]
    assert embedded.get(embedded.pasted['CONSUMER'],
                        '/sharing/v1/inbox?status=all')['inbox'] == []


def _image(embedded, name):
    result = embedded.openstack(
        embedded.pasted['PRODUCER'], 'image', 'create', '--disk-format',
        'raw', '--container-format', 'bare', name, '-f', 'value', '-c', 'id')
    assert result.returncode == 0, result
    return result.stdout.strip()


@pytest.mark.parametrize('member', ['0' * 32, 'consumer', 'not a project!'])
def test_a_member_no_project_has_is_refused_with_a_clear_line(
        embedded, member):
    """By ID or by name (the identity lookup is refused, so OSC passes the
    name on), what no project of tokens.yaml has is a 400 naming it, and
    nothing is written."""
    image = _image(embedded, 'refused-' + member[:4])
    result = embedded.openstack(embedded.pasted['PRODUCER'], 'image', 'add',
                                'project', image, member)
    assert result.returncode == 1, result
    assert 'BadRequestException: 400' in result.stderr, result.stderr
    assert (NOT_A_PROJECT % member) in result.stderr, result.stderr
    members = embedded.get(embedded.pasted['PRODUCER'],
                           '/v2/images/%s/members' % image)
    assert members['members'] == []


def test_the_identity_lookups_are_refused_as_keystone_refuses_a_member(
        embedded):
    """403 to a valid token (OSC's cue to pass the id on), 401 without."""
    url = embedded.server.url + '/identity/v3/projects/' + '0' * 32
    request = urllib.request.Request(url, headers={
        'X-Auth-Token': embedded.pasted['PRODUCER']})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 403
    with pytest.raises(urllib.error.HTTPError) as unknown:
        urllib.request.urlopen(url, timeout=30)
    assert unknown.value.code == 401
