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
