"""Trusted producers: a consumer's list of projects whose shares arrive
accepted (by /v2 or by batch), managed as a consumer accepts."""

from glance_members import exception
from glance_members.policy import sharing_v1 as rules
from glance_members.sharing import access

NOT_TRUSTED = 'Project %s is not a trusted producer of your project.'
TRUST_SELF = 'A project cannot trust itself: its own images need no share.'


def list_trusts(ctx, authz, repo, limit, marker=None):
    """(trusts, more): one page, by producer id."""
    access.require_own(ctx, authz, rules.LIST_TRUSTS)
    trusts = repo.list_trusts(ctx.project_id, limit, marker)
    return trusts, len(trusts) == limit


def add_trust(ctx, authz, repo, producer, accept_pending=False):
    """(trust, created, accepted shares)."""
    access.require_own(ctx, authz, rules.ADD_TRUST)
    if producer == ctx.project_id:
        raise exception.Invalid(TRUST_SELF)
    return repo.add_trust(ctx.project_id, producer, accept_pending)


def remove_trust(ctx, authz, repo, producer):
    access.require_own(ctx, authz, rules.REMOVE_TRUST)
    if not repo.remove_trust(ctx.project_id, producer):
        raise exception.NotFound(NOT_TRUSTED % producer)
