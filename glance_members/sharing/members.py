"""The /v2 member rules: add, list, show, decide (accept or reject) and
remove an image's members, as Glance 33 does.

Two rules must hold while requests race, so the storage applies them
under its write lock, through glance_members.sharing.lifecycle: the image
must still exist, and its member quota is checked before duplicates (an
image at its quota answers 413 even for a member it has).
"""

from glance_members import exception
from glance_members import records
from glance_members.policy import image_members as member_rules
from glance_members.sharing import access
from glance_members.sharing import lifecycle

MEMBER_NOT_FOUND = '%s not found in the member list of the image %s.'
# Glance's words, for the statuses there are.
BAD_MEMBER_STATUS = 'Incorrect request: Status must be %s or "%s".' % (
    ', '.join('"%s"' % s for s in records.MEMBER_STATUSES[:-1]),
    records.MEMBER_STATUSES[-1])
MEMBER_LIMIT = ('Image member limit exceeded for image %s: The limit has '
                'been exceeded on the number of allowed image members for '
                'this image. Attempted: %d, Maximum: %d:')


def _find_shared_image(ctx, repo, image_id, not_shared):
    image = access.find_image(
        ctx, repo, image_id, access.MEMBER_IMAGE_NOT_FOUND)
    if image.visibility != 'shared':
        raise not_shared
    return image


def _find_member(ctx, authz, repo, image, member_id):
    """The membership row the caller may see: the owner and admins see
    every row, a consumer only its own."""
    access.require_member_rule(ctx, authz, image, member_rules.GET_MEMBER)
    member = None
    if ctx.is_admin or ctx.project_id == image.owner or \
            ctx.project_id == member_id:
        member = repo.get_member(image.id, member_id)
    if member is None:
        raise exception.NotFound(MEMBER_NOT_FOUND % (member_id, image.id))
    return member


def add_member(ctx, authz, repo, image_id, member_id, quotas):
    image = _find_shared_image(ctx, repo, image_id, exception.Forbidden(
        'Not allowed to create members for image %s.' % image_id))
    access.require_member_rule(ctx, authz, image, member_rules.ADD_MEMBER)
    try:
        return repo.add_member(image.id, member_id, quotas.members)
    except exception.OverLimit as e:
        raise exception.OverLimit(MEMBER_LIMIT % (image_id, e.attempted,
                                                  quotas.members))
    except exception.Duplicate:
        raise exception.Duplicate('Member %s is duplicated for image %s' %
                                  (member_id, image_id))


def list_members(ctx, authz, repo, image_id):
    image = access.find_image(
        ctx, repo, image_id, access.MEMBER_IMAGE_NOT_FOUND)
    if image.visibility != 'shared':
        raise exception.Forbidden(
            'Not allowed to list members for image %s: %s' %
            (image.id, access.ONLY_SHARED))
    access.require_member_rule(ctx, authz, image, member_rules.GET_MEMBERS)
    if not authz.check(ctx, member_rules.GET_MEMBER,
                       access.policy_target(ctx, image)):
        return []
    if ctx.is_admin or ctx.project_id == image.owner:
        return repo.list_members(image.id)
    # A consumer sees its own membership only.
    member = repo.get_member(image.id, ctx.project_id)
    return [member] if member else []


def get_member(ctx, authz, repo, image_id, member_id):
    # Glance turns every refusal here into 404, so nothing leaks.
    try:
        image = _find_shared_image(ctx, repo, image_id,
                                   exception.NotFound(access.ONLY_SHARED))
        return _find_member(ctx, authz, repo, image, member_id)
    except exception.Forbidden as e:
        raise exception.NotFound(e.message)


def update_member(ctx, authz, repo, image_id, member_id, status):
    image = _find_shared_image(ctx, repo, image_id, exception.Forbidden(
        'Not allowed to update members for image %s.' % image_id))
    member = _find_member(ctx, authz, repo, image, member_id)
    # Policy before validation: the owner gets 403 whatever the status.
    access.require_member_rule(ctx, authz, image, member_rules.MODIFY_MEMBER)
    if not isinstance(status, str) or status not in lifecycle.STATUSES:
        raise exception.Invalid(BAD_MEMBER_STATUS)
    if member.status == status:  # Glance: a no-op keeps updated_at
        return member
    member = repo.update_member_status(image.id, member_id, status)
    if member is None:  # deleted meanwhile: never resurrect it
        raise exception.NotFound(MEMBER_NOT_FOUND % (member_id, image.id))
    return member


def delete_member(ctx, authz, repo, image_id, member_id):
    image = _find_shared_image(ctx, repo, image_id, exception.Forbidden(
        'Not allowed to delete members for image %s.' % image_id))
    _find_member(ctx, authz, repo, image, member_id)
    access.require_member_rule(ctx, authz, image, member_rules.DELETE_MEMBER)
    if not repo.delete_member(image.id, member_id):
        raise exception.NotFound(MEMBER_NOT_FOUND % (member_id, image.id))
