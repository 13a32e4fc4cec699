"""Image bytes: upload, download and deletion, around the sharing rules.

No Flask here either: the API hands in a readable stream and gets back an
iterator. The image moves queued -> saving -> active by compare-and-set, so
two uploads cannot both win, and a failed or abandoned upload goes back to
queued with no partial data kept.
"""

import dataclasses
import logging

from glance_members import exception
from glance_members import image_format
from glance_members import notifications
from glance_members.sharing import images
from glance_members import store as gm_store

LOG = logging.getLogger(__name__)


def upload(ctx, services, image_id, stream, expected_length=None):
    """Store the body as the image's bytes and make it active, or refuse
    it (nothing kept, the image queued again)."""
    repo, store, notifier = services.repo, services.store, services.notifier
    image = images.image_for_upload(ctx, services.authz, repo, image_id)
    if not repo.start_upload(image.id, services.heartbeat.owner):
        current = repo.get_image(image.id)
        raise exception.Conflict(
            'Image status transition from %s to saving is not allowed'
            % (current.status if current else 'deleted'))
    # Glance's sequence: image.update (saving), image.prepare, then
    # image.upload, image.activate and image.update (active), or an error
    # image.upload and image.update (queued).
    saving = dataclasses.replace(image, status='saving')
    notifier.info('image.update', notifications.image_payload(saving))
    notifier.info('image.prepare', notifications.upload_payload(saving))
    reader = gm_store.CappedReader(stream, services.conf.image_size_cap,
                                   expected_length)
    inspection = image_format.inspecting(reader, image.container_format)
    location = None
    try:
        with services.heartbeat.receiving(image.id):
            location, size, checksum, algo, hash_value = store.add(
                image.id, inspection or reader)
        virtual_size = image_format.verdict(
            inspection, image.disk_format,
            image_format.Options.from_conf(services.conf))
    except gm_store.SizeCapExceeded:
        raise _refused(services, image, location, exception.OverLimit(
            'The incoming image is too large: The provided image is too '
            'large.'))
    except (IOError, OSError, ValueError) as e:
        # The client went away or sent a broken body: Glance restores the
        # image to queued and answers 400.
        raise _refused(services, image, location, exception.Invalid(
            'Error reading image data: %s' % (e or 'client disconnected')))
    except exception.GlanceMembersError as e:
        raise _refused(services, image, location, e)
    except BaseException:
        # The worker is being stopped mid-upload (timeout, shutdown): the
        # store cleans up after exceptions only, so do it here.
        store.discard_partial(image.id)
        _restore(repo, image.id)
        raise
    if not repo.change_status(image.id, 'saving', 'active', size=size,
                              virtual_size=virtual_size, checksum=checksum,
                              os_hash_algo=algo, os_hash_value=hash_value,
                              location=location):
        store.delete(location)
        raise exception.Gone(
            'Image %s could not be found after upload. The image may have '
            'been deleted during the upload.' % image.id)
    if notifier.enabled:
        active = repo.get_image(image.id)
        if active is not None:
            notifier.info('image.upload',
                          notifications.upload_payload(active))
            notifier.info('image.activate',
                          notifications.image_payload(active))
            notifier.info('image.update',
                          notifications.image_payload(active))


def _refused(services, image, location, error):
    """Undo a refused upload (stored bytes removed, image queued again),
    say so as Glance does, and return the error to raise."""
    if location is not None:
        services.store.delete(location)
    _restore(services.repo, image.id)
    services.notifier.error(
        'image.upload', 'Failed to upload image data for image %s due to '
        'internal error: %s' % (image.id, getattr(error, 'detail', None)
                                or error.message))
    services.notifier.info('image.update', notifications.image_payload(
        dataclasses.replace(image, status='queued')))
    return error


def _restore(repo, image_id):
    try:
        repo.change_status(image_id, 'saving', 'queued')
    except exception.ServiceUnavailable:
        LOG.exception('Could not restore image %s to queued', image_id)


def download(ctx, authz, repo, store, image_id, byte_range=None):
    """(image, chunks, offset, length); chunks is None for an image with no
    data (Glance answers 204). `byte_range(size)` gives (offset, length),
    length None meaning to the end."""
    image = images.image_for_download(ctx, authz, repo, image_id)
    if image.location is None:
        return image, None, 0, 0
    offset, length = byte_range(image.size) if byte_range else (0, None)
    chunks = store.get(image.location, offset, length)
    if chunks is None:  # the store lost it: Glance says 204 as well
        return image, None, 0, 0
    return image, chunks, offset, (image.size - offset if length is None
                                   else length)


def delete_image(ctx, authz, repo, store, image_id):
    location = images.delete_image(ctx, authz, repo, image_id)
    if location:
        store.delete(location)
