"""The image API over HTTP (requests), for what the browser tests set up
and check behind the console's back: images with data, members, statuses.
"""

import requests

TIMEOUT = 30
# A small raw disk: bytes enough for a size, any content is raw.
IMAGE_DATA = b'\0' * 4096


class ImageAPI:
    """One token against one endpoint (`url` without /v2)."""

    def __init__(self, url, token):
        self.url = url.rstrip('/')
        self.session = requests.Session()
        self.session.headers['X-Auth-Token'] = str(token)

    def call(self, method, path, expect=(200, 201, 204), **kwargs):
        resp = self.session.request(method, self.url + path,
                                    timeout=TIMEOUT, **kwargs)
        assert resp.status_code in expect, '%s %s -> %d: %s' % (
            method, path, resp.status_code, resp.text[:500])
        return resp.json() if resp.content and resp.headers.get(
            'Content-Type', '').startswith('application/json') else resp

    def create_image(self, name, data=IMAGE_DATA, **fields):
        """A shared-visibility raw image, active (its data uploaded)
        unless `data` is None; its id."""
        body = dict({'name': name, 'disk_format': 'raw',
                     'container_format': 'bare', 'visibility': 'shared'},
                    **fields)
        image_id = self.call('POST', '/v2/images', json=body)['id']
        if data is not None:
            self.call('PUT', '/v2/images/%s/file' % image_id, data=data,
                      headers={'Content-Type': 'application/octet-stream'})
        return image_id

    def image(self, image_id):
        return self.call('GET', '/v2/images/' + image_id)

    def image_ids(self, **query):
        return {image['id'] for image in self.call(
            'GET', '/v2/images', params=dict({'limit': 1000}, **query))[
                'images']}

    def add_member(self, image_id, member_id):
        return self.call('POST', '/v2/images/%s/members' % image_id,
                         json={'member': member_id})

    def set_status(self, image_id, member_id, status):
        return self.call('PUT', '/v2/images/%s/members/%s'
                         % (image_id, member_id), json={'status': status})

    def members(self, image_id):
        """{member_id: status}"""
        return {m['member_id']: m['status'] for m in self.call(
            'GET', '/v2/images/%s/members' % image_id)['members']}

    def member_status(self, image_id, member_id):
        """The member's status, or None when it is not (or no longer) one
        or cannot see the image."""
        resp = self.session.get('%s/v2/images/%s/members/%s' % (
            self.url, image_id, member_id), timeout=TIMEOUT)
        if resp.status_code == 404:
            return None
        assert resp.status_code == 200, resp.text
        return resp.json()['status']
