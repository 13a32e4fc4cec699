"""What every sharing rule starts with: can the caller see this image, and
may it act on it. Which "no" becomes a 404 that hides the image and which
a 403 is decided here, once, in Glance's order of checks.

Plain Python on purpose, as every module of glance_members.sharing: no
Flask, no peewee. Rules take the request context, an authorizer (policy
yes/no) and a repository (glance_members.sharing.ports.Repository), and
return records or raise a domain exception carrying Glance's message.
"""

import uuid

from glance_members import exception
from glance_members.policy import images as image_rules

IMAGE_NOT_FOUND = 'No image found with ID %s'
MEMBER_IMAGE_NOT_FOUND = 'Image %s not found.'
NOT_AUTHORIZED = 'You are not authorized to complete %s action.'
ONLY_SHARED = 'Only shared images have members.'
NO_PROJECT = 'A project-scoped token is required for %s.'


def policy_target(ctx, image):
    """The policy target of an image, as Glance's ImageTarget builds it.

    `member_id` is the caller's own project when it looks at someone else's
    shared image: it can only have found that image through a membership.
    """
    consumer = (image.visibility == 'shared' and ctx.project_id != image.owner)
    target = dict(image.properties)
    target.update(id=image.id, project_id=image.owner, owner=image.owner,
                  visibility=image.visibility, status=image.status,
                  protected=image.protected, name=image.name,
                  member_id=ctx.project_id if consumer else None)
    return target


def is_visible(ctx, image, repo):
    """Glance's is_image_visible: admin, ownerless, public/community, the
    owner, or a consumer of a shared image in any member status."""
    if ctx.is_admin or image.owner is None:
        return True
    if image.visibility in ('public', 'community'):
        return True
    if ctx.project_id is None:
        return False
    if ctx.project_id == image.owner:
        return True
    return (image.visibility == 'shared' and
            repo.get_member(image.id, ctx.project_id) is not None)


def is_uuid(value):
    try:
        return str(uuid.UUID(value)) == value.lower() and len(value) == 36
    except (ValueError, AttributeError, TypeError):
        return False


def find_image(ctx, repo, image_id, not_found=IMAGE_NOT_FOUND):
    """The image if it exists and the caller may know so, else NotFound."""
    image = repo.get_image(image_id) if is_uuid(image_id) else None
    if image is None or not is_visible(ctx, image, repo):
        raise exception.NotFound(not_found % image_id)
    return image


def require(ctx, authz, rule, target):
    if not authz.check(ctx, rule, target):
        raise exception.Forbidden(NOT_AUTHORIZED % rule)


def require_image_rule(ctx, authz, image, rule):
    """Enforce `rule` on an existing image; a caller who fails get_image as
    well learns nothing: 404, as Glance's ImageAPIPolicy does."""
    target = policy_target(ctx, image)
    if authz.check(ctx, rule, target):
        return
    if rule == image_rules.GET_IMAGE or not authz.check(
            ctx, image_rules.GET_IMAGE, target):
        raise exception.NotFound()
    raise exception.Forbidden(NOT_AUTHORIZED % rule)


def require_member_rule(ctx, authz, image, rule):
    """Glance's MemberAPIPolicy: get_image first (404), then the rule (403)."""
    target = policy_target(ctx, image)
    if not authz.check(ctx, image_rules.GET_IMAGE, target):
        raise exception.NotFound()
    require(ctx, authz, rule, target)


def own_target(ctx):
    """The target of a rule on the caller's own project's things."""
    return {'project_id': ctx.project_id, 'owner': ctx.project_id,
            'member_id': ctx.project_id}


def require_own(ctx, authz, rule):
    """The caller may do `rule` to its own project's things, else 403."""
    if not authz.check(ctx, rule, own_target(ctx)) or ctx.project_id is None:
        raise exception.Forbidden(NOT_AUTHORIZED % rule)


def require_on_image(ctx, authz, image, rule):
    """`rule` on an image the caller can see; a caller who may not even
    get the image learns nothing (404), as Glance's member rules."""
    target = policy_target(ctx, image)
    if authz.check(ctx, rule, target):
        return
    if not authz.check(ctx, image_rules.GET_IMAGE, target):
        raise exception.NotFound(MEMBER_IMAGE_NOT_FOUND % image.id)
    raise exception.Forbidden(NOT_AUTHORIZED % rule)


def may_on_image(ctx, authz, image, rule):
    return authz.check(ctx, rule, policy_target(ctx, image))


def count_of(number, noun):
    """'1 failing pair', '2 failing pairs'."""
    return '%d %s' % (number, noun if number == 1 else noun + 's')
