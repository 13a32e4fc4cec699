"""The /sharing/v1 API over a keystoneauth1 session (OSC's own)."""

import json
import urllib.parse

from osc_lib import exceptions

ROOT = '/sharing/v1'


class SharingClient:

    def __init__(self, session, endpoint, sharing_endpoint=None):
        self.session = session
        # The catalog's image endpoint (for /v2), and its image-sharing
        # endpoint (for /sharing/v1) beside an existing Glance; each with
        # or without Glance's /v2.
        self.image_endpoint = _base(endpoint)
        self.endpoint = _base(sharing_endpoint or endpoint)

    def _request(self, method, path, body=None, params=None, base=None):
        url = (base or self.endpoint) + (
            path if path.startswith('/') else '/' + path)
        if params:
            url += ('&' if '?' in url else '?') + urllib.parse.urlencode(
                [(k, v) for k, v in params.items() if v is not None])
        kwargs = {'raise_exc': False,
                  'headers': {'Accept': 'application/json'}}
        if body is not None:
            kwargs['json'] = body
        response = self.session.request(url, method, **kwargs)
        if response.status_code >= 400:
            raise exceptions.CommandError(_error_text(response))
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    def _pages(self, path, key, params):
        """Every item of a keyset-paginated list, following `next`."""
        page = self._request('GET', path, params=params)
        items = list(page.get(key, []))
        while page.get('next'):
            next_url = page['next']
            if next_url.startswith(self.endpoint):
                next_url = next_url[len(self.endpoint):]
            elif '://' in next_url:  # another base URL for the same path
                next_url = urllib.parse.urlsplit(next_url)._replace(
                    scheme='', netloc='').geturl()
            page = self._request('GET', next_url)
            items.extend(page.get(key, []))
        return items

    # --- the consumer -----------------------------------------------------

    def inbox(self, status=None, limit=None):
        """The caller's shares in `status` (every page unless `limit`)."""
        params = {'status': status, 'limit': limit}
        if limit is not None:
            page = self._request('GET', ROOT + '/inbox', params=params)
            return page.get('inbox', [])
        return self._pages(ROOT + '/inbox', 'inbox', params)

    def decide(self, status, images=None, all_pending=False):
        body = {'status': status}
        if all_pending:
            body['all_pending'] = True
        else:
            body['images'] = list(images)
        return self._request('POST', ROOT + '/inbox/decisions', body)

    def leave(self, image_id):
        return self._request('DELETE', '%s/inbox/%s' % (ROOT, image_id))

    def history(self, image_id=None, as_role=None):
        if image_id is not None:
            return self._pages('%s/images/%s/history' % (ROOT, image_id),
                               'history', {})
        return self._pages(ROOT + '/history', 'history', {'as': as_role})

    # --- trusted producers ----------------------------------------------

    def trusted_producers(self):
        return self._pages(ROOT + '/trusted-producers', 'trusted_producers',
                           {})

    def trust(self, project_id, accept_pending=False):
        body = {'accept_pending': True} if accept_pending else None
        return self._request('PUT', '%s/trusted-producers/%s'
                             % (ROOT, project_id), body)

    def distrust(self, project_id):
        return self._request('DELETE', '%s/trusted-producers/%s'
                             % (ROOT, project_id))

    # --- the producer ---------------------------------------------------

    def share(self, images, members, expires_at=None):
        body = {'images': list(images), 'members': list(members)}
        if expires_at is not None:
            body['expires_at'] = expires_at
        return self._request('POST', ROOT + '/shares', body)

    def revoke(self, images, members):
        return self._request('POST', ROOT + '/shares/revoke',
                             {'images': list(images),
                              'members': list(members)})

    # --- names ----------------------------------------------------------

    def find_image_id(self, name_or_id):
        """An image id from an id or a name the caller can see, pending
        shares included (as `openstack image show` resolves names)."""
        found = self._request('GET', '/v2/images',
                              params={'name': name_or_id,
                                      'member_status': 'all'},
                              base=self.image_endpoint)
        ids = [image['id'] for image in found.get('images', [])]
        if len(ids) > 1:
            raise exceptions.CommandError(
                'More than one image is named %s: use its id' % name_or_id)
        return ids[0] if ids else name_or_id


def _base(endpoint):
    endpoint = endpoint.rstrip('/')
    if endpoint.endswith('/v2'):
        endpoint = endpoint[:-len('/v2')]
    return endpoint


def _error_text(response):
    """`<code>: <message>` as OSC prints the image API's errors."""
    try:
        body = response.json()
    except (ValueError, json.JSONDecodeError):
        body = None
    if isinstance(body, dict):
        message = body.get('message') or body.get('title') or ''
        detail = message.split('<br /><br />')[-1].strip()
        code = body.get('code') or str(response.status_code)
        return '%s: %s' % (code, detail or message)
    return '%s: %s' % (response.status_code, response.text.strip())
