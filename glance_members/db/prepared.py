"""Prepared statements: SQL that peewee builds once per kind of database,
then runs with new parameters, and the conversion of raw rows to Python."""

import datetime

import peewee

from glance_members.db import models


class Prepared:
    """A statement whose SQL peewee builds once per kind of database, then
    runs with new parameters: building SQL text cost more than running it.
    `build(*params)` makes the query; for a read, its selected fields
    convert the row values (SQLite hands back text for datetimes, 0/1 for
    booleans)."""

    def __init__(self, build, arity, converters=None, locking=False):
        self.build = build
        self.arity = arity
        # Lock the rows read until the transaction ends, as the kind of
        # database does it (engines lock_rows: FOR UPDATE, or nothing on
        # SQLite).
        self.locking = locking
        self.converters = converters  # when the query's own cannot say
        self.compiled = {}

    def _compile(self, database):
        tags = ['\x00gm-param-%d\x00' % i for i in range(self.arity)]
        # converter=False: a column's converter would fold the marker into
        # a constant (a boolean column's turns any marker into TRUE).
        markers = [peewee.Value(tag, converter=False) for tag in tags]
        query = self.build(*markers)
        if self.locking:
            query = database.lock_rows(query)
        query = query.bind(database)
        sql, params = query.sql()
        # Each SQL parameter is one of ours (by position) or a constant of
        # the query itself (such as deleted = False).
        order = [(True, tags.index(p)) if p in tags else (False, p)
                 for p in params]
        converters = self.converters or [
            converter(c) for c in getattr(query, '_returning', None) or ()]
        return sql, order, row_reader(converters, database)

    def _execute(self, database, params):
        compiled = self.compiled.get(type(database))
        if compiled is None:
            compiled = self.compiled[type(database)] = self._compile(database)
        sql, order, read = compiled
        return database.execute_sql(
            sql, [params[v] if ours else v for ours, v in order]), read

    def rows(self, database, *params):
        cursor, read = self._execute(database, params)
        return list(map(read, cursor.fetchall()))

    def run(self, database, *params):
        """A write: how many rows it changed."""
        return self._execute(database, params)[0].rowcount


_READERS = {}  # by (converters, kind of database)


def row_reader(converters, database):
    """A function turning a raw row of `database` into a tuple of its
    values converted (None stays None; values past the converters are
    dropped). Generated once per statement and kind of database: a plain
    tuple expression is several times faster than a loop over the
    converters, which showed in every member list. PostgreSQL's and
    MariaDB's drivers hand back datetimes already; SQLite's text is read
    by fromisoformat, and a row it cannot read goes the slow way."""
    key = (tuple(converters), type(database))
    read = _READERS.get(key)
    if read is None:
        as_text = database.datetimes_as_text  # db.engines
        names = {'slow': lambda row: typed(row, converters)}
        values = []
        for i, convert in enumerate(converters):
            if convert is _datetime:
                if not as_text:
                    convert = None
                else:
                    convert = datetime.datetime.fromisoformat
            if convert is None:
                values.append('row[%d]' % i)
            else:
                names['convert%d' % i] = convert
                values.append('(None if row[%d] is None else convert%d('
                              'row[%d]))' % (i, i, i))
        exec('def read(row):\n'  # noqa: S102 - our own text only
             '    try:\n'
             '        return (%s)\n'
             '    except (TypeError, ValueError, IndexError):\n'
             '        return slow(row)\n'
             % ''.join(v + ', ' for v in values), names)
        read = _READERS[key] = names['read']
    return read


def typed(row, converters):
    """A raw row with each value converted (None stays None); values past
    the converters are dropped."""
    return tuple(value if convert is None or value is None
                 else convert(value)
                 for convert, value in zip(converters, row))


def _datetime(value):
    """SQLite's text for a datetime (PostgreSQL hands back datetimes);
    peewee's own parser tries formats one by one, which is much slower."""
    if isinstance(value, datetime.datetime):
        return value
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        return models.Image.created_at.python_value(value)


def converter(column):
    """How a selected column's raw value becomes Python: None when the
    database already hands back the right type (text, integers)."""
    if isinstance(column, peewee.Alias):
        column = column.node  # a column read by the name of a record field
    if isinstance(column, peewee.DateTimeField):
        return _datetime
    if isinstance(column, peewee.BooleanField):
        return bool
    if isinstance(column, peewee.Field) and not isinstance(
            column, (peewee.CharField, peewee.TextField,
                     peewee.IntegerField, peewee.ForeignKeyField)):
        return column.python_value
    return None  # text, integers, and SQL functions such as COUNT
