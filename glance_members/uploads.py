"""Uploads in flight: who receives an image's bytes, and taking an image
back from an upload whose worker died.

Glance leaves such an image in `saving` for ever (an operator must reset
it). Here the process that moves an image to `saving` records itself as
the upload's owner (host, boot, pid and the pid's start time) and, while
it receives, a heartbeat thread renews the record. An upload is abandoned
when its owner is a process of this machine that no longer runs (known at
once), or when its heartbeat is older than STALE_AFTER (another machine).
Whoever next reads the image then takes it back: `saving` -> `queued`, the
partial bytes removed, by a compare-and-set on the owner, so a live upload
is never disturbed and a new one that started meanwhile never undone.

No Flask and no peewee here: the repository and the store are passed in.
"""

import contextlib
import dataclasses
import datetime
import logging
import os
import socket
import threading

from glance_members import records

LOG = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10
# Three missed heartbeats: a busy database or a long GC pause is not death.
STALE_AFTER = datetime.timedelta(seconds=3 * HEARTBEAT_SECONDS)


def _boot_id():
    try:
        with open('/proc/sys/kernel/random/boot_id') as f:
            return f.read().strip()
    except OSError:
        return 'unknown-boot'


def _start_time(pid):
    """The process's start time in clock ticks since boot (None: no such
    process, or one that has exited and awaits its parent), which tells a
    reused pid from the one recorded."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            stat = f.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses.
    fields = stat.rpartition(')')[2].split()
    if fields[0] in ('Z', 'X'):  # a zombie: killed, not yet reaped
        return None
    return fields[19]


def owner_of(pid):
    """The owner string of process `pid` of this machine."""
    return '%s %s %d %s' % (socket.gethostname(), _boot_id(), pid,
                            _start_time(pid))


def _process_of_this_machine(owner):
    """The pid named by `owner` if it is a process of this machine's current
    boot, else None."""
    host, boot, pid, _ = (owner.split(' ') + [''] * 4)[:4]
    if host != socket.gethostname() or boot != _boot_id():
        return None
    return int(pid) if pid.isdigit() else None


def is_abandoned(upload, image, now):
    """Whether the upload of `image` (in `saving`) has nobody receiving it;
    `upload` is its record (None: an image left in `saving` before uploads
    were recorded, judged by the image's last update)."""
    if upload is None:
        return now - image.updated_at > STALE_AFTER
    pid = _process_of_this_machine(upload.owner)
    if pid is not None:
        return owner_of(pid) != upload.owner
    return now - upload.heartbeat_at > STALE_AFTER


class Heartbeat:
    """This process's uploads in flight, renewed every HEARTBEAT_SECONDS by
    a daemon thread (started on the first upload, again after a fork)."""

    def __init__(self, repo):
        self._repo = repo
        self._lock = threading.Lock()
        self._image_ids = set()
        self._pid = None
        self._owner = None
        self._wake = threading.Event()

    @property
    def owner(self):
        self._start()
        return self._owner

    def _start(self):
        with self._lock:
            if self._pid == os.getpid():
                return
            # First use in this process (or a fork copied another's state).
            self._pid = os.getpid()
            self._owner = owner_of(self._pid)
            self._image_ids = set()
            self._wake = threading.Event()
            threading.Thread(target=self._run, args=(self._wake,),
                             name='upload-heartbeat', daemon=True).start()

    @contextlib.contextmanager
    def receiving(self, image_id):
        """Renew `image_id`'s upload record while the block runs."""
        self._start()
        with self._lock:
            self._image_ids.add(image_id)
        try:
            yield
        finally:
            with self._lock:
                self._image_ids.discard(image_id)

    def _run(self, wake):
        while not wake.wait(HEARTBEAT_SECONDS):
            with self._lock:
                image_ids = sorted(self._image_ids)
            if not image_ids:
                continue
            try:
                self._repo.renew_uploads(self._owner, image_ids)
            except Exception:  # noqa: BLE001 - retried at the next beat
                LOG.exception('Could not renew uploads %s', image_ids)
            finally:
                self._repo.release()


class ReclaimingRepository:
    """A Repository whose image reads take back abandoned uploads first, so
    no request ever sees (or waits on) an upload nobody receives."""

    def __init__(self, repo, store):
        self._repo = repo
        self._store = store

    def __getattr__(self, name):
        return getattr(self._repo, name)

    def get_image(self, image_id):
        image = self._repo.get_image(image_id)
        if image is not None and image.status == 'saving':
            image = self._reclaimed(image)
        return image

    def list_images(self, *args, **kwargs):
        return [self._reclaimed(image) if image.status == 'saving' else image
                for image in self._repo.list_images(*args, **kwargs)]

    def _reclaimed(self, image):
        upload = self._repo.get_upload(image.id)
        if not is_abandoned(upload, image, records.utcnow()):
            return image
        owner = upload.owner if upload is not None else None
        if not self._repo.abandon_upload(image.id, owner):
            return self._repo.get_image(image.id) or image
        LOG.warning('Image %s was left in saving by %s, whose upload died: '
                    'queued again', image.id, owner or 'an older version')
        self._store.discard_partial(image.id)
        return dataclasses.replace(image, status='queued',
                                   updated_at=records.utcnow())
