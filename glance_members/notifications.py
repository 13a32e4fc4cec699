"""Glance's notifications: image.create/update/delete and
image.member.create/update/delete, with Glance's payloads, through
oslo.messaging when `[oslo_messaging_notifications] driver` is set
(`messagingv2` to RabbitMQ, `log`, ...); nothing is sent otherwise.

They are emitted by wrapping the repository, after each write committed,
so no view and no sharing rule has to remember them. The message context
names the caller (user, project, request id; never the token), so an audit
consumer can tell who shared what with whom, and when.
"""

import contextvars
import datetime
import logging
import socket
import warnings

with warnings.catch_warnings():
    # oslo.messaging imports eventlet (through oslo.service), which warns
    # that it is deprecated as the first line `serve` prints; we never use
    # it. The message starts with a newline, which '.*' does not match.
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    import oslo_messaging
    from oslo_messaging import serializer

LOG = logging.getLogger(__name__)
ISO = '%Y-%m-%dT%H:%M:%SZ'

# The request context of the request being served (set by the app).
current_context = contextvars.ContextVar('glance_members_context',
                                         default=None)


def member_payload(member, deleted_at=None):
    return {'image_id': member.image_id, 'member_id': member.member_id,
            'status': member.status,
            'created_at': member.created_at.strftime(ISO),
            'updated_at': member.updated_at.strftime(ISO),
            'deleted': deleted_at is not None,
            'deleted_at': deleted_at}


def image_payload(image, deleted_at=None):
    return {'id': image.id, 'name': image.name, 'status': image.status,
            'created_at': image.created_at.strftime(ISO),
            'updated_at': image.updated_at.strftime(ISO),
            'min_disk': image.min_disk, 'min_ram': image.min_ram,
            'protected': image.protected, 'checksum': image.checksum,
            'owner': image.owner, 'disk_format': image.disk_format,
            'container_format': image.container_format,
            'size': image.size, 'virtual_size': image.virtual_size,
            'is_public': image.visibility == 'public',
            'visibility': image.visibility,
            'properties': dict(image.properties), 'tags': list(image.tags),
            'deleted': deleted_at is not None, 'deleted_at': deleted_at}


def upload_payload(image):
    """image.prepare and image.upload: the image, and the import fields
    Glance adds (empty: this service has no import tasks)."""
    payload = image_payload(image)
    payload.update(os_glance_importing_to_stores=[],
                   os_glance_failed_import=[])
    return payload


def _now():
    return datetime.datetime.now(datetime.timezone.utc).strftime(ISO)


class ContextSerializer(serializer.NoOpSerializer):
    """Sends the request context (redacted by oslo.messaging) as a dict."""

    def serialize_context(self, context):
        return context.to_dict() if hasattr(context, 'to_dict') else context


class Notifier:
    """oslo.messaging's Notifier, or nothing when no driver is set."""

    def __init__(self, conf):
        self.enabled = bool(conf.oslo_messaging_notifications.driver) and \
            conf.oslo_messaging_notifications.driver != ['noop']
        self._notifier = None
        if self.enabled:
            transport = oslo_messaging.get_notification_transport(conf)
            self._notifier = oslo_messaging.Notifier(
                transport, publisher_id='image.%s' % socket.gethostname(),
                serializer=ContextSerializer())

    def info(self, event_type, payload):
        self._send('info', event_type, payload)

    def error(self, event_type, payload):
        self._send('error', event_type, payload)

    def _send(self, priority, event_type, payload):
        if not self.enabled:
            return
        try:
            # oslo.messaging redacts the token from the context it sends.
            getattr(self._notifier, priority)(current_context.get(),
                                              event_type, payload)
        except Exception:  # noqa: BLE001 - the write stands; say so loudly
            LOG.exception('Could not send %s notification', event_type)


class _SharingNotifications:
    """The sharing extension's writes, announced as Glance's member events
    (one per membership changed, Glance's payload) plus sharing.trust.*."""

    def _members(self, event_type, shares, deleted=False):
        for share in shares:
            self._notifier.info(event_type, member_payload(
                share, _now() if deleted else None))

    def decide_shares(self, project_id, status, image_ids):
        results = self._repo.decide_shares(project_id, status, image_ids)
        self._members('image.member.update',
                      [s for s, before in results if before != s.status])
        return results

    def leave_share(self, project_id, image_id):
        share = self._repo.leave_share(project_id, image_id)
        if share is not None:
            self._members('image.member.delete', [share], deleted=True)
        return share

    def add_trust(self, consumer, producer, accept_pending):
        trust, created, accepted = self._repo.add_trust(
            consumer, producer, accept_pending)
        if created:
            self._notifier.info('sharing.trust.create', _trust(trust))
        self._members('image.member.update', accepted)
        return trust, created, accepted

    def remove_trust(self, consumer, producer):
        removed = self._repo.remove_trust(consumer, producer)
        if removed:
            self._notifier.info('sharing.trust.delete', {
                'consumer': consumer, 'producer': producer,
                'deleted_at': _now()})
        return removed

    def share_batch(self, image_ids, member_ids, expires_at, quota):
        results = self._repo.share_batch(image_ids, member_ids, expires_at,
                                         quota)
        self._pairs('image.member.create', results, ('created', 'revived'))
        return results

    def revoke_batch(self, image_ids, member_ids):
        results = self._repo.revoke_batch(image_ids, member_ids)
        self._pairs('image.member.delete', results, ('removed',), True)
        return results

    def set_expiry(self, image_id, member_id, expires_at):
        share = self._repo.set_expiry(image_id, member_id, expires_at)
        if share is not None:
            self._members('image.member.update', [share])
        return share

    def _pairs(self, event_type, results, outcomes, deleted=False):
        now = _now()
        for r in results:
            if r.result in outcomes:
                self._notifier.info(event_type, {
                    'image_id': r.image_id, 'member_id': r.member_id,
                    'status': r.status, 'created_at': now,
                    'updated_at': now, 'deleted': deleted,
                    'deleted_at': now if deleted else None})


def _trust(trust):
    return {'consumer': trust.consumer, 'producer': trust.producer,
            'created_at': trust.created_at.strftime(ISO)}


class NotifyingRepository(_SharingNotifications):
    """A Repository that announces its committed writes."""

    def __init__(self, repo, notifier):
        self._repo = repo
        self._notifier = notifier

    def __getattr__(self, name):
        return getattr(self._repo, name)

    def add_member(self, image_id, member_id, quota):
        member = self._repo.add_member(image_id, member_id, quota)
        self._notifier.info('image.member.create', member_payload(member))
        return member

    def update_member_status(self, image_id, member_id, status):
        member = self._repo.update_member_status(image_id, member_id, status)
        if member is not None:
            self._notifier.info('image.member.update',
                                member_payload(member))
        return member

    def delete_member(self, image_id, member_id):
        member = self._repo.get_member(image_id, member_id)
        deleted = self._repo.delete_member(image_id, member_id)
        if deleted and member is not None:
            self._notifier.info('image.member.delete',
                                member_payload(member, _now()))
        return deleted

    def create_image(self, image):
        image = self._repo.create_image(image)
        self._notifier.info('image.create', image_payload(image))
        return image

    def update_image(self, image):
        image = self._repo.update_image(image)
        if image is not None:
            self._notifier.info('image.update', image_payload(image))
        return image

    def delete_image(self, image_id):
        image = self._repo.get_image(image_id)
        location = self._repo.delete_image(image_id)
        if location is not False and image is not None:
            self._notifier.info('image.delete', image_payload(image, _now()))
        return location
