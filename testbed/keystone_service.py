"""pytest fixture: glance-members on the keystone backend, in the catalog.

`gm_keystone` starts `glance-members serve --config FILE` whose
[keystone_authtoken] section is the one an operator copies from
glance-api.conf, registers it as the `image` endpoint of RegionOne in the
test Keystone, and yields a KeystoneService (.url, .keystone, .server,
.config_path). One per test session.
"""

import os
import sys
import tempfile


from testbed import processes
from testbed import servers

REGION = 'RegionOne'

CONFIG_TEMPLATE = """\
[DEFAULT]
data_dir = {data_dir}
bind_host = 127.0.0.1
bind_port = {port}
workers = {workers}

[auth]
backend = keystone

[keystone_authtoken]
www_authenticate_uri = {keystone_base}
auth_url = {keystone_base}
auth_type = password
username = {service_user}
password = {service_password}
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = {region}
interface = public
{extra}
"""


def write_config(path, data_dir, port, keystone_stack, workers=1, extra='',
                 keystone_base=None):
    service = keystone_stack.identities['service_user']
    with open(path, 'w') as f:
        f.write(config_text(data_dir, port, keystone_base or
                            keystone_stack.base_url, service,
                            keystone_stack.password(service), workers,
                            extra))
    return path


def config_text(data_dir, port, keystone_base, service_user,
                service_password, workers=1, extra=''):
    """The config file; `extra` ends the [keystone_authtoken] section and
    may add sections of its own (the benchmarks' [database])."""
    return CONFIG_TEMPLATE.format(
        data_dir=data_dir, port=port, workers=workers,
        keystone_base=keystone_base, service_user=service_user,
        service_password=service_password, region=REGION, extra=extra)


class ConfiguredServer(servers.Server):
    """`glance-members serve --config FILE`."""

    def __init__(self, config_path, data_dir, port, log_path, home):
        super().__init__(data_dir, port, log_path, home=home)
        self.config_path = config_path

    def argv(self):
        return [sys.executable, '-m', 'glance_members.cmd.serve', 'serve',
                '--config', self.config_path]


class KeystoneService:
    def __init__(self, server, keystone_stack):
        self.server = server
        self.keystone = keystone_stack
        self.url = server.url
        self.config_path = server.config_path


def start_service(keystone_stack, base_dir, workers=1, extra='',
                  region=REGION, register=True, keystone_base=None):
    data_dir = os.path.join(base_dir, 'data')
    os.makedirs(data_dir, exist_ok=True)
    port = processes.free_port()
    config = write_config(os.path.join(base_dir, 'glance-members.conf'),
                          data_dir, port, keystone_stack, workers, extra,
                          keystone_base)
    home = tempfile.mkdtemp(prefix='gm-home-')
    server = ConfiguredServer(config, data_dir, port,
                              os.path.join(base_dir, 'server.log'), home)
    server.start()
    if register:
        keystone_stack.register_image_endpoint(server.url, region)
    return KeystoneService(server, keystone_stack)
