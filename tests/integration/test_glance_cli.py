"""The stock `glance` CLI (python-glanceclient) against a real
`glance-members serve`: the producer/consumer sharing story end to end.

Every command runs with a fresh HOME (so glanceclient's schema cache
starts empty), no OS_* variables, and standard input *closed*: glanceclient
reads image data from any stdin that is not a terminal, /dev/null included
(`image-create < /dev/null` uploads a zero-byte image), so "no data" is a
closed fd 0, as in `glance image-create ... <&-`.
"""

import os
import subprocess

import pytest

from testbed.servers import venv_executable
from testbed import personas

CONSUMER = personas.CONSUMER_PROJECT
PRODUCER = personas.PRODUCER_PROJECT
GLANCE = venv_executable('glance')

pytestmark = pytest.mark.skipif(GLANCE is None,
                                reason='python-glanceclient not installed')


def _close_stdin():
    os.close(0)


class GlanceCLI:
    def __init__(self, url, home):
        self.url = url
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith('OS_')}
        self.env['HOME'] = home

    def __call__(self, persona, *args):
        return subprocess.run(
            [GLANCE, '--os-auth-token', personas.token(persona),
             '--os-image-url', self.url] + list(args),
            stdin=None, preexec_fn=_close_stdin, capture_output=True,
            text=True, env=self.env, timeout=120)


def table(output):
    """Rows of a prettytable as lists of stripped cells (header first)."""
    return [[cell.strip() for cell in line.strip()[1:-1].split('|')]
            for line in output.splitlines() if line.startswith('|')]


def properties(output):
    """The Property | Value table of image-show/image-create as a dict."""
    rows = table(output)
    assert rows and rows[0] == ['Property', 'Value'], output
    return dict(rows[1:])


def ok(result):
    assert result.returncode == 0, (result.args, result.stdout,
                                    result.stderr)
    return result.stdout


def fails(result, message):
    assert result.returncode == 1, (result.args, result.returncode,
                                    result.stdout, result.stderr)
    assert message in result.stderr, result.stderr
    return result.stderr


@pytest.fixture
def glance(gm_server, tmp_path):
    home = tmp_path / 'cli-home'
    home.mkdir()
    return GlanceCLI(gm_server.url, str(home))


def _create(glance, name, *extra):
    out = ok(glance('producer', 'image-create', '--name', name,
                    '--disk-format', 'raw', '--container-format', 'bare',
                    *extra))
    return properties(out)


def _ids(output):
    rows = table(output)
    assert rows[0] == ['ID', 'Name'], output
    return [row[0] for row in rows[1:]]


def test_producer_consumer_story(glance):
    image = _create(glance, 'x')
    assert image['name'] == 'x'
    assert image['status'] == 'queued'
    assert image['visibility'] == 'shared'
    assert image['owner'] == PRODUCER
    assert image['disk_format'] == 'raw'
    assert image['container_format'] == 'bare'
    assert image['size'] == 'None'
    assert image['tags'] == '[]'
    img = image['id']

    rows = table(ok(glance('producer', 'member-create', img, CONSUMER)))
    assert rows == [['Image ID', 'Member ID', 'Status'],
                    [img, CONSUMER, 'pending']]

    # Pending: listed when asked for, not in the default list.
    out = ok(glance('consumer', 'image-list', '--member-status', 'pending',
                    '--visibility', 'shared'))
    assert _ids(out) == [img]
    assert table(out)[1] == [img, 'x']
    assert img not in _ids(ok(glance('consumer', 'image-list')))

    rows = table(ok(glance('consumer', 'member-update', img, CONSUMER,
                           'accepted')))
    assert rows == [['Image ID', 'Member ID', 'Status'],
                    [img, CONSUMER, 'accepted']]
    assert _ids(ok(glance('consumer', 'image-list'))) == [img]

    # The producer never sets the consumer's status.
    result = glance('producer', 'member-update', img, CONSUMER, 'rejected')
    fails(result, 'HTTP 403 Forbidden: You are not authorized to complete '
                  'modify_member action.')
    assert result.stdout == ''

    rows = table(ok(glance('producer', 'member-list', '--image-id', img)))
    assert rows == [['Image ID', 'Member ID', 'Status'],
                    [img, CONSUMER, 'accepted']]

    # Revoking the member revokes access at once.
    assert ok(glance('producer', 'member-delete', img, CONSUMER)) == ''
    fails(glance('consumer', 'image-show', img),
          'HTTP 404 Not Found: No image found with ID %s' % img)
    assert img not in _ids(ok(glance('consumer', 'image-list')))
    rows = table(ok(glance('producer', 'member-list', '--image-id', img)))
    assert rows == [['Image ID', 'Member ID', 'Status']]


def test_member_create_on_private_image(glance):
    image = _create(glance, 'p', '--visibility', 'private')
    assert image['visibility'] == 'private'
    assert image['status'] == 'queued'
    result = glance('producer', 'member-create', image['id'], CONSUMER)
    fails(result, 'HTTP 403 Forbidden: Not allowed to create members for '
                  'image %s.' % image['id'])
    assert result.stdout == ''
