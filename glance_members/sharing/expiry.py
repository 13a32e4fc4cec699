"""Membership expiry: the producer sets or clears `expires_at`; past it
the membership is gone from every view (sharing.lifecycle: a query-time
rule) until glance-members-manage purges it."""

from glance_members import exception
from glance_members import records
from glance_members.sharing import access
from glance_members.sharing import lifecycle
from glance_members.sharing import members
from glance_members.policy import sharing_v1 as rules

IN_THE_PAST = 'expires_at must be in the future (UTC), not %s.'


def check_future(expires_at):
    """Refuse an expiry that is already past (it would remove at once)."""
    if lifecycle.is_expired(expires_at, records.utcnow()):
        raise exception.Invalid(IN_THE_PAST % expires_at.strftime(
            '%Y-%m-%dT%H:%M:%SZ'))


def image_shares(ctx, authz, repo, image_id):
    """The image's memberships as /v2 lists them (same visibility and
    policy: the owner sees all, a member its own), with their expiry."""
    visible = {m.member_id for m in members.list_members(
        ctx, authz, repo, image_id)}
    image = access.find_image(ctx, repo, image_id,
                              access.MEMBER_IMAGE_NOT_FOUND)
    return [s for s in repo.list_image_shares(image.id)
            if s.member_id in visible]


def set_expiry(ctx, authz, repo, image_id, member_id, expires_at):
    """The membership with its new expiry (None clears it)."""
    image = access.find_image(ctx, repo, image_id,
                              access.MEMBER_IMAGE_NOT_FOUND)
    if image.visibility != 'shared':
        raise exception.Forbidden(access.ONLY_SHARED)
    access.require_on_image(ctx, authz, image, rules.SET_EXPIRY)
    check_future(expires_at)
    share = repo.set_expiry(image.id, member_id, expires_at)
    if share is None:
        raise exception.NotFound(members.MEMBER_NOT_FOUND % (member_id,
                                                             image.id))
    return share
