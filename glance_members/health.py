"""GET /healthcheck: oslo.middleware's healthcheck, as every OpenStack API.

Backends come from [healthcheck] backends (default: disable_by_file, so an
operator drains a node by touching [healthcheck] disable_by_file_path, and
database, which asks the application's own database a trivial question).
No token needed.
"""

import os

from oslo_middleware import healthcheck
from oslo_middleware.healthcheck import pluginbase

from glance_members import exception

PATH = '/healthcheck'


class DatabaseHealthcheck(pluginbase.HealthcheckBaseExtension):
    """Available when the application's repository answers its ping."""

    # Given by application(): oslo.middleware loads its backends by name
    # with its own arguments only.
    repository = None

    def healthcheck(self, server_port):
        try:
            self.repository.ping()
        except exception.ServiceUnavailable as e:
            return pluginbase.HealthcheckResult(
                available=False, reason='DATABASE UNAVAILABLE',
                details=str(e))
        finally:
            self.repository.release()  # back to the pool
        return pluginbase.HealthcheckResult(available=True,
                                            reason='DATABASE OK')


def application(conf, repository):
    """The healthcheck of the app whose repository is `repository`."""
    if not conf.healthcheck.disable_by_file_path:
        # Drain this node: touch <data_dir>/healthcheck_disable.
        conf.set_override('disable_by_file_path', os.path.join(
            os.path.abspath(conf.data_dir), 'healthcheck_disable'),
            group='healthcheck')
    check = healthcheck.Healthcheck(None, conf)
    for backend in check._backends:
        if isinstance(backend.obj, DatabaseHealthcheck):
            backend.obj.repository = repository
    return check
