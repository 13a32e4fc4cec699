"""The /sharing/v1 extension: membership expiry, trusted producers and the
append-only history of membership changes."""

import peewee
from playhouse import migrate

VERSION = 7
DESCRIPTION = 'image_members.expires_at, sharing_trusts, sharing_history'


class SharingTrust(peewee.Model):
    id = peewee.AutoField()
    consumer = peewee.CharField(max_length=255)
    producer = peewee.CharField(max_length=255)
    created_at = peewee.DateTimeField()

    class Meta:
        table_name = 'sharing_trusts'
        indexes = ((('consumer', 'producer'), True),)


class SharingHistory(peewee.Model):
    id = peewee.BigAutoField()
    image_id = peewee.CharField(max_length=36)
    image_owner = peewee.CharField(max_length=255, null=True)
    member_id = peewee.CharField(max_length=255)
    event = peewee.CharField(max_length=20)
    actor_user_id = peewee.CharField(max_length=255, null=True)
    actor_project_id = peewee.CharField(max_length=255, null=True)
    request_id = peewee.CharField(max_length=64, null=True)
    created_at = peewee.DateTimeField()
    before_status = peewee.CharField(max_length=20, null=True)
    after_status = peewee.CharField(max_length=20, null=True)
    before_expires_at = peewee.DateTimeField(null=True)
    after_expires_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = 'sharing_history'
        indexes = ((('image_id', 'id'), False),
                   (('member_id', 'id'), False),
                   (('image_owner', 'id'), False))


def upgrade(database):
    migrator = migrate.SchemaMigrator.from_database(database)
    migrate.migrate(migrator.add_column(
        'image_members', 'expires_at', peewee.DateTimeField(null=True)))
    # The inbox counts per status read this index alone (expiry included).
    database.execute_sql(
        'CREATE INDEX imagemember_inbox_counts ON image_members '
        '(member, deleted, status, expires_at)')
    # glance-members-manage's purge of expired memberships.
    database.execute_sql(
        'CREATE INDEX imagemember_expires_at ON image_members (expires_at)')
    with database.bind_ctx([SharingTrust, SharingHistory]):
        database.create_tables([SharingTrust, SharingHistory])
