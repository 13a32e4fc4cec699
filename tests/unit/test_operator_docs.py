"""Every configuration block an operator may paste works as pasted: the INI
blocks of README.md and the files under etc/ load with oslo.config, every
option they set is one the service knows, every value parses, and no value
carries what was meant as a comment (oslo.config has no inline comments).
Also: the commands fail with one clear line, never a traceback.
"""

import os
import re
import subprocess
import sys
import textwrap

from keystoneauth1 import loading
import pytest
from keystonemiddleware.auth_token import _opts as authtoken_opts
from oslo_config import cfg

from glance_members import app as gm_app
from glance_members import conf as gm_conf
from testbed import servers as helpers

ROOT = os.path.join(os.path.dirname(__file__), '..', '..')
FENCE = re.compile(r'^( *)```ini\n(.*?)^\1```', re.S | re.M)


def readme_blocks():
    with open(os.path.join(ROOT, 'README.md')) as f:
        text = f.read()
    return [textwrap.dedent(m.group(2)) for m in FENCE.finditer(text)]


def etc_files():
    folder = os.path.join(ROOT, 'etc')
    return [os.path.join(folder, name) for name in sorted(os.listdir(folder))
            if name.endswith(('.conf', '.conf.sample'))
            and not name.startswith('oslo-')]


def _load(path):
    """The file loaded as the service loads it, with every option that
    appears in it registered and read."""
    conf = gm_conf.new_conf(config_file=path)
    group = 'keystone_authtoken'
    for _, opts in authtoken_opts.list_opts():
        conf.register_opts(opts, group=group)
    loading.register_auth_conf_options(conf, group)
    # [glance] (beside an existing Glance) has keystoneauth's options
    # registered already; its plugin's (username...) come with auth_type.
    for group in (group, 'glance'):
        if conf[group].auth_type:
            conf.register_opts(loading.get_auth_plugin_conf_options(
                conf[group].auth_type), group=group)
    gm_conf.check(conf)
    parser = cfg.ConfigParser(path, {})
    parser.parse()
    for section, options in parser.sections.items():
        group = None if section == 'DEFAULT' else section
        for name, values in options.items():
            value = conf[name] if group is None else conf[group][name]
            for raw in values:
                assert ' #' not in raw and not raw.startswith('#'), (
                    'an inline comment in [%s] %s = %s' % (section, name, raw))
            assert value is not None or values == [''], (section, name)


def test_the_readme_has_config_blocks():
    assert len(readme_blocks()) >= 2


@pytest.mark.parametrize('index', range(len(readme_blocks())))
def test_a_readme_config_block_loads(tmp_path, index):
    path = tmp_path / 'glance-members.conf'
    path.write_text(readme_blocks()[index])
    _load(str(path))


@pytest.mark.parametrize('path', etc_files(), ids=os.path.basename)
def test_a_shipped_config_file_loads(path):
    _load(path)


def _run(tmp_path, *argv):
    return subprocess.run(
        [sys.executable, '-m'] + list(argv), capture_output=True, text=True,
        cwd=str(tmp_path), env=helpers.child_env(), stdin=subprocess.DEVNULL,
        timeout=120)


COMMANDS = {
    'serve': ('glance_members.cmd.serve', 'serve', '--config'),
    'manage': ('glance_members.cmd.manage', '--config-file'),
    'status': ('glance_members.cmd.status', '--config'),
}
TRAILING = {'serve': (), 'manage': ('db', 'sync'),
            'status': ('upgrade', 'check')}


@pytest.mark.parametrize('command', sorted(COMMANDS))
@pytest.mark.parametrize('text,said', [
    ('[keystone_authtoken]     # as in glance-api.conf\nauth_type = x\n',
     'Invalid section'),
    ('[DEFAULT]\nworkers = two\n', 'Value for option workers in '),
])
def test_a_bad_config_is_one_line_and_exit_1(tmp_path, command, text, said):
    path = tmp_path / 'bad.conf'
    path.write_text(text)
    result = _run(tmp_path, *(COMMANDS[command] + (str(path),)
                              + TRAILING[command]))
    assert result.returncode == 1, result
    assert result.stdout == '', result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and said in lines[0], result.stderr
    assert 'LocationInfo' not in lines[0] and str(path) in lines[0]


def test_serve_on_a_taken_port_is_one_line_and_nothing_else(tmp_path):
    import socket
    with socket.socket() as taken:
        taken.bind(('127.0.0.1', 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = _run(tmp_path, 'glance_members.cmd.serve', 'serve',
                      '--port', str(port), '--data-dir', str(tmp_path / 'd'))
    assert result.returncode == 1, result
    assert result.stdout == '', result.stdout
    assert result.stderr.strip() == (
        'glance-members: cannot listen on 127.0.0.1:%d: Address already in '
        'use' % port)


def test_status_with_no_config_creates_nothing(tmp_path):
    result = _run(tmp_path, 'glance_members.cmd.status', 'upgrade', 'check')
    assert result.returncode == 2, result
    assert 'No database at' in result.stdout
    assert os.listdir(str(tmp_path)) == []
    assert 'Warning' not in result.stderr, result.stderr


def test_manage_says_no_deprecation_banner(tmp_path):
    result = _run(tmp_path, 'glance_members.cmd.manage', '--data-dir',
                  str(tmp_path / 'd'), 'db', 'sync')
    assert result.returncode == 0, result
    assert result.stderr == '', result.stderr


def test_serve_beside_glance_without_keystone_is_one_line(tmp_path):
    # Beside Glance the writes are made with the user's Keystone token: a
    # static token file cannot give one.
    path = tmp_path / 'beside.conf'
    path.write_text('[DEFAULT]\nimage_backend = glance\n')
    result = _run(tmp_path, 'glance_members.cmd.serve', 'serve', '--config',
                  str(path), '--data-dir', str(tmp_path / 'd'))
    assert result.returncode == 1, result
    assert result.stdout == '', result.stdout
    assert result.stderr.strip() == (
        'glance-members: configuration error: %s'
        % gm_app.BESIDE_NEEDS_KEYSTONE)
