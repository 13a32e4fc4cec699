"""Batch share and revoke: up to 100 images x 100 members in one request,
all or nothing. Every failing pair is found before anything is written and
listed in one refusal; the code is that of the most basic failure (400 bad
member, then 404 unknown image, 403 not allowed, 413 over quota)."""

from glance_members import exception
from glance_members.sharing import access
from glance_members.policy import sharing_v1 as rules
from glance_members.sharing import expiry
from glance_members.sharing import recipients

MAX_IMAGES = 100
MAX_MEMBERS = 100
EVERY_MEMBER = 'every member'
# Refusal codes by priority: the first kind found wins the status.
_KINDS = (('invalid', exception.Invalid), ('missing', exception.NotFound),
          ('forbidden', exception.Forbidden), ('quota', exception.OverLimit))


class _Failures:
    def __init__(self):
        self.items = []  # (kind, image or None, member or None, reason)

    def add(self, kind, image, member, reason):
        self.items.append((kind, image, member, reason))

    def raise_any(self, verb):
        if not self.items:
            return
        kinds = {kind for kind, _, _, _ in self.items}
        error = next(cls for kind, cls in _KINDS if kind in kinds)
        lines = ['%s / %s: %s' % (image or 'every image',
                                  member or EVERY_MEMBER, reason)
                 for _, image, member, reason in self.items]
        # The pairs as data too (image or member null: every one).
        pairs = [{'image': image, 'member': member, 'reason': reason}
                 for _, image, member, reason in self.items]
        raise error('Nothing was %s. %s: %s' % (
            verb, access.count_of(len(lines), 'failing pair'),
            '; '.join(lines)), failures=pairs)


def _images(ctx, authz, repo, image_ids, rule, failures):
    """The shareable images among `image_ids`, failures noted."""
    found = []
    for image_id in image_ids:
        try:
            image = access.find_image(ctx, repo, image_id,
                                      access.MEMBER_IMAGE_NOT_FOUND)
        except exception.NotFound:
            failures.add('missing', image_id, None, 'no such image')
            continue
        if image.visibility != 'shared':
            failures.add('forbidden', image_id, None, access.ONLY_SHARED)
        elif not access.may_on_image(ctx, authz, image, rule):
            from glance_members.policy import images as image_rules
            if access.may_on_image(ctx, authz, image, image_rules.GET_IMAGE):
                failures.add('forbidden', image_id, None,
                             access.NOT_AUTHORIZED % rule)
            else:
                failures.add('missing', image_id, None, 'no such image')
        else:
            found.append(image)
    return found


def share(ctx, authz, repo, image_ids, members, expires_at, quota,
          directory=None, verify=False):
    """[PairResult] for every (image, member): created, existing or
    revived; Invalid/NotFound/Forbidden/OverLimit with every failing pair
    otherwise, nothing written."""
    failures = _Failures()
    if ctx.project_id is None and not ctx.is_admin:
        raise exception.Forbidden(access.NOT_AUTHORIZED % rules.SHARE)
    try:
        expiry.check_future(expires_at)
    except exception.Invalid as e:
        failures.add('invalid', None, None, e.message)
    member_ids, unresolved = recipients.resolve(directory, members) \
        if directory is not None else (list(dict.fromkeys(members)), [])
    for message in unresolved:
        failures.add('invalid', None, None, message)
    if verify:
        for member_id in recipients.unknown_members(directory, member_ids):
            failures.add('invalid', None, member_id,
                         recipients.NOT_A_PROJECT % member_id)
    image_ids = list(dict.fromkeys(image_ids))
    _images(ctx, authz, repo, image_ids, rules.SHARE, failures)
    failures.raise_any('shared')
    try:
        return repo.share_batch(image_ids, member_ids, expires_at, quota)
    except exception.GlanceMembersError as e:
        if _add_refused(e, failures):
            pass
        elif isinstance(e, exception.NotFound):  # deleted meanwhile
            for image_id in e.missing:
                failures.add('missing', image_id, None, 'no such image')
        elif isinstance(e, exception.OverLimit):
            for image_id, member_id, attempted in e.failures:
                failures.add('quota', image_id, member_id,
                             'image member limit exceeded (attempted %d, '
                             'maximum %d)' % (attempted, quota))
        else:
            raise
    failures.raise_any('shared')


def _add_refused(error, failures):
    """The pairs the image service itself refused (beside an existing
    Glance: `refused`, [(kind, image, member, reason)]), as failures."""
    for kind, image_id, member_id, reason in getattr(error, 'refused', ()):
        failures.add(kind, image_id, member_id, reason)
    return bool(getattr(error, 'refused', ()))


def revoke(ctx, authz, repo, image_ids, members, directory=None):
    """[PairResult] for every (image, member): removed or absent."""
    failures = _Failures()
    if ctx.project_id is None and not ctx.is_admin:
        raise exception.Forbidden(access.NOT_AUTHORIZED % rules.REVOKE)
    member_ids, unresolved = recipients.resolve(directory, members) \
        if directory is not None else (list(dict.fromkeys(members)), [])
    for message in unresolved:
        failures.add('invalid', None, None, message)
    image_ids = list(dict.fromkeys(image_ids))
    _images(ctx, authz, repo, image_ids, rules.REVOKE, failures)
    failures.raise_any('revoked')
    try:
        return repo.revoke_batch(image_ids, member_ids)
    except exception.GlanceMembersError as e:
        if not _add_refused(e, failures):
            raise
    failures.raise_any('revoked')
