"""The plugin's calls to the image and identity APIs, always with the
signed-in user's token: Glance's stock /v2 through Horizon's own
glanceclient helper, Keystone through Horizon's keystone helpers."""

import dataclasses

from django.conf import settings
from glanceclient import client as glance_client
from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1.identity import v3 as ks_v3
from keystoneauth1 import session as ks_session
from keystoneclient import exceptions as keystone_exceptions

from openstack_dashboard.api import base
from openstack_dashboard.api import glance
from openstack_dashboard.api import keystone

# Glance's default api_limit_max: the fewest round trips per list.
PAGE_SIZE = 1000
MEMBER_STATUSES = ('pending', 'accepted', 'rejected')


@dataclasses.dataclass
class SharedImage:
    """An image another project shared with the caller's project."""
    id: str
    name: str
    owner: str
    owner_name: str  # '' when Keystone does not tell the caller
    size: object
    created_at: str
    member_status: str


@dataclasses.dataclass
class OwnImage:
    """One of the caller's project's images, as the producer sees it."""
    id: str
    name: str
    visibility: str
    status: str
    size: object
    created_at: str


@dataclasses.dataclass
class Trust:
    """A producer whose shares arrive accepted (/sharing/v1 only)."""
    owner: str  # the producer's project id
    owner_name: str
    created_at: str


@dataclasses.dataclass
class Member:
    """A project an image is shared with (a row of Image Sharing)."""
    id: str  # the member's project id (DataTable rows need `.id`)
    name: str  # '' when Keystone does not tell the caller
    status: str
    created_at: str
    updated_at: str
    expires_at: str = None  # /sharing/v1 only; None: never


def _images(request):
    return glance.glanceclient(request).images


def _members(request):
    return glance.glanceclient(request).image_members


# --- the consumer ----------------------------------------------------------

def shared_images(request, member_status):
    """Images shared with the caller's project in `member_status`: Glance's
    `visibility=shared&member_status=...` minus the project's own."""
    project_id = request.user.project_id
    found = [image for image in _images(request).list(
        filters={'visibility': 'shared', 'member_status': member_status},
        page_size=PAGE_SIZE) if image.get('owner') != project_id]
    names = project_names(request, {image.get('owner') for image in found})
    return [SharedImage(image['id'], image.get('name') or '',
                        image.get('owner') or '',
                        names.get(image.get('owner'), ''), image.get('size'),
                        image.get('created_at') or '', member_status)
            for image in found]


def pending_count(request):
    return len(shared_images(request, 'pending'))


def decide(request, image_id, status):
    """The caller's project accepts or rejects an image shared with it."""
    _members(request).update(image_id, request.user.project_id, status)


# --- the producer ----------------------------------------------------------

def own_images(request):
    return [OwnImage(image['id'], image.get('name') or '',
                     image.get('visibility') or '', image.get('status') or '',
                     image.get('size'), image.get('created_at') or '')
            for image in _images(request).list(
                filters={'owner': request.user.project_id},
                page_size=PAGE_SIZE)]


def get_image(request, image_id):
    return _images(request).get(image_id)


def image_members(request, image_id):
    members = list(_members(request).list(image_id))
    names = project_names(request, {m['member_id'] for m in members})
    return [Member(m['member_id'], names.get(m['member_id'], ''),
                   m['status'], m.get('created_at') or '',
                   m.get('updated_at') or '')
            for m in members]


def make_shareable(request, image_id):
    """Glance takes members only on images whose visibility is `shared`."""
    _images(request).update(image_id, visibility='shared')


def add_member(request, image_id, project_id):
    return _members(request).create(image_id, project_id)


def delete_member(request, image_id, project_id):
    _members(request).delete(image_id, project_id)


def accept_as(request, image_id, project_id):
    """Accept the share for another of the user's own projects (the seed's
    second scenario): a token scoped to that project, from the user's
    unscoped token, used once and revoked."""
    auth = ks_v3.Token(auth_url=settings.OPENSTACK_KEYSTONE_URL,
                       token=request.user.unscoped_token,
                       project_id=project_id, reauthenticate=False)
    session = ks_session.Session(
        auth=auth, verify=_verify())
    token = session.get_token()
    try:
        glance_client.Client(
            '2', base.url_for(request, 'image'), token=token,
            insecure=settings.OPENSTACK_SSL_NO_VERIFY,
            cacert=settings.OPENSTACK_SSL_CACERT).image_members.update(
                image_id, project_id, 'accepted')
    finally:
        try:
            session.delete(settings.OPENSTACK_KEYSTONE_URL.rstrip('/') +
                           '/auth/tokens', headers={'X-Subject-Token': token},
                           raise_exc=False)
        except ks_exceptions.ClientException:
            pass  # the token expires on its own


def _verify():
    if settings.OPENSTACK_SSL_NO_VERIFY:
        return False
    return settings.OPENSTACK_SSL_CACERT or True


# --- names -----------------------------------------------------------------

def project_names(request, project_ids):
    """{project id: name} for the ids whose names Keystone lets the user
    see: the user's own projects always; others only when the user may read
    any project (an admin), one call each."""
    names = {p.id: p.name for p in request.user.authorized_tenants}
    found = {pid: names[pid] for pid in project_ids if pid in names}
    if request.user.is_superuser:
        for pid in set(project_ids) - set(found):
            try:
                found[pid] = keystone.tenant_get(request, pid).name
            except (keystone_exceptions.ClientException,
                    ks_exceptions.ClientException):
                pass  # an id Keystone does not know keeps showing as an id
    return found


def project_exists(request, project_id):
    """False when Keystone says there is no such project; True when it has
    one or will not say (a member may read only its own projects)."""
    if project_id in {p.id for p in request.user.authorized_tenants}:
        return True
    try:
        keystone.tenant_get(request, project_id, admin=False)
    except (keystone_exceptions.NotFound, ks_exceptions.NotFound):
        return False
    except (keystone_exceptions.ClientException,
            ks_exceptions.ClientException):
        return True  # 403: the user may not read it; Glance will decide
    return True
