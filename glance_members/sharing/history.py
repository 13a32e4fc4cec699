"""Who changed which membership, when: an image's history (the owner
sees every row, a member its own) and a project's, as producer or
consumer. The rows are written by the repository with each change."""

from glance_members import exception
from glance_members.sharing import access
from glance_members.policy import sharing_v1 as rules

AS_VALUES = ('producer', 'consumer')


def image_history(ctx, authz, repo, image_id, limit, marker=None):
    """(entries, more), newest first."""
    image = access.find_image(ctx, repo, image_id,
                              access.MEMBER_IMAGE_NOT_FOUND)
    access.require_on_image(ctx, authz, image, rules.IMAGE_HISTORY)
    member_id = None
    if not (ctx.is_admin or ctx.project_id == image.owner):
        member_id = ctx.project_id
    entries = repo.list_history(limit, marker, image_id=image.id,
                                member_id=member_id)
    return entries, len(entries) == limit


def project_history(ctx, authz, repo, as_, limit, marker=None):
    """(entries, more): the caller's project's rows as producer (of its
    images) or as consumer (its memberships), newest first."""
    access.require_own(ctx, authz, rules.PROJECT_HISTORY)
    if as_ not in AS_VALUES:
        raise exception.Invalid('as must be "producer" or "consumer".')
    key = 'image_owner' if as_ == 'producer' else 'member_id'
    entries = repo.list_history(limit, marker, **{key: ctx.project_id})
    return entries, len(entries) == limit
