"""The database's errors as the service's: a database down is a 503, a
MariaDB/Galera conflict is retried, a value it refuses is a 400 (for the
repository and its /sharing/v1 part alike)."""

import functools
import random
import time

import peewee

from glance_members import exception

# MariaDB/MySQL's error 1213: a deadlock, or (Galera) a certification
# conflict, another node having committed a write to the same rows first.
# The server has undone the whole transaction: it is run again from its
# start, a bounded number of times, then it is a 503.
MYSQL_CONFLICT = 1213
CONFLICT_RETRIES = 6
CONFLICT_BACKOFF_S = 0.005  # doubled at each retry, with jitter


def mysql_errno(error):
    """The MariaDB/MySQL error number behind a peewee error, or None
    (peewee's error carries the driver's as its first argument)."""
    for cause in (error, error.__cause__, error.__context__):
        args = getattr(cause, 'args', ())
        if args and isinstance(args[0], int):
            return args[0]
        if args and isinstance(args[0], Exception) and args[0].args and \
                isinstance(args[0].args[0], int):
            return args[0].args[0]
    return None


def translate_db_errors(func, retries=0):
    """A database that is down or locked past its timeout is a 503. A read
    outside a transaction is retried once on a fresh connection: a pooled
    one may have died unnoticed (the pools do not probe each one). A
    MariaDB/MySQL deadlock or Galera conflict is retried (CONFLICT_RETRIES
    times) on the same connection, then it is a 503 too."""
    @functools.wraps(func)
    def wrapper(repo, *args, **kwargs):
        if repo.database.in_transaction():
            # Called inside a write (one write calling another method):
            # the outermost call translates, and retries the whole write.
            return func(repo, *args, **kwargs)
        reconnects = conflicts = 0
        while True:
            try:
                return func(repo, *args, **kwargs)
            except peewee.DataError as e:
                # A value the database refuses (the API layer should have):
                # a client error, never a 500.
                raise exception.Invalid('Invalid value: %s' % e) from e
            except (peewee.OperationalError, peewee.InterfaceError,
                    peewee.InternalError) as e:
                if (conflicts < CONFLICT_RETRIES and
                        isinstance(repo.database, peewee.MySQLDatabase) and
                        mysql_errno(e) == MYSQL_CONFLICT):
                    conflicts += 1
                    time.sleep(random.uniform(0.5, 1.0) * CONFLICT_BACKOFF_S *
                               2 ** conflicts)
                    continue
                # Drop the connection: the next request opens a fresh one,
                # so the service recovers by itself when the database is
                # back.
                repo.discard_connection()
                if reconnects < retries and not isinstance(
                        repo.database, peewee.SqliteDatabase):
                    reconnects += 1
                    continue
                raise exception.ServiceUnavailable(
                    'The image database is unavailable: %s' % e) from e
    return wrapper
