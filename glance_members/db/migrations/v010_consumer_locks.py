"""sharing_consumer_locks: the row a MariaDB transaction writes to
serialize changes to one consumer's memberships across Galera nodes (a
trust added while shares to it arrive)."""

import peewee

VERSION = 10
DESCRIPTION = 'sharing_consumer_locks'


class ConsumerLock(peewee.Model):
    consumer = peewee.CharField(max_length=255, primary_key=True)
    serial = peewee.BigIntegerField(default=0)

    class Meta:
        table_name = 'sharing_consumer_locks'


def upgrade(database):
    with database.bind_ctx([ConsumerLock]):
        database.create_tables([ConsumerLock])
