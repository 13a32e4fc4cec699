"""The `gm_server` fixture: a started `glance-members serve` (gunicorn) on
a free port with the personas' tokens (testbed/servers.py), stopped at
teardown whatever happened."""

import shutil
import tempfile

import pytest

from testbed import processes
from testbed.servers import Server
from testbed.servers import write_token_file


@pytest.fixture
def gm_server(tmp_path):
    """A started server on a free port, the personas' tokens pre-written;
    stopped at teardown whatever happened."""
    data_dir = str(tmp_path / 'data')
    write_token_file(data_dir)
    # Short: gunicorn's control socket lives in $HOME/.gunicorn and a unix
    # socket path may not exceed ~107 bytes.
    home = tempfile.mkdtemp(prefix='gm-home-')
    server = Server(data_dir, processes.free_port(),
                    str(tmp_path / 'server.log'), home=home,
                    any_member_id=True)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
