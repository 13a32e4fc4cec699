"""GET /healthcheck: oslo.middleware's healthcheck, as every OpenStack API.

Backends come from [healthcheck] backends (default: disable_by_file, so an
operator drains a node by touching [healthcheck] disable_by_file_path, and
database, which asks the database a trivial question). No token needed.
"""

import os

import peewee
from oslo_middleware import healthcheck
from oslo_middleware.healthcheck import pluginbase

from glance_members.db import models

PATH = '/healthcheck'


class DatabaseHealthcheck(pluginbase.HealthcheckBaseExtension):
    """Available when the database answers `SELECT 1`."""

    def healthcheck(self, server_port):
        database = models.database.obj
        try:
            database.execute_sql('SELECT 1').fetchone()
        except Exception as e:  # noqa: BLE001 - any failure means down
            database.close()
            return pluginbase.HealthcheckResult(
                available=False, reason='DATABASE UNAVAILABLE',
                details=str(e))
        if not isinstance(database, peewee.SqliteDatabase):
            database.close()  # back to the pool
        return pluginbase.HealthcheckResult(available=True,
                                            reason='DATABASE OK')


def application(conf):
    if not conf.healthcheck.disable_by_file_path:
        # Drain this node: touch <data_dir>/healthcheck_disable.
        conf.set_override('disable_by_file_path', os.path.join(
            os.path.abspath(conf.data_dir), 'healthcheck_disable'),
            group='healthcheck')
    return healthcheck.Healthcheck(None, conf)
