"""What the extension's rule modules share: policy checks and messages."""

from glance_members import exception
from glance_members import sharing

NOT_AUTHORIZED = sharing.NOT_AUTHORIZED
NO_PROJECT = 'A project-scoped token is required for %s.'


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
    from glance_members.policy import images as image_rules
    target = sharing.policy_target(ctx, image)
    if authz.check(ctx, rule, target):
        return
    if not authz.check(ctx, image_rules.GET_IMAGE, target):
        raise exception.NotFound(sharing.MEMBER_IMAGE_NOT_FOUND % image.id)
    raise exception.Forbidden(NOT_AUTHORIZED % rule)


def may_on_image(ctx, authz, image, rule):
    return authz.check(ctx, rule, sharing.policy_target(ctx, image))


def count_of(number, noun):
    """'1 failing pair', '2 failing pairs'."""
    return '%d %s' % (number, noun if number == 1 else noun + 's')
