"""What a newcomer sees first: `glance-members serve` starts with its own
lines, not a library's warning (oslo.messaging imports eventlet, which
warned that it is deprecated before anything else was printed)."""

import os
import signal
import subprocess
import sys


def test_serve_prints_its_own_lines_first(tmp_path):
    env = dict(os.environ, PYTHONUNBUFFERED='1')
    env.pop('PYTHONWARNINGS', None)
    server = subprocess.Popen(
        [sys.executable, '-m', 'glance_members.cmd.serve', 'serve',
         '--data-dir', str(tmp_path / 'data'), '--port', '0',
         '--workers', '1'],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
        cwd=str(tmp_path), start_new_session=True)
    try:
        lines = [server.stdout.readline().decode() for _ in range(2)]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.communicate(timeout=60)
    assert lines[0].startswith('glance-members serving on http://'), lines
    assert lines[1].startswith('Created '), lines


def test_a_bad_option_value_stops_serve_with_its_name(tmp_path):
    config = tmp_path / 'glance-members.conf'
    config.write_text('[DEFAULT]\nimage_member_quota = many\n')
    done = subprocess.run(
        [sys.executable, '-m', 'glance_members.cmd.serve', 'serve',
         '--config', str(config), '--data-dir', str(tmp_path / 'data'),
         '--port', '0'], capture_output=True, text=True, timeout=60,
        cwd=str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.startswith('glance-members: configuration error: ')
    assert 'image_member_quota' in done.stderr and 'Traceback' not in \
        done.stderr
    assert not (tmp_path / 'data').exists()
