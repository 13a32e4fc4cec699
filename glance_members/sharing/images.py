"""The /v2 image rules: create, show, list, update, delete an image, its
tags, its data (who may upload and download) and its status.

Which images a list may show (Glance's union: public ones, community ones
when asked for or owned, the caller's own, and shared ones the caller is a
member of in the member_status asked for; never killed or deleted ones)
is SQL, so that a page is a full page (db.listing); the policy check of
each listed image is here (list_images).
"""

import dataclasses
import uuid

from glance_members import exception
from glance_members import records
from glance_members.policy import images as image_rules
from glance_members.sharing import access
from glance_members.sharing import lifecycle

DELETE_NOT_FOUND = 'Failed to find image %s to delete'
TAG_LIMIT = ('Image tag limit exceeded for image %s: The limit has been '
             'exceeded on the number of allowed image tags. Attempted: %d, '
             'Maximum: %d:')


def _require_visibility_rule(ctx, authz, visibility, target):
    if visibility == 'public':
        access.require(ctx, authz, image_rules.PUBLICIZE_IMAGE, target)
    elif visibility == 'community':
        access.require(ctx, authz, image_rules.COMMUNITIZE_IMAGE, target)


def create_image(ctx, authz, repo, image, quotas):
    """`image` is a records.Image built from the request (owner may be
    None when the caller did not name one)."""
    if image.owner is None:
        image.owner = ctx.project_id
    target = {'project_id': image.owner, 'owner': image.owner,
              'visibility': image.visibility}
    if not authz.check(ctx, image_rules.ADD_IMAGE, target):
        if image.owner != ctx.project_id:
            raise exception.Forbidden(
                detail="You are not permitted to create images owned by '%s'"
                % image.owner)
        raise exception.Forbidden(access.NOT_AUTHORIZED %
                                  image_rules.ADD_IMAGE)
    _require_visibility_rule(ctx, authz, image.visibility, target)
    _check_image_quotas(image, quotas)
    if image.id is None:
        image.id = str(uuid.uuid4())
    try:
        return repo.create_image(image)
    except exception.Duplicate:
        raise exception.Duplicate(
            'Image ID %s already exists!' % image.id)


def get_image(ctx, authz, repo, image_id):
    image = access.find_image(ctx, repo, image_id)
    access.require_image_rule(ctx, authz, image, image_rules.GET_IMAGE)
    return image


def list_images(ctx, authz, repo, query):
    """One page of the images the caller may list.

    Returns (images, more): `more` is True when the database page was full,
    which is when Glance offers a `next` link.
    """
    access.require(ctx, authz, image_rules.GET_IMAGES,
                   {'project_id': ctx.project_id})
    if query.member_status is None:
        query = dataclasses.replace(
            query, member_status=lifecycle.DEFAULT_LIST_MEMBER_STATUS)
    marker = None
    if query.marker is not None:
        marker = repo.get_image(query.marker) if access.is_uuid(query.marker) \
            else None
        if marker is None or not access.is_visible(ctx, marker, repo):
            raise exception.Invalid(access.IMAGE_NOT_FOUND % query.marker)
    page = repo.list_images(query, project_id=ctx.project_id,
                            is_admin=ctx.is_admin, marker=marker)
    visible = [i for i in page
               if authz.check(ctx, image_rules.GET_IMAGE,
                              access.policy_target(ctx, i))]
    return visible, bool(visible) and len(page) == query.limit


def delete_image(ctx, authz, repo, image_id):
    image = access.find_image(ctx, repo, image_id, DELETE_NOT_FOUND)
    access.require_image_rule(ctx, authz, image, image_rules.DELETE_IMAGE)
    if image.protected:
        raise exception.Forbidden(
            'Image %s is protected and cannot be deleted.' % image.id)
    location = repo.delete_image(image.id)
    if location is False:
        raise exception.NotFound(DELETE_NOT_FOUND % image_id)
    return location


def update_image(ctx, authz, repo, image_id, changes, quotas):
    """Apply JSON-patch `changes` [(op, path, value)] in order, each one
    authorized as Glance does; all or nothing."""
    image = access.find_image(ctx, repo, image_id)
    for op, path, value in changes:
        _apply_change(ctx, authz, image, op, path, value)
    if changes:
        _check_image_quotas(image, quotas)
        image = repo.update_image(image)
        if image is None:
            raise exception.NotFound(access.IMAGE_NOT_FOUND % image_id)
    return image


def _require_modify(ctx, authz, image, name, value=None):
    if name == 'visibility':
        _require_visibility_rule(
            ctx, authz, value, access.policy_target(ctx, image))
    access.require_image_rule(ctx, authz, image, image_rules.MODIFY_IMAGE)


def _apply_change(ctx, authz, image, op, path, value):
    name = path[0]
    if name == 'locations':
        access.require_image_rule(ctx, authz, image, image_rules.MODIFY_IMAGE)
        raise exception.Forbidden(
            detail="It's not allowed to update locations if locations are "
                   "invisible.")
    if op == 'replace' and name == 'owner' and not ctx.is_admin:
        # Glance checks this before any policy.
        raise exception.Forbidden(
            detail="Owner can't be updated by non admin.")
    _require_modify(ctx, authz, image, name, value)
    is_base = name in records.SETTABLE_ATTRIBUTES or name == 'tags'
    if op == 'remove':
        if is_base:
            raise exception.Forbidden(
                detail='Property %s may not be removed.' % name)
        if name not in image.properties:
            raise exception.Conflict(
                detail='Property %s does not exist.' % name)
        del image.properties[name]
        return
    if op == 'replace' and not is_base and name not in image.properties:
        raise exception.Conflict(detail='Property %s does not exist.' % name)
    if op == 'add-new' and (is_base or name in image.properties):
        raise exception.Conflict(detail='Property %s already present.' % name)
    if name == 'tags':
        image.tags = _unique(value)
    elif is_base:
        setattr(image, name, value)
    else:
        image.properties[name] = value


def _unique(values):
    return list(dict.fromkeys(values))


def _over_quota(quota, items):
    """Glance's per-image quotas: a negative quota is no limit."""
    return 0 <= quota < len(items)


def _check_image_quotas(image, quotas):
    if _over_quota(quotas.properties, image.properties):
        raise exception.OverLimit(
            'Maximum number of properties exceeded. Attempted: %d, '
            'Maximum: %d' % (len(image.properties), quotas.properties))
    if _over_quota(quotas.tags, image.tags):
        raise exception.OverLimit(
            'Maximum number of tags exceeded. Attempted: %d, Maximum: %d' %
            (len(image.tags), quotas.tags))


# --- image tags ------------------------------------------------------------

def _image_for_tags(ctx, authz, repo, image_id):
    """Glance's tag controller: modify_image on a visible image (its policy
    refusals are ImageAPIPolicy's: 404 when get_image fails too, else 403).
    """
    image = access.find_image(
        ctx, repo, image_id, access.MEMBER_IMAGE_NOT_FOUND)
    access.require_image_rule(ctx, authz, image, image_rules.MODIFY_IMAGE)
    return image


def add_tag(ctx, authz, repo, image_id, tag, quotas):
    """PUT /v2/images/{id}/tags/{tag}: a tag the image has already is
    saved again (updated_at moves, image.update is sent), as in Glance."""
    image = _image_for_tags(ctx, authz, repo, image_id)
    image.tags = _unique(image.tags + [tag])
    if _over_quota(quotas.tags, image.tags):
        raise exception.OverLimit(TAG_LIMIT % (image_id, len(image.tags),
                                               quotas.tags))
    if repo.update_image(image) is None:
        raise exception.NotFound(access.MEMBER_IMAGE_NOT_FOUND % image_id)


def delete_tag(ctx, authz, repo, image_id, tag):
    image = _image_for_tags(ctx, authz, repo, image_id)
    if tag not in image.tags:
        raise exception.NotFound()
    image.tags.remove(tag)
    if repo.update_image(image) is None:
        raise exception.NotFound(access.MEMBER_IMAGE_NOT_FOUND % image_id)


# --- image data and status -------------------------------------------------

def image_for_upload(ctx, authz, repo, image_id):
    """The image the caller may upload to: its owner (or an admin); a
    consumer, even an accepted one, is refused."""
    image = access.find_image(ctx, repo, image_id)
    access.require_image_rule(ctx, authz, image, image_rules.UPLOAD_IMAGE)
    return image


def image_for_download(ctx, authz, repo, image_id):
    """The image whose bytes the caller may read: Glance's download_image,
    which any member of a shared image passes, in any member status."""
    image = access.find_image(ctx, repo, image_id)
    if image.status == 'deactivated' and not ctx.is_admin:
        raise exception.Forbidden('The requested image has been deactivated. '
                                  'Image data download is forbidden.')
    access.require_image_rule(ctx, authz, image, image_rules.DOWNLOAD_IMAGE)
    return image


def set_active(ctx, authz, repo, image_id, active):
    """Deactivate (active=False) or reactivate an image, as Glance."""
    image = access.find_image(ctx, repo, image_id)
    rule, verb = ((image_rules.REACTIVATE, 'reactivate') if active else
                  (image_rules.DEACTIVATE, 'deactivate'))
    access.require_image_rule(ctx, authz, image, rule)
    current, wanted = (('deactivated', 'active') if active else
                       ('active', 'deactivated'))
    if image.status == wanted:
        return
    if image.status != current or not repo.change_status(image.id, current,
                                                         wanted):
        raise exception.Forbidden("Not allowed to %s image in status '%s'"
                                  % (verb, image.status))
