"""Database errors become domain errors: a value the database refuses is
a 400, a database that is down or locked past its timeout a 503. The
decorators wrap every Repository method (db.repository, db.sharing_v1)."""

import functools
import time

import peewee

from glance_members import exception


def translated(func, retries=0):
    """A read outside a transaction is retried `retries` times on a fresh
    connection where the engine reconnects (a pooled one may have died
    unnoticed: the pools do not probe each one). A transaction the engine
    says to run again (a MariaDB deadlock or Galera conflict) is run again
    on the same connection after its backoff, then it is a 503 too."""
    @functools.wraps(func)
    def wrapper(repo, *args, **kwargs):
        database = repo.database
        if database.in_transaction():
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
                backoff = database.conflict_backoff(e, conflicts + 1)
                if backoff is not None:
                    conflicts += 1
                    time.sleep(backoff)
                    continue
                # Drop the connection: the next request opens a fresh one,
                # so the service recovers by itself when the database is
                # back.
                database.discard_connection()
                if reconnects < retries and database.reconnects:
                    reconnects += 1
                    continue
                raise exception.ServiceUnavailable(
                    'The image database is unavailable: %s' % e) from e
    return wrapper


# A read: tried once more on a fresh connection.
read = functools.partial(translated, retries=1)
# A write: one transaction, never replayed after a broken connection (it
# may have committed).
write = translated
