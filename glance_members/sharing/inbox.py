"""The consumer's inbox: its shares across images, decisions in bulk, and
leaving a share (the membership goes; the producer may share again)."""

from glance_members import exception
from glance_members.policy import sharing_v1 as rules
from glance_members.sharing import access

NOT_IN_INBOX = 'Not shared with your project: %s.'
NOT_SHARED = 'Image %s is not shared with your project.'


def list_inbox(ctx, authz, repo, status, limit, marker=None):
    """(shares, counts per status, more): one page of the caller's shares
    in `status` ('all': any), newest image first."""
    access.require_own(ctx, authz, rules.LIST_INBOX)
    shares = repo.list_inbox(ctx.project_id,
                             None if status == 'all' else status, limit,
                             marker)
    return shares, repo.count_inbox(ctx.project_id), len(shares) == limit


def decide(ctx, authz, repo, status, image_ids=None):
    """Set `status` on the caller's shares of `image_ids` (None: every
    pending one), all or none. [(share, status before)]."""
    access.require_own(ctx, authz, rules.DECIDE)
    try:
        return repo.decide_shares(ctx.project_id, status, image_ids)
    except exception.NotFound as e:
        raise exception.NotFound(NOT_IN_INBOX % ', '.join(e.missing))


def leave(ctx, authz, repo, image_id):
    """Remove the caller's own membership; the share as it was."""
    access.require_own(ctx, authz, rules.LEAVE)
    share = repo.leave_share(ctx.project_id, image_id)
    if share is None:
        raise exception.NotFound(NOT_SHARED % image_id)
    return share
