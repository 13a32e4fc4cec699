"""glance-members' /sharing/v1, where the catalog's image endpoint serves
it (it sits beside /v2 on the same service; `GET /sharing` lists it), with
the signed-in user's token in a header, never in a URL."""

import urllib.parse

from django.conf import settings
from django.core.cache import cache
import requests

from openstack_dashboard.api import base

ROOT = '/sharing/v1'
PAGE_SIZE = 1000
TIMEOUT = 30
# How long the answer to "does this endpoint serve /sharing/v1?" is kept.
DISCOVERY_SECONDS = 300


class SharingError(Exception):
    """The extension refused: its status and its own message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _endpoint(request):
    """The catalog's image endpoint, without Glance's /v2."""
    url = base.url_for(request, 'image').rstrip('/')
    return url[:-len('/v2')] if url.endswith('/v2') else url


def _verify():
    if settings.OPENSTACK_SSL_NO_VERIFY:
        return False
    return settings.OPENSTACK_SSL_CACERT or True


def available(request):
    """True when the user's image endpoint serves /sharing/v1. A yes is
    kept for a few minutes per endpoint (one GET, not one per page); a no
    is asked again, so that a failed or slow answer hides nothing for
    long."""
    endpoint = _endpoint(request)
    key = 'gm-sharing-v1:%s' % endpoint
    if cache.get(key):
        return True
    found = _discover(endpoint)
    if found:
        cache.set(key, True, DISCOVERY_SECONDS)
    return found


def _discover(endpoint):
    try:
        response = requests.get(endpoint + '/sharing', timeout=TIMEOUT,
                                verify=_verify(),
                                headers={'Accept': 'application/json'})
        document = response.json() if response.ok else {}
    except (requests.RequestException, ValueError):
        document = {}
    links = [link.get('href', '')
             for version in document.get('versions') or []
             for link in version.get('links') or []]
    return any(ROOT in href for href in links)


def _call(request, method, path, body=None, params=None):
    url = _endpoint(request) + path
    if params:
        url += '?' + urllib.parse.urlencode(params)
    response = requests.request(
        method, url, json=body, timeout=TIMEOUT, verify=_verify(),
        headers={'X-Auth-Token': request.user.token.id,
                 'Accept': 'application/json'})
    if response.status_code >= 400:
        try:
            message = response.json().get('message') or response.text
        except ValueError:
            message = response.text
        raise SharingError(response.status_code, message.split(
            '<br /><br />')[-1].strip())
    return response.json() if response.content else None


def _pages(request, path, key, params=None):
    """Every item of a list, following `next` (same endpoint)."""
    page = _call(request, 'GET', path, params=dict(params or {},
                                                   limit=PAGE_SIZE))
    items = list(page.get(key, []))
    while page.get('next'):
        split = urllib.parse.urlsplit(page['next'])
        page = _call(request, 'GET', split.path + (
            '?' + split.query if split.query else ''))
        items.extend(page.get(key, []))
    return items


def _quote(value):
    return urllib.parse.quote(value, safe='')


# --- the consumer ----------------------------------------------------------

def counts(request):
    """{'pending': n, 'accepted': n, 'rejected': n} in one small call."""
    return _call(request, 'GET', ROOT + '/inbox',
                 params={'status': 'pending', 'limit': 1}).get('counts', {})


def trusted_producers(request):
    return _pages(request, ROOT + '/trusted-producers', 'trusted_producers')


def trust(request, project_id, accept_pending=False):
    return _call(request, 'PUT', '%s/trusted-producers/%s' % (
        ROOT, _quote(project_id)), {'accept_pending': bool(accept_pending)})


def distrust(request, project_id):
    _call(request, 'DELETE', '%s/trusted-producers/%s' % (
        ROOT, _quote(project_id)))


# --- the producer ----------------------------------------------------------

def image_history(request, image_id):
    """The image's sharing history, newest first."""
    return _pages(request, '%s/images/%s/history' % (ROOT, _quote(image_id)),
                  'history')


def set_expiry(request, image_id, member_id, expires_at):
    return _call(request, 'PATCH', '%s/images/%s/members/%s' % (
        ROOT, _quote(image_id), _quote(member_id)),
        {'expires_at': expires_at})


def share_batch(request, image_ids, member_ids, expires_at=None):
    """Share every image with every project, all or nothing: one result
    per pair (created or existing)."""
    body = {'images': list(image_ids), 'members': list(member_ids)}
    if expires_at:
        body['expires_at'] = expires_at
    return _call(request, 'POST', ROOT + '/shares', body)['results']
