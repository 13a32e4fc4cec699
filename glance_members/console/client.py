"""ImageAPI: the image API calls the console makes, one method each, over a
keystoneauth1 session carrying the user's token (over HTTP, or into the
local app through transport.LocalWSGIAdapter)."""

import json
import re
import urllib.parse

from keystoneauth1 import exceptions as ksa_exceptions

SHARING_ROOT = '/sharing'
SHARING = SHARING_ROOT + '/v1'
PAGE_SIZE = 1000  # Glance's default api_limit_max: fewest round trips
_TAGS = re.compile(r'<[^>]*>')
# Glance's words for these refusals, where the batch answers them.
MEMBER_EXISTS = 'Member %s is duplicated for image %s'
NOT_A_MEMBER = '%s not found in the member list of the image %s.'


class APIError(Exception):
    """The image API refused: its status and its own message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


class NotAuthenticated(APIError):
    """401: the token expired or was revoked."""


class Unreachable(APIError):
    """No answer at all (connection refused, time-out)."""

    def __init__(self, message):
        super().__init__(None, message)


def error_message(response):
    """The API's own sentence: Glance's detail after `<br /><br />` (or its
    explanation), from a JSON, HTML or plain-text error body."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        text = str(body.get('message') or body.get('title') or '')
    else:
        text = _TAGS.sub(' ', response.text or '')
    parts = [p.strip() for p in text.split('<br /><br />')]
    detail = parts[-1] if len(parts) > 1 and parts[-1] else parts[0]
    return ' '.join(detail.split()) or 'HTTP %d' % response.status_code


class ImageAPI:
    """One image endpoint (a region) as one user sees it."""

    def __init__(self, session, endpoint, timeout=30.0, request_id=None,
                 sharing_endpoint=None):
        self.session = session
        # The console request's id, sent with every call so that the API's
        # log lines (and its sharing history) name the page that asked.
        self.request_id = request_id
        # The catalog's image endpoint, with or without Glance's /v2.
        self.endpoint = base_url(endpoint)
        # Beside an existing Glance, the image-sharing endpoint serves
        # /sharing (and Glance /v2); otherwise the image endpoint does.
        self.sharing_endpoint = base_url(sharing_endpoint or endpoint)
        self.timeout = timeout

    # --- transport --------------------------------------------------------

    def _send(self, method, path, body=None, params=None, headers=None):
        url = self._url(path)
        if params:
            url += ('&' if '?' in url else '?') + urllib.parse.urlencode(
                [(k, v) for k, v in params.items() if v is not None])
        kwargs = {'raise_exc': False, 'timeout': self.timeout,
                  'headers': dict({'Accept': 'application/json'},
                                  **(headers or {}))}
        if self.request_id:
            kwargs['headers']['X-OpenStack-Request-Id'] = self.request_id
        if body is not None:
            kwargs['data'] = json.dumps(body)
            kwargs['headers'].setdefault('Content-Type', 'application/json')
        try:
            response = self.session.request(url, method, **kwargs)
        except ksa_exceptions.ClientException as e:
            raise Unreachable('The image service cannot be reached: %s'
                              % type(e).__name__)
        if response.status_code == 401:
            raise NotAuthenticated(401, error_message(response))
        if response.status_code >= 400:
            raise APIError(response.status_code, error_message(response))
        return response

    def _request(self, method, path, body=None, params=None, headers=None):
        response = self._send(method, path, body, params, headers)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def _url(self, path):
        if '://' in path:  # a `next` link on another base URL: keep the path
            split = urllib.parse.urlsplit(path)
            path = split.path + ('?' + split.query if split.query else '')
        if path == SHARING_ROOT or path.startswith(SHARING_ROOT + '/'):
            return self.sharing_endpoint + path
        return self.endpoint + path

    def _pages(self, path, key, params, limit=None):
        """The items of a paginated list, following `next` until `limit`
        items (every page when None)."""
        page = self._request('GET', path, params=params)
        items = list(page.get(key, []))
        while page.get('next') and (limit is None or len(items) < limit):
            page = self._request('GET', page['next'])
            items.extend(page.get(key, []))
        return items if limit is None else items[:limit], page

    # --- discovery --------------------------------------------------------

    def sharing_available(self):
        """True when this endpoint serves the /sharing/v1 extension (its
        versions document links there; Glance answers 404 or its own)."""
        try:
            document = self._request('GET', SHARING_ROOT)
        except NotAuthenticated:
            raise
        except APIError as e:
            if e.status is None or e.status >= 500:
                raise
            return False
        links = [link.get('href', '')
                 for version in (document or {}).get('versions', [])
                 for link in version.get('links', [])]
        return any(SHARING in href for href in links)

    # --- /v2 images -------------------------------------------------------

    def list_images(self, member_status=None, visibility=None, owner=None,
                    limit=None):
        params = {'limit': PAGE_SIZE, 'member_status': member_status,
                  'visibility': visibility, 'owner': owner}
        return self._pages('/v2/images', 'images', params, limit)[0]

    def get_image(self, image_id):
        return self._request('GET', '/v2/images/%s' % _quote(image_id))

    def update_visibility(self, image_id, visibility):
        return self._request(
            'PATCH', '/v2/images/%s' % _quote(image_id),
            [{'op': 'replace', 'path': '/visibility', 'value': visibility}],
            headers={'Content-Type':
                     'application/openstack-images-v2.1-json-patch'})

    # --- /v2 members ------------------------------------------------------

    def list_members(self, image_id):
        return self._request('GET', '/v2/images/%s/members'
                             % _quote(image_id))['members']

    def get_member(self, image_id, member_id):
        return self._request('GET', '/v2/images/%s/members/%s'
                             % (_quote(image_id), _quote(member_id)))

    # Beside an existing Glance, a membership written through /sharing/v1
    # is in its mirror (inbox, members, history) at once, trust applied;
    # one written on Glance's /v2 only when Glance's notification arrives.

    @property
    def beside_glance(self):
        """/sharing/v1 is another service's than /v2 (image-sharing
        beside Glance): membership writes go through it."""
        return self.sharing_endpoint != self.endpoint

    def add_member(self, image_id, member_id):
        if self.beside_glance:
            [result] = self.share_batch([image_id], [member_id])
            if result['result'] == 'existing':
                raise APIError(409, MEMBER_EXISTS % (member_id, image_id))
            return result
        return self._request('POST', '/v2/images/%s/members'
                             % _quote(image_id), {'member': member_id})

    def delete_member(self, image_id, member_id):
        if self.beside_glance:
            [result] = self.revoke_batch([image_id], [member_id])
            if result['result'] == 'absent':
                raise APIError(404, NOT_A_MEMBER % (member_id, image_id))
            return
        self._request('DELETE', '/v2/images/%s/members/%s'
                      % (_quote(image_id), _quote(member_id)))

    def update_member_status(self, image_id, member_id, status):
        """The status of the caller's own membership (`member_id`)."""
        if self.beside_glance:
            return self.decide(status, [image_id])[0]
        return self._request('PUT', '/v2/images/%s/members/%s'
                             % (_quote(image_id), _quote(member_id)),
                             {'status': status})

    # --- /sharing/v1 ------------------------------------------------------

    def inbox(self, status='pending', limit=None):
        """(shares, counts): the caller's shares in `status` and its counts
        of every status."""
        shares, first = self._pages(SHARING + '/inbox', 'inbox',
                                    {'status': status, 'limit': PAGE_SIZE},
                                    limit)
        return shares, first.get('counts', {})

    def decide(self, status, image_ids):
        return self._request('POST', SHARING + '/inbox/decisions',
                             {'status': status,
                              'images': list(image_ids)})['results']

    def leave(self, image_id):
        self._request('DELETE', '%s/inbox/%s' % (SHARING, _quote(image_id)))

    def share_batch(self, image_ids, member_ids, expires_at=None):
        body = {'images': list(image_ids), 'members': list(member_ids)}
        if expires_at:
            body['expires_at'] = expires_at
        return self._request('POST', SHARING + '/shares', body)['results']

    def revoke_batch(self, image_ids, member_ids):
        return self._request('POST', SHARING + '/shares/revoke',
                             {'images': list(image_ids),
                              'members': list(member_ids)})['results']

    def trusted_producers(self):
        return self._pages(SHARING + '/trusted-producers',
                           'trusted_producers', {'limit': PAGE_SIZE})[0]

    def trust_producer(self, project_id, accept_pending=False):
        return self._request('PUT', '%s/trusted-producers/%s'
                             % (SHARING, _quote(project_id)),
                             {'accept_pending': bool(accept_pending)})

    def distrust_producer(self, project_id):
        self._request('DELETE', '%s/trusted-producers/%s'
                      % (SHARING, _quote(project_id)))

    def show_project(self, project_id):
        """{'id', 'name'} of an existing project (/sharing/v1)."""
        return self._request('GET', '%s/projects/%s' % (
            SHARING, _quote(project_id)))

    def image_members(self, image_id):
        """The members with their expiry and names (/sharing/v1)."""
        return self._request('GET', '%s/images/%s/members' % (
            SHARING, _quote(image_id)))['members']

    def image_history(self, image_id, limit=PAGE_SIZE):
        return self._pages('%s/images/%s/history' % (SHARING,
                                                     _quote(image_id)),
                           'history', {'limit': PAGE_SIZE}, limit)[0]

    def set_member_expiry(self, image_id, member_id, expires_at):
        return self._request('PATCH', '%s/images/%s/members/%s' % (
            SHARING, _quote(image_id), _quote(member_id)),
            {'expires_at': expires_at})


def base_url(endpoint):
    """A catalog endpoint without its trailing slash or Glance's /v2."""
    endpoint = endpoint.rstrip('/')
    if endpoint.endswith('/v2'):
        endpoint = endpoint[:-len('/v2')]
    return endpoint


def _quote(value):
    return urllib.parse.quote(value, safe='')
