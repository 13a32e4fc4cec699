"""BesideGlance: the sharing rules' storage (sharing.ports) beside an
existing Glance. Reads come from the local mirror of Glance's images and
memberships (a db.repository.Repository on the mirror's database); every
membership write is made on Glance first, then on the mirror, so the
caller's next read shows it at once (the notification that follows finds
nothing left to change).

Who writes on Glance: the user who asked, with their own token (the auth
plugin keystonemiddleware made for the request, carried in
records.current_actor): the consumer's decisions and leaving, the
producer's batch share and revoke. What no user can do with their token,
a trusted producer's share arriving accepted and an expired share removed,
the service identity of [glance] does (`accept_trusted_arrivals`,
`purge_expired`).

All or nothing: the Glance writes of one request are undone in reverse
order (`_Undo`) when a later one is refused or fails, or when the mirror
cannot record them. A process that dies midway leaves the writes made so
far in Glance; the mirror takes them in from Glance's notification or the
reconciliation, as changes made on Glance directly (README: Beside an
existing Glance).
"""

import contextlib
import logging

from glance_members import exception
from glance_members import records
from glance_members.glance import client as glance_client
from glance_members.sharing import lifecycle

LOG = logging.getLogger(__name__)
# Shares read per page when a decision covers every pending one.
PAGE = 1000
GLANCE_OWNS_IMAGES = ('Images are managed by the Glance beside which this '
                      'service runs: use its image API.')
NO_USER_TOKEN = ('Writing to Glance needs the Keystone token of the user '
                 'who asks.')
LEAVE_REFUSED = ('Glance does not let your project remove its own '
                 'membership of image %s (its policy delete_member allows '
                 'the image owner only): reject the share instead, or ask '
                 'the producer to revoke it.')
REFUSED = 'Glance refused %s / %s: %s'
# Glance's refusal of one pair of a batch, as a failing pair's kind
# (sharing.batch).
_KINDS = {400: 'invalid', 404: 'missing', 413: 'quota'}
_ERRORS = {400: exception.Invalid, 404: exception.NotFound,
           409: exception.Conflict, 413: exception.OverLimit}


SERVICE_REFUSED = ('Glance refused the service identity of [glance] %s '
                   '(see the Glance policy rules it needs): %s')


def refusal(error, message, **details):
    """A GlanceError (Glance's 4xx) as the domain error of its status."""
    return _ERRORS.get(error.status, exception.Forbidden)(message, **details)


class _Undo:
    """The Glance writes made so far for one request, each with the call
    that undoes it."""

    def __init__(self):
        self.steps = []

    def add(self, what, func, *args):
        self.steps.append((what, func, args))

    def run(self):
        """Undo every write, latest first; what could not be undone."""
        left = []
        for what, func, args in reversed(self.steps):
            try:
                func(*args)
            except (glance_client.GlanceError,
                    exception.ServiceUnavailable) as e:
                LOG.error('Could not undo %s on Glance: %s', what, e)
                left.append(what)
        self.steps = []
        return left


@contextlib.contextmanager
def all_or_nothing():
    """An _Undo whose writes are undone if the block raises."""
    undo = _Undo()
    try:
        yield undo
    except BaseException:
        left = undo.run()
        if left:
            LOG.error('Left on Glance after a failed request: %s (the '
                      'mirror takes them in as made on Glance)',
                      ', '.join(left))
        raise


class BesideGlance:
    """sharing.ports' adapter beside Glance; see the module docstring.

    `repo`: the local Repository holding the mirror; `glance`: a
    GlanceClient of the service identity ([glance]); `mirror`: the
    glance.mirror.Mirror of both, which fills a miss (below)."""

    def __init__(self, repo, glance, mirror=None):
        self.repo = repo
        self.glance = glance
        self.mirror = mirror
        self.database = repo.database

    # --- whose token ------------------------------------------------------

    def as_user(self):
        """Glance as the user of the request (records.current_actor)."""
        auth = records.current_actor.get().auth
        if auth is None:
            raise exception.Forbidden(NO_USER_TOKEN)
        return self.glance.for_user(auth)

    # --- reads: the mirror ------------------------------------------------

    def ping(self):
        return self.repo.ping()

    def release(self):
        self.repo.release()

    def get_image(self, image_id):
        """The mirror's image; one it does not have yet (made on Glance a
        moment ago, its notification still on the way) is read from
        Glance at once and mirrored, if Glance has it (an id Glance does
        not know leaves no trace)."""
        image = self.repo.get_image(image_id)
        if image is not None or self.mirror is None:
            return image
        snapshot = self.mirror.read(image_id)
        if snapshot.image is None:
            return None
        accept_trusted_arrivals(self.glance, self.repo,
                                self.mirror.store.apply_images([snapshot]))
        return self.repo.get_image(image_id)

    def list_images(self, query, project_id, is_admin, marker=None):
        return self.repo.list_images(query, project_id, is_admin, marker)

    def get_member(self, image_id, member_id):
        return self.repo.get_member(image_id, member_id)

    def list_members(self, image_id):
        return self.repo.list_members(image_id)

    def list_inbox(self, project_id, status, limit, marker=None):
        return self.repo.list_inbox(project_id, status, limit, marker)

    def count_inbox(self, project_id):
        return self.repo.count_inbox(project_id)

    def find_shares(self, project_id, image_ids):
        return self.repo.find_shares(project_id, image_ids)

    def list_trusts(self, consumer, limit, marker=None):
        return self.repo.list_trusts(consumer, limit, marker)

    def get_trust(self, consumer, producer):
        return self.repo.get_trust(consumer, producer)

    def list_image_shares(self, image_id):
        return self.repo.list_image_shares(image_id)

    def get_share(self, image_id, member_id):
        return self.repo.get_share(image_id, member_id)

    def list_history(self, limit, marker=None, image_id=None,
                     member_id=None, image_owner=None):
        return self.repo.list_history(limit, marker, image_id, member_id,
                                      image_owner)

    # --- images are Glance's ------------------------------------------------

    def create_image(self, image):
        raise exception.Forbidden(GLANCE_OWNS_IMAGES)

    def update_image(self, image):
        raise exception.Forbidden(GLANCE_OWNS_IMAGES)

    def delete_image(self, image_id):
        raise exception.Forbidden(GLANCE_OWNS_IMAGES)

    def change_status(self, image_id, from_status, to_status, **data):
        raise exception.Forbidden(GLANCE_OWNS_IMAGES)

    # --- one membership, as /v2 writes it ----------------------------------

    def add_member(self, image_id, member_id, quota):
        glance = self.as_user()
        image = self.get_image(image_id)
        with all_or_nothing() as undo:
            if self._add(glance, undo, image_id, member_id) and image:
                self._accept_trusted([(image, member_id)])
            return self.repo.add_member(image_id, member_id, quota)

    def update_member_status(self, image_id, member_id, status):
        before = self.repo.get_member(image_id, member_id)
        if before is None:
            return None
        glance = self.as_user()
        with all_or_nothing() as undo:
            self._set_status(glance, undo, image_id, member_id, status,
                             before.status)
            return self.repo.update_member_status(image_id, member_id,
                                                  status)

    def delete_member(self, image_id, member_id):
        if self.repo.get_member(image_id, member_id) is None:
            return False
        self._delete(self.as_user(), image_id, member_id)
        return self.repo.delete_member(image_id, member_id)

    # --- the consumer ------------------------------------------------------

    def decide_shares(self, project_id, status, image_ids):
        if image_ids is None:
            shares = self._all_pending(project_id)
        else:
            shares = self.repo.find_shares(project_id, image_ids)
            found = {s.image_id for s in shares}
            missing = [i for i in image_ids if i not in found]
            if missing:
                raise exception.NotFound(missing=missing)
        before = {s.image_id: s.status for s in shares}
        glance = self.as_user()
        with all_or_nothing() as undo:
            for share in shares:
                if share.status != status:
                    self._set_status(glance, undo, share.image_id,
                                     project_id, status, share.status)
            decided = self.repo.decide_shares(
                project_id, status, [s.image_id for s in shares])
        # The status before is the one the caller saw, even if Glance's
        # notification reached the mirror before this request's write.
        return [(share, before.get(share.image_id, was))
                for share, was in decided]

    def _all_pending(self, project_id):
        shares, marker = [], None
        while True:
            page = self.repo.list_inbox(project_id,
                                        lifecycle.NEW_MEMBER_STATUS, PAGE,
                                        marker)
            shares += page
            if len(page) < PAGE:
                return shares
            marker = page[-1].image_id

    def leave_share(self, project_id, image_id):
        """Leaving is removing one's own membership on Glance, with one's
        own token: Glance 33's default policy (delete_member) allows the
        image owner only, so by default it is refused (Forbidden)."""
        if not self.repo.find_shares(project_id, [image_id]):
            return None
        try:
            self.as_user().delete_member(image_id, project_id)
        except glance_client.GlanceError as e:
            if e.status == 403:
                raise exception.Forbidden(LEAVE_REFUSED % image_id)
            raise refusal(e, REFUSED % (image_id, project_id, e.detail))
        return self.repo.leave_share(project_id, image_id)

    # --- trusted producers ----------------------------------------------

    def add_trust(self, consumer, producer, accept_pending):
        """The trust is this service's own; accepting the producer's
        pending shares is the consumer's decision, made on Glance with
        their token."""
        glance = self.as_user() if accept_pending else None
        with all_or_nothing() as undo:
            if accept_pending:
                for share in self._all_pending(consumer):
                    if share.image.owner == producer:
                        self._set_status(
                            glance, undo, share.image_id, consumer,
                            lifecycle.TRUSTED_STATUS, share.status)
            return self.repo.add_trust(consumer, producer, accept_pending)

    def remove_trust(self, consumer, producer):
        return self.repo.remove_trust(consumer, producer)

    # --- the producer: batch share and revoke -------------------------------

    def share_batch(self, image_ids, member_ids, expires_at, quota):
        """Every pair the mirror has no live membership for is added on
        Glance with the producer's token (and accepted by the service
        identity where the consumer trusts the producer), then recorded in
        the mirror; a refusal undoes the pairs added before it."""
        image_ids, member_ids = list(image_ids), list(member_ids)
        images, missing, adding, over = {}, [], [], []
        for image_id in image_ids:
            image = self.get_image(image_id)
            if image is None:
                missing.append(image_id)
                continue
            images[image_id] = image
            live = {s.member_id for s in self.repo.list_image_shares(
                image_id)}
            count = len(live)
            for member_id in member_ids:
                if member_id in live:
                    continue
                count += 1
                if lifecycle.is_over_quota(quota, count):
                    over.append((image_id, member_id, count))
                adding.append((image, member_id))
        if missing:
            raise exception.NotFound(missing=missing)
        if over:
            raise exception.OverLimit(failures=over)
        producer = self.as_user()
        with all_or_nothing() as undo:
            added = {(image.id, member_id) for image, member_id in adding
                     if self._add(producer, undo, image.id, member_id,
                                  batch=True)}
            self._accept_trusted(
                [(image, member_id) for image, member_id in adding
                 if (image.id, member_id) in added])
            results = self.repo.share_batch(image_ids, member_ids,
                                            expires_at, quota)
        for result in results:
            if (result.image_id, result.member_id) in added and \
                    result.result == 'existing':
                # The notification of our own write reached the mirror
                # first: the pair is still this batch's.
                result.result = 'created'
                if expires_at is not None and self.repo.set_expiry(
                        result.image_id, result.member_id, expires_at):
                    result.expires_at = expires_at
        return results

    def _accept_trusted(self, pairs):
        """The service identity accepts on Glance the new shares whose
        consumer trusts the image's owner (lifecycle.arrive's rule)."""
        for image, member_id in pairs:
            if image.owner is not None and self.repo.get_trust(
                    member_id, image.owner) is not None:
                self.as_service('modify_member', self.glance.update_member,
                                image.id, member_id,
                                lifecycle.TRUSTED_STATUS)

    def revoke_batch(self, image_ids, member_ids):
        """Every live pair removed on Glance with the producer's token,
        then in the mirror; a refusal puts back the pairs removed before
        it (added again by the producer, their status set again by the
        service identity)."""
        image_ids, member_ids = list(image_ids), list(member_ids)
        producer = self.as_user()
        with all_or_nothing() as undo:
            for image_id in image_ids:
                for member_id in member_ids:
                    share = self.repo.get_share(image_id, member_id)
                    if share is None:
                        continue
                    self._delete(producer, image_id, member_id, batch=True)
                    undo.add('the revoke of %s / %s' % (
                        image_id, member_id), self._put_back, producer,
                        image_id, member_id, share.status)
            return self.repo.revoke_batch(image_ids, member_ids)

    def _put_back(self, producer, image_id, member_id, status):
        producer.add_member(image_id, member_id)
        if status != lifecycle.NEW_MEMBER_STATUS:
            self.glance.update_member(image_id, member_id, status)

    # --- expiry -----------------------------------------------------------

    def set_expiry(self, image_id, member_id, expires_at):
        return self.repo.set_expiry(image_id, member_id, expires_at)

    def purge_expired(self, now=None, limit=1000):
        """The expired memberships removed on Glance by the service
        identity (a consumer's membership in a producer's image: neither
        is the one to remove it when it expires), then in the mirror. If
        Glance fails midway, the mirror keeps them (invisible, as every
        expired share) for the next run."""
        now = now or records.utcnow()
        expired = self.repo.list_expired(now, limit)
        for share in expired:
            self.as_service('delete_member', self.glance.delete_member,
                            share.image_id, share.member_id)
        return self.repo.purge_expired(now, limit) if expired else 0

    # --- one Glance write each ----------------------------------------------

    def _add(self, glance, undo, image_id, member_id, batch=False):
        """Add a member on Glance, undone by removing it; False when
        Glance had it already (the mirror had not heard yet: not ours to
        undo)."""
        try:
            glance.add_member(image_id, member_id)
        except glance_client.GlanceError as e:
            if e.status == 409:
                return False
            raise self._refused(e, image_id, member_id, batch)
        undo.add('the share of %s with %s' % (image_id, member_id),
                 glance.delete_member, image_id, member_id)
        return True

    def _set_status(self, glance, undo, image_id, member_id, status,
                    before):
        try:
            glance.update_member(image_id, member_id, status)
        except glance_client.GlanceError as e:
            raise refusal(e, REFUSED % (image_id, member_id, e.detail))
        undo.add('the decision on %s' % image_id, glance.update_member,
                 image_id, member_id, before)

    def _delete(self, glance, image_id, member_id, batch=False):
        """Remove a member on Glance; one Glance no longer has is gone
        already."""
        try:
            glance.delete_member(image_id, member_id)
        except glance_client.GlanceError as e:
            raise self._refused(e, image_id, member_id, batch)

    @staticmethod
    def _refused(error, image_id, member_id, batch):
        if not batch:
            return refusal(error, REFUSED % (image_id, member_id,
                                             error.detail))
        # sharing.batch lists it as a failing pair (`refused`).
        reason = 'Glance refused it: %s' % error.detail
        return refusal(error, reason, refused=[
            (_KINDS.get(error.status, 'forbidden'), image_id, member_id,
             reason)])

    def as_service(self, what, call, *args):
        """`call` of the service identity's client; Glance refusing it is
        a deployment error (503), never the caller's."""
        try:
            return call(*args)
        except glance_client.GlanceError as e:
            raise exception.ServiceUnavailable(SERVICE_REFUSED % (what, e))


def accept_trusted_arrivals(glance, repo, applied):
    """The mirror's hook (glance.mirror): of the memberships it just took
    in from Glance (db.mirror.Applied), those that arrived pending for a
    consumer who trusts the image's owner are accepted on Glance by the
    service identity (`glance`), then recorded accepted in the mirror
    (`repo`, history: auto_accepted). A failure is logged: the share stays
    pending, as the consumer can see and decide."""
    for outcome in applied:
        plan = outcome.plan
        if outcome.stale or plan is None or plan.owner is None:
            continue
        for op, member_id, member in plan.members:
            if op not in ('insert', 'revive') or \
                    member.status != lifecycle.NEW_MEMBER_STATUS or \
                    repo.get_trust(member_id, plan.owner) is None:
                continue
            try:
                glance.update_member(plan.image_id, member_id,
                                     lifecycle.TRUSTED_STATUS)
                repo.accept_trusted(member_id, plan.owner, [plan.image_id])
            except (glance_client.GlanceError,
                    exception.ServiceUnavailable) as e:
                LOG.warning('Could not accept the share of %s with %s '
                            '(trusted producer %s): %s', plan.image_id,
                            member_id, plan.owner, e)
