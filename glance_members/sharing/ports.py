"""What the sharing rules need of storage: the ports a storage adapter
implements (the local database: db.repository.Repository; next, an
existing Glance's API beside a local mirror).

The rules in this package take `repo`, any object with these methods; they
never ask which adapter it is. An adapter locks, stores and answers; what
each change is (status, history event, live or expired, over quota) it
asks of sharing.lifecycle, inside its own transaction where races matter.
Records are glance_members.records dataclasses. Writes raise the domain
exceptions named; an adapter that cannot reach its store raises
ServiceUnavailable.

tests/unit/test_ports.py checks that each adapter has every method here
with a compatible signature.
"""

import typing


class Images(typing.Protocol):
    """Images: every adapter reads them; only one that serves /v2 itself
    (not beside Glance, where Glance serves /v2) writes them."""

    def get_image(self, image_id):
        """records.Image with properties and tags, or None."""

    def list_images(self, query, project_id, is_admin, marker=None):
        """One page of records.ImageQuery (the marker image given)."""

    def create_image(self, image):
        """Store a new records.Image; Duplicate if its id was ever used."""

    def update_image(self, image):
        """Store every field but its data; None if it is gone."""

    def delete_image(self, image_id):
        """Delete with its members; its data location, or False."""

    def change_status(self, image_id, from_status, to_status, **data):
        """Compare-and-set the status (and data fields): True if done."""

    def release(self):
        """The end of a request: give back what it held."""


class Members(typing.Protocol):
    """An image's memberships, as /v2 manages them."""

    def get_member(self, image_id, member_id):
        """The live records.Member, or None."""

    def list_members(self, image_id):
        """The live records.Member of the image, oldest first."""

    def add_member(self, image_id, member_id, quota):
        """Add (or revive) a membership in lifecycle.arrive's status:
        records.Member. NotFound (image gone), OverLimit (`attempted`),
        Duplicate (live already)."""

    def update_member_status(self, image_id, member_id, status):
        """records.Member, or None if it is not live."""

    def delete_member(self, image_id, member_id):
        """True if a live membership was removed."""


class Shares(typing.Protocol):
    """The sharing API's storage: inbox, decisions, trust, batch, expiry,
    history. Every write records its history rows (lifecycle.Change)."""

    def list_inbox(self, project_id, status, limit, marker=None):
        """One page of records.Share (with .image), newest image first;
        Invalid for a marker that is not one of its shares."""

    def count_inbox(self, project_id):
        """{status: count} of the project's live shares."""

    def find_shares(self, project_id, image_ids):
        """The project's live records.Share among image_ids."""

    def decide_shares(self, project_id, status, image_ids):
        """Set status on those shares (None: every pending one), all or
        none: NotFound (`missing`). [(records.Share, status before)]."""

    def leave_share(self, project_id, image_id):
        """Remove the project's own share; the share, or None."""

    def list_trusts(self, consumer, limit, marker=None):
        """One page of records.Trust by producer."""

    def get_trust(self, consumer, producer):
        """records.Trust or None."""

    def add_trust(self, consumer, producer, accept_pending):
        """(records.Trust, created, [accepted records.Share])."""

    def remove_trust(self, consumer, producer):
        """True if there was one."""

    def share_batch(self, image_ids, member_ids, expires_at, quota):
        """Every image with every member, all or nothing: NotFound
        (`missing`), OverLimit (`failures`). [records.PairResult]."""

    def revoke_batch(self, image_ids, member_ids):
        """[records.PairResult]: removed or absent."""

    def list_image_shares(self, image_id):
        """The image's live records.Share, oldest first."""

    def get_share(self, image_id, member_id):
        """The live records.Share, or None."""

    def set_expiry(self, image_id, member_id, expires_at):
        """The records.Share with its new expiry, or None if not live."""

    def purge_expired(self, now=None, limit=1000):
        """Remove up to `limit` expired memberships; how many went."""

    def list_history(self, limit, marker=None, image_id=None,
                     member_id=None, image_owner=None):
        """records.HistoryEntry, newest first."""


PORTS = (Images, Members, Shares)
