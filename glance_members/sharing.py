"""The sharing rules: who may see an image, share it, accept it, revoke it.

Plain Python on purpose: no Flask, no peewee. Every function takes the
request context, an authorizer (policy yes/no) and a repository, and either
returns records or raises a domain exception carrying Glance's message.
Which "no" becomes a 404 that hides the image, and which a 403, is decided
here, once, in Glance's order of checks.

Three rules must hold while requests race, so the database enforces them
under its write lock; they are stated here and pointed to:
- adding a member: the image must still exist, and its member quota is
  checked before duplicates (an image at its quota answers 413 even for a
  member it has), in db.repository.Repository.add_member;
- which images a list may show (Glance's union: public ones, community
  ones when asked for or owned, the caller's own, and shared ones the
  caller is a member of in the member_status asked for; never killed or
  deleted ones) is SQL, so that a page is a full page, in
  db.listing._list_conditions and db.listing._listable_branches; the policy
  check of each listed image is here (list_images).
"""

import dataclasses
import uuid

from glance_members import exception
from glance_members import records
from glance_members.policy import image_members as member_rules
from glance_members.policy import images as image_rules

IMAGE_NOT_FOUND = 'No image found with ID %s'
DELETE_NOT_FOUND = 'Failed to find image %s to delete'
MEMBER_IMAGE_NOT_FOUND = 'Image %s not found.'
MEMBER_NOT_FOUND = '%s not found in the member list of the image %s.'
NOT_AUTHORIZED = 'You are not authorized to complete %s action.'
ONLY_SHARED = 'Only shared images have members.'
BAD_MEMBER_STATUS = ('Incorrect request: Status must be "pending", '
                     '"accepted" or "rejected".')
TAG_LIMIT = ('Image tag limit exceeded for image %s: The limit has been '
             'exceeded on the number of allowed image tags. Attempted: %d, '
             'Maximum: %d:')
MEMBER_LIMIT = ('Image member limit exceeded for image %s: The limit has '
                'been exceeded on the number of allowed image members for '
                'this image. Attempted: %d, Maximum: %d:')
# A new member waits for the consumer, and so does a removed member added
# again: Glance revives it as pending, whatever it said before.
NEW_MEMBER_STATUS = 'pending'
# A list that names no member_status shows, of the images shared with the
# caller, only those it accepted (Glance's default).
DEFAULT_LIST_MEMBER_STATUS = 'accepted'


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


def _is_uuid(value):
    try:
        return str(uuid.UUID(value)) == value.lower() and len(value) == 36
    except (ValueError, AttributeError, TypeError):
        return False


def find_image(ctx, repo, image_id, not_found=IMAGE_NOT_FOUND):
    """The image if it exists and the caller may know so, else NotFound."""
    image = repo.get_image(image_id) if _is_uuid(image_id) else None
    if image is None or not is_visible(ctx, image, repo):
        raise exception.NotFound(not_found % image_id)
    return image


def _require(ctx, authz, rule, target):
    if not authz.check(ctx, rule, target):
        raise exception.Forbidden(NOT_AUTHORIZED % rule)


def _require_image_rule(ctx, authz, image, rule):
    """Enforce `rule` on an existing image; a caller who fails get_image as
    well learns nothing: 404, as Glance's ImageAPIPolicy does."""
    target = policy_target(ctx, image)
    if authz.check(ctx, rule, target):
        return
    if rule == image_rules.GET_IMAGE or not authz.check(
            ctx, image_rules.GET_IMAGE, target):
        raise exception.NotFound()
    raise exception.Forbidden(NOT_AUTHORIZED % rule)


def _require_member_rule(ctx, authz, image, rule):
    """Glance's MemberAPIPolicy: get_image first (404), then the rule (403)."""
    target = policy_target(ctx, image)
    if not authz.check(ctx, image_rules.GET_IMAGE, target):
        raise exception.NotFound()
    _require(ctx, authz, rule, target)


# --- members ---------------------------------------------------------------

def _find_shared_image(ctx, repo, image_id, not_shared):
    image = find_image(ctx, repo, image_id, MEMBER_IMAGE_NOT_FOUND)
    if image.visibility != 'shared':
        raise not_shared
    return image


def _find_member(ctx, authz, repo, image, member_id):
    """The membership row the caller may see: the owner and admins see
    every row, a consumer only its own."""
    _require_member_rule(ctx, authz, image, member_rules.GET_MEMBER)
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
    _require_member_rule(ctx, authz, image, member_rules.ADD_MEMBER)
    try:
        return repo.add_member(image.id, member_id, quotas.members,
                               status=NEW_MEMBER_STATUS)
    except exception.OverLimit as e:
        raise exception.OverLimit(MEMBER_LIMIT % (image_id, e.attempted,
                                                  quotas.members))
    except exception.Duplicate:
        raise exception.Duplicate('Member %s is duplicated for image %s' %
                                  (member_id, image_id))


def list_members(ctx, authz, repo, image_id):
    image = find_image(ctx, repo, image_id, MEMBER_IMAGE_NOT_FOUND)
    if image.visibility != 'shared':
        raise exception.Forbidden(
            'Not allowed to list members for image %s: %s' %
            (image.id, ONLY_SHARED))
    _require_member_rule(ctx, authz, image, member_rules.GET_MEMBERS)
    if not authz.check(ctx, member_rules.GET_MEMBER,
                       policy_target(ctx, image)):
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
                                   exception.NotFound(ONLY_SHARED))
        return _find_member(ctx, authz, repo, image, member_id)
    except exception.Forbidden as e:
        raise exception.NotFound(e.message)


def update_member(ctx, authz, repo, image_id, member_id, status):
    image = _find_shared_image(ctx, repo, image_id, exception.Forbidden(
        'Not allowed to update members for image %s.' % image_id))
    member = _find_member(ctx, authz, repo, image, member_id)
    # Policy before validation: the owner gets 403 whatever the status.
    _require_member_rule(ctx, authz, image, member_rules.MODIFY_MEMBER)
    if not isinstance(status, str) or status not in records.MEMBER_STATUSES:
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
    _require_member_rule(ctx, authz, image, member_rules.DELETE_MEMBER)
    if not repo.delete_member(image.id, member_id):
        raise exception.NotFound(MEMBER_NOT_FOUND % (member_id, image.id))


# --- images ----------------------------------------------------------------

def _require_visibility_rule(ctx, authz, visibility, target):
    if visibility == 'public':
        _require(ctx, authz, image_rules.PUBLICIZE_IMAGE, target)
    elif visibility == 'community':
        _require(ctx, authz, image_rules.COMMUNITIZE_IMAGE, target)


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
        raise exception.Forbidden(NOT_AUTHORIZED % image_rules.ADD_IMAGE)
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
    image = find_image(ctx, repo, image_id)
    _require_image_rule(ctx, authz, image, image_rules.GET_IMAGE)
    return image


def list_images(ctx, authz, repo, query):
    """One page of the images the caller may list.

    Returns (images, more): `more` is True when the database page was full,
    which is when Glance offers a `next` link.
    """
    _require(ctx, authz, image_rules.GET_IMAGES,
             {'project_id': ctx.project_id})
    if query.member_status is None:
        query = dataclasses.replace(query,
                                    member_status=DEFAULT_LIST_MEMBER_STATUS)
    marker = None
    if query.marker is not None:
        marker = repo.get_image(query.marker) if _is_uuid(query.marker) \
            else None
        if marker is None or not is_visible(ctx, marker, repo):
            raise exception.Invalid(IMAGE_NOT_FOUND % query.marker)
    page = repo.list_images(query, project_id=ctx.project_id,
                            is_admin=ctx.is_admin, marker=marker)
    visible = [i for i in page
               if authz.check(ctx, image_rules.GET_IMAGE,
                              policy_target(ctx, i))]
    return visible, bool(visible) and len(page) == query.limit


def delete_image(ctx, authz, repo, image_id):
    image = find_image(ctx, repo, image_id, DELETE_NOT_FOUND)
    _require_image_rule(ctx, authz, image, image_rules.DELETE_IMAGE)
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
    image = find_image(ctx, repo, image_id)
    for op, path, value in changes:
        _apply_change(ctx, authz, image, op, path, value)
    if changes:
        _check_image_quotas(image, quotas)
        image = repo.update_image(image)
        if image is None:
            raise exception.NotFound(IMAGE_NOT_FOUND % image_id)
    return image


def _require_modify(ctx, authz, image, name, value=None):
    if name == 'visibility':
        _require_visibility_rule(ctx, authz, value, policy_target(ctx, image))
    _require_image_rule(ctx, authz, image, image_rules.MODIFY_IMAGE)


def _apply_change(ctx, authz, image, op, path, value):
    name = path[0]
    if name == 'locations':
        _require_image_rule(ctx, authz, image, image_rules.MODIFY_IMAGE)
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
    image = find_image(ctx, repo, image_id, MEMBER_IMAGE_NOT_FOUND)
    _require_image_rule(ctx, authz, image, image_rules.MODIFY_IMAGE)
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
        raise exception.NotFound(MEMBER_IMAGE_NOT_FOUND % image_id)


def delete_tag(ctx, authz, repo, image_id, tag):
    image = _image_for_tags(ctx, authz, repo, image_id)
    if tag not in image.tags:
        raise exception.NotFound()
    image.tags.remove(tag)
    if repo.update_image(image) is None:
        raise exception.NotFound(MEMBER_IMAGE_NOT_FOUND % image_id)


# --- image data and status -------------------------------------------------

def image_for_upload(ctx, authz, repo, image_id):
    """The image the caller may upload to: its owner (or an admin); a
    consumer, even an accepted one, is refused."""
    image = find_image(ctx, repo, image_id)
    _require_image_rule(ctx, authz, image, image_rules.UPLOAD_IMAGE)
    return image


def image_for_download(ctx, authz, repo, image_id):
    """The image whose bytes the caller may read: Glance's download_image,
    which any member of a shared image passes, in any member status."""
    image = find_image(ctx, repo, image_id)
    if image.status == 'deactivated' and not ctx.is_admin:
        raise exception.Forbidden('The requested image has been deactivated. '
                                  'Image data download is forbidden.')
    _require_image_rule(ctx, authz, image, image_rules.DOWNLOAD_IMAGE)
    return image


def set_active(ctx, authz, repo, image_id, active):
    """Deactivate (active=False) or reactivate an image, as Glance."""
    image = find_image(ctx, repo, image_id)
    rule, verb = ((image_rules.REACTIVATE, 'reactivate') if active else
                  (image_rules.DEACTIVATE, 'deactivate'))
    _require_image_rule(ctx, authz, image, rule)
    current, wanted = (('deactivated', 'active') if active else
                       ('active', 'deactivated'))
    if image.status == wanted:
        return
    if image.status != current or not repo.change_status(image.id, current,
                                                         wanted):
        raise exception.Forbidden("Not allowed to %s image in status '%s'"
                                  % (verb, image.status))
