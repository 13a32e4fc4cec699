"""Glance's notifications as hints to the mirror, through oslo.messaging:
a notification listener on Glance's exchange and topic (`[glance]
notifications_exchange`, `notifications_topic`) in a pool
(`notifications_pool`), so several glance-members hosts consume them as
one: each notification goes to one host. For each image.* event the
image is re-read from Glance and applied (glance.mirror.Mirror.refresh);
the payload itself is never trusted.

When Glance (or the database) does not answer, the notification is
requeued after a pause, not applied from its payload: Glance's times have
a one-second resolution (a share and its acceptance usually fall in the
same second), so a payload can rarely be proved newer than the mirror,
and a requeued hint loses nothing. The reconciliation repairs the rest.
"""

import logging
import re
import threading
import time
import warnings

with warnings.catch_warnings():
    # oslo.messaging imports eventlet, which warns; we never use it.
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    import oslo_messaging

from glance_members import exception
from glance_members import records
from glance_members.glance import client as glance_client

LOG = logging.getLogger(__name__)
# Events that can change what the mirror keeps: the image (owner, name,
# visibility, status, size) or its memberships. Not image.send (a
# download: the most frequent) nor tasks and metadefs.
EVENTS = ('image.create', 'image.update', 'image.delete', 'image.upload',
          'image.activate', 'image.prepare', 'image.member.create',
          'image.member.update', 'image.member.delete')
# Seconds to wait before handing back a notification that could not be
# applied (Glance or the database away), so it is not redelivered at once.
REQUEUE_PAUSE = 1.0


def image_id_of(event_type, payload):
    """The image a notification is about, or None."""
    if not isinstance(payload, dict):
        return None
    if event_type.startswith('image.member.'):
        return payload.get('image_id')
    return payload.get('id')


def actor_of(ctxt):
    """The caller named in a notification's context (Glance 33 sends an
    empty one; another sender may fill it): records.Actor."""
    ctxt = ctxt or {}
    return records.Actor(
        user_id=ctxt.get('user_id') or ctxt.get('user'),
        project_id=ctxt.get('project_id') or ctxt.get('project') or
        ctxt.get('tenant'),
        request_id=ctxt.get('request_id'))


class Endpoint:
    """oslo.messaging notification endpoint applying Glance's image events.
    `applied` counts the notifications handled by this process (by event
    type), for tests and logs."""

    filter_rule = oslo_messaging.NotificationFilter(
        event_type='^(%s)$' % '|'.join(re.escape(e) for e in EVENTS))

    def __init__(self, mirror, requeue_pause=REQUEUE_PAUSE):
        self.mirror = mirror
        self.requeue_pause = requeue_pause
        self.applied = {}
        self._lock = threading.Lock()

    def info(self, ctxt, publisher_id, event_type, payload, metadata):
        image_id = image_id_of(event_type, payload)
        if image_id is None:
            return None
        started = time.monotonic()
        try:
            outcome = self.mirror.refresh(image_id, actor=actor_of(ctxt))
        except (exception.ServiceUnavailable, glance_client.GlanceError) as e:
            LOG.warning('Mirror: %s of image %s not applied (%s): '
                        'requeued', event_type, image_id, e)
            time.sleep(self.requeue_pause)
            return oslo_messaging.NotificationResult.REQUEUE
        with self._lock:
            self.applied[event_type] = self.applied.get(event_type, 0) + 1
        LOG.info('Mirror: %s message %s image %s %s in %.3f s', event_type,
                 (metadata or {}).get('message_id'), image_id,
                 'stale' if outcome.stale else 'changed' if outcome.changed
                 else 'unchanged', time.monotonic() - started)
        return None

    # Glance sends its image events at info; the same for other priorities.
    audit = warn = error = critical = info


def transport(conf):
    """The notification transport: [glance] notifications_transport_url,
    else [DEFAULT] transport_url."""
    return oslo_messaging.get_notification_transport(
        conf, url=conf.glance.notifications_transport_url)


def make_listener(conf, mirror, executor='threading'):
    """A started-on-demand oslo.messaging notification listener (call
    .start(), then .stop() and .wait()) applying Glance's notifications to
    `mirror`; its endpoint is `listener.gm_endpoint`."""
    endpoint = Endpoint(mirror)
    targets = [oslo_messaging.Target(
        topic=conf.glance.notifications_topic,
        exchange=conf.glance.notifications_exchange)]
    listener = oslo_messaging.get_notification_listener(
        transport(conf), targets, [endpoint], executor=executor,
        pool=conf.glance.notifications_pool, allow_requeue=True)
    listener.gm_endpoint = endpoint
    return listener
