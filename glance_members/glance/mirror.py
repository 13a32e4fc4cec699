"""Keeping the mirror fresh: re-read one image's truth from Glance and
apply it (what a notification triggers), the initial sync of every image,
and the periodic, bounded reconciliation that repairs what a lost
notification left stale.

A notification is only a hint: the truth is always re-read from Glance's
API with the service identity (GET /v2/images/{id}, and /members when the
image is shared), then applied by db.mirror.MirrorStore in one
transaction, so an event applied twice changes nothing and an older event
cannot undo a newer state.
"""

import concurrent.futures
import dataclasses
import datetime
import logging
import threading
import time

from glance_members.db import mirror as db_mirror
from glance_members import records
from glance_members.glance import client as glance_client
from glance_members.glance import shares
from glance_members.sharing import mirroring

LOG = logging.getLogger(__name__)
# Images applied per transaction by the sync and the reconciliation.
APPLY_BATCH = 100
# The reconciliation asks Glance for images updated since the mirror's
# newest, less this (clock skew between Glance's API workers).
RECENT_MARGIN = datetime.timedelta(minutes=5)


@dataclasses.dataclass
class Report:
    """What a sync or a reconciliation run did."""
    images: int = 0
    members: int = 0
    changed: int = 0
    stale: int = 0
    gone: int = 0
    glance_requests: int = 0
    seconds: float = 0.0
    cursor: str | None = None

    def line(self):
        return ('%d images (%d members) read from Glance in %d requests, '
                '%d changed, %d gone, %d stale, %.1f s' % (
                    self.images, self.members, self.glance_requests,
                    self.changed, self.gone, self.stale, self.seconds))


class Mirror:
    """The mirror of one Glance (a GlanceClient of the service identity)
    in one database (a db.mirror.MirrorStore)."""

    def __init__(self, client, store, workers=4, page_size=1000):
        self.client = client
        self.store = store
        self.workers = workers
        self.page_size = page_size
        self._cursor = None
        self._cursor_lock = threading.Lock()

    # --- one image (a notification's hint) --------------------------------

    def read(self, image_id):
        """Glance's truth for one image (sharing.mirroring.Snapshot).
        ServiceUnavailable if Glance does not answer."""
        read_at = records.utcnow()
        image = self.client.get_image(image_id)
        members = None
        if image is not None and image.visibility == 'shared':
            members = self.client.list_members(image_id)
        return mirroring.Snapshot(image_id, read_at, image, members)

    def refresh(self, image_id, actor=None):
        """Re-read one image from Glance and apply it; the db.mirror.Applied.
        ServiceUnavailable if Glance or the database does not answer
        (nothing is written then)."""
        [applied] = self.store.apply_images([self.read(image_id)],
                                            actor=actor)
        shares.accept_trusted_arrivals(self.client, self.store.repo,
                                       [applied])
        return applied

    # --- many images ------------------------------------------------------

    def _with_members(self, snapshots):
        """Snapshots of listed images, the members of the shared ones read
        from Glance (`workers` at once)."""
        def members_of(snapshot):
            if snapshot.image is not None and \
                    snapshot.image.visibility == 'shared':
                snapshot.members = self.client.list_members(
                    snapshot.image_id)
            return snapshot
        with concurrent.futures.ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(members_of, snapshots))

    def _apply(self, snapshots, report, history=True):
        for i in range(0, len(snapshots), APPLY_BATCH):
            batch = snapshots[i:i + APPLY_BATCH]
            outcomes = self.store.apply_images(batch, history=history)
            shares.accept_trusted_arrivals(self.client, self.store.repo,
                                           outcomes)
            for snapshot, applied in zip(batch, outcomes):
                report.images += 1
                report.members += len(snapshot.members or ())
                report.stale += applied.stale
                report.changed += applied.changed
                report.gone += snapshot.image is None and applied.changed

    def sync(self, history=False):
        """Every image Glance lists to an admin (hidden ones included) and
        the members of the shared ones, a page at a time (memory bounded by
        a page). Images the mirror has that Glance no longer lists are
        re-read (and removed if gone). `history` False: the memberships
        found are not recorded as created now (they were made before).
        Memory: a page of images and the set of listed ids. Returns a
        Report."""
        started, before = time.monotonic(), self.client.requests_made
        report = Report()
        listed = set()
        pages = self.client.list_images(self.page_size)
        while True:
            read_at = records.utcnow()
            page = next(pages, None)
            if page is None:
                break
            listed.update(image.id for image in page)
            self._apply(self._with_members([
                mirroring.Snapshot(image.id, read_at, image, None)
                for image in page]), report, history)
        cursor = None
        while True:
            ids = self.store.image_ids_after(cursor, APPLY_BATCH * 10)
            if not ids:
                break
            cursor = ids[-1]
            missing = [i for i in ids if i not in listed]
            if missing:
                self._apply(self._read_many(missing), report, history)
        report.glance_requests = self.client.requests_made - before
        report.seconds = time.monotonic() - started
        return report

    def _read_many(self, image_ids):
        with concurrent.futures.ThreadPoolExecutor(self.workers) as pool:
            return list(pool.map(self.read, image_ids))

    def reconcile(self, batch_size=200):
        """One bounded run: the images Glance changed since the mirror's
        newest update (images made or changed while notifications were
        lost; the newest `batch_size` of them), then the next `batch_size`
        mirrored images after a rotating cursor (a membership changed or
        removed behind our back; an image Glance no longer has is removed
        with its memberships). Returns a Report (its cursor: where the
        next run starts)."""
        started, before = time.monotonic(), self.client.requests_made
        report = Report()
        newest = self.store.newest_update()
        if newest is not None:
            since = (newest - RECENT_MARGIN).strftime(glance_client.ISO)
            pages = self.client.list_images(min(self.page_size, batch_size),
                                            updated_since=since)
            recent = 0
            while recent < batch_size:
                read_at = records.utcnow()
                page = next(pages, None)
                if page is None:
                    break
                page = page[:batch_size - recent]
                recent += len(page)
                self._apply(self._with_members([
                    mirroring.Snapshot(image.id, read_at, image, None)
                    for image in page]), report)
        with self._cursor_lock:
            ids = self.store.image_ids_after(self._cursor, batch_size)
            if len(ids) < batch_size:
                # Wrap around: the next run starts from the beginning.
                ids += [i for i in self.store.image_ids_after(
                    None, batch_size - len(ids)) if i not in ids]
                self._cursor = None
            else:
                self._cursor = ids[-1]
            report.cursor = self._cursor
        self._apply(self._read_many(ids), report)
        report.glance_requests = self.client.requests_made - before
        report.seconds = time.monotonic() - started
        return report


def from_conf(conf, repo):
    """The Mirror of the Glance of [glance] (service identity, endpoint)
    in the database of `repo` (a db.Repository)."""
    return Mirror(glance_client.GlanceClient.from_conf(conf),
                  db_mirror.MirrorStore(repo),
                  workers=conf.glance.sync_workers,
                  page_size=conf.glance.sync_page_size)


class PeriodicReconciler:
    """Mirror.reconcile every `interval` seconds on a daemon thread (the
    serving process's periodic task): start() and stop(). A run that fails
    (Glance or the database away) is logged and tried again next time."""

    def __init__(self, mirror, interval, batch_size):
        self.mirror = mirror
        self.interval = interval
        self.batch_size = batch_size
        self.runs = 0
        self.last_report = None
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        if self.interval <= 0:
            return self
        self._thread = threading.Thread(
            target=self._loop, name='glance-mirror-reconcile', daemon=True)
        self._thread.start()
        return self

    def _loop(self):
        while not self._stop.wait(self.interval):
            self.run_once()

    def run_once(self):
        try:
            self.last_report = self.mirror.reconcile(self.batch_size)
        except Exception:  # noqa: BLE001 - logged; the next run retries
            LOG.exception('Reconciliation of the Glance mirror failed')
            return None
        finally:
            self.runs += 1
        LOG.info('Reconciled the Glance mirror: %s',
                 self.last_report.line())
        return self.last_report

    def stop(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)


class Running:
    """The mirror kept fresh in this process: Glance's notifications
    applied (listener) and the periodic reconciliation (reconciler)."""

    def __init__(self, mirror, listener, reconciler):
        self.mirror = mirror
        self.listener = listener
        self.reconciler = reconciler

    @property
    def applied(self):
        """{event_type: notifications applied by this process}."""
        return dict(self.listener.gm_endpoint.applied)

    def stop(self):
        self.reconciler.stop()
        self.listener.stop()
        self.listener.wait()


def start(conf, repo):
    """Keep the mirror in `repo`'s database fresh from this process, in
    background threads, until Running.stop(): what `glance-members-manage
    mirror listen` runs, and what a serving process can run beside its
    requests (one per host is enough; hosts in one pool share the work)."""
    from glance_members.glance import listener as glance_listener
    mirror = from_conf(conf, repo)
    listener = glance_listener.make_listener(conf, mirror)
    reconciler = PeriodicReconciler(mirror, conf.glance.reconcile_interval,
                                    conf.glance.reconcile_batch_size)
    listener.start()
    reconciler.start()
    return Running(mirror, listener, reconciler)
