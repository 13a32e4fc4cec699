"""GlanceClient: the calls glance-members makes to an existing Glance's
image API (v2), over a keystoneauth1 adapter: as the service identity of
[glance] (the mirror's reads), or as a user (`for_user`, the write path).

Answers are records (records.Image, records.Member); what Glance refuses
is a GlanceError with its status; no answer, or a 5xx, is
exception.ServiceUnavailable. Every call is counted (`requests_made`).
"""

import datetime
import json
import threading
import urllib.parse

from keystoneauth1 import exceptions as ksa_exceptions
from keystoneauth1 import loading

from glance_members import exception
from glance_members import records
from glance_members.conf import glance as glance_conf

ISO = '%Y-%m-%dT%H:%M:%SZ'
# Glance's largest page (its api_limit_max default).
PAGE_SIZE = 1000


class GlanceError(Exception):
    """Glance answered a 4xx: its status and body."""

    def __init__(self, status, text):
        super().__init__('Glance answered %d: %s' % (status, text[:300]))
        self.status = status
        self.text = text

    @property
    def detail(self):
        """Glance's own sentence: the part of its JSON error message after
        WebOb's stock text (`<br /><br />`), else the text itself."""
        try:
            message = str(json.loads(self.text).get('message') or '')
        except (ValueError, AttributeError):
            message = self.text
        parts = [p.strip() for p in message.split('<br /><br />')]
        return ' '.join((parts[-1] or parts[0]).split())[:300] or \
            'HTTP %d' % self.status


def parse_time(text):
    """Glance's ISO 8601 UTC time ('2026-01-02T03:04:05Z') as a naive UTC
    datetime, as the database stores times; None stays None."""
    if text is None:
        return None
    parsed = datetime.datetime.fromisoformat(text.replace('Z', '+00:00'))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(datetime.timezone.utc).replace(
            tzinfo=None)
    return parsed


def image_record(body):
    """An image of Glance's API (or of an image.* notification's payload)
    as a record: only what sharing reads (no location, properties, tags)."""
    return records.Image(
        id=body['id'], owner=body.get('owner'), name=body.get('name'),
        disk_format=body.get('disk_format'),
        container_format=body.get('container_format'),
        visibility=body.get('visibility') or 'shared',
        size=body.get('size'), status=body.get('status') or 'queued',
        created_at=parse_time(body.get('created_at')),
        updated_at=parse_time(body.get('updated_at')))


def member_record(body):
    return records.Member(
        image_id=body['image_id'], member_id=body['member_id'],
        status=body['status'], created_at=parse_time(body['created_at']),
        updated_at=parse_time(body['updated_at']))


class GlanceClient:
    """Glance's image API through one keystoneauth1 adapter."""

    def __init__(self, adapter):
        self.adapter = adapter
        self._lock = threading.Lock()
        self._made = 0

    @classmethod
    def from_conf(cls, conf):
        """The service identity of [glance] (keystoneauth's auth options),
        the endpoint from [glance] endpoint_override or the catalog
        (service_type, region_name, valid_interfaces)."""
        group = glance_conf.GROUP
        auth = loading.load_auth_from_conf_options(conf, group)
        session = loading.load_session_from_conf_options(conf, group,
                                                         auth=auth)
        return cls(loading.load_adapter_from_conf_options(
            conf, group, session=session, auth=auth))

    def for_user(self, auth):
        """The same endpoint and session options, authenticated with a
        user's keystoneauth1 auth plugin (e.g. identity.v3.Token or
        token_endpoint.Token): for writes Glance must see as theirs."""
        adapter = self.adapter
        return GlanceClient(type(adapter)(
            adapter.session, service_type=adapter.service_type,
            interface=adapter.interface, region_name=adapter.region_name,
            endpoint_override=adapter.endpoint_override, auth=auth))

    @property
    def requests_made(self):
        """Calls made to Glance by this client so far."""
        return self._made

    def request(self, method, path, **kwargs):
        """One call; the response of a 2xx or 404 (the caller decides what
        a 404 means). GlanceError for another 4xx; ServiceUnavailable when
        Glance (or Keystone, for the token) does not answer, or says 5xx."""
        with self._lock:
            self._made += 1
        # JSON error bodies (Glance answers HTML to a client that does
        # not say).
        kwargs['headers'] = dict({'Accept': 'application/json'},
                                 **kwargs.get('headers', {}))
        try:
            response = self.adapter.request(path, method, raise_exc=False,
                                            **kwargs)
        except ksa_exceptions.ClientException as e:
            raise exception.ServiceUnavailable(
                'Glance is unreachable: %s' % e) from e
        if response.status_code >= 500:
            raise exception.ServiceUnavailable(
                'Glance answered %d: %s' % (response.status_code,
                                            response.text[:300]))
        if response.status_code >= 400 and response.status_code != 404:
            raise GlanceError(response.status_code, response.text)
        return response

    def get_image(self, image_id):
        """records.Image, or None when Glance has no such image (deleted)."""
        response = self.request('GET', '/v2/images/%s' % urllib.parse.quote(
            image_id, safe=''))
        if response.status_code == 404:
            return None
        return image_record(response.json())

    def list_members(self, image_id):
        """[records.Member] of the image; None when Glance shows none
        because the image is gone (404) or not shared (403: Glance keeps
        the members of an image made private, but lists none)."""
        try:
            response = self.request('GET', '/v2/images/%s/members'
                                    % urllib.parse.quote(image_id, safe=''))
        except GlanceError as e:
            if e.status == 403:
                return None
            raise
        if response.status_code == 404:
            return None
        return [member_record(m) for m in response.json()['members']]

    def list_images(self, page_size=PAGE_SIZE, updated_since=None):
        """Every image Glance lists to an admin, hidden ones (os_hidden)
        included (those updated at or after `updated_since`, Glance's ISO
        time, if given), page by page: a generator of lists of
        records.Image, so the caller's memory is bounded by a page."""
        for hidden in ('false', 'true'):
            query = {'limit': page_size, 'os_hidden': hidden}
            if updated_since is not None:
                # Newest first: a caller that stops early has the newest.
                query.update(updated_at='gte:' + updated_since,
                             sort='updated_at:desc')
            path = '/v2/images?' + urllib.parse.urlencode(query)
            while path:
                body = self.request('GET', path).json()
                yield [image_record(i) for i in body.get('images', [])]
                path = body.get('next')

    # --- the write path (with a user's client, from for_user) ----------

    def add_member(self, image_id, member_id):
        """POST a member; records.Member. GlanceError (403, 404, 409, 413)
        as Glance refused it."""
        response = self.request('POST', '/v2/images/%s/members'
                                % urllib.parse.quote(image_id, safe=''),
                                json={'member': member_id})
        if response.status_code == 404:
            raise GlanceError(404, response.text)
        return member_record(response.json())

    def update_member(self, image_id, member_id, status):
        response = self.request(
            'PUT', '/v2/images/%s/members/%s' % (
                urllib.parse.quote(image_id, safe=''),
                urllib.parse.quote(member_id, safe='')),
            json={'status': status})
        if response.status_code == 404:
            raise GlanceError(404, response.text)
        return member_record(response.json())

    def delete_member(self, image_id, member_id):
        """True if removed, False if Glance had no such member."""
        response = self.request(
            'DELETE', '/v2/images/%s/members/%s' % (
                urllib.parse.quote(image_id, safe=''),
                urllib.parse.quote(member_id, safe='')))
        return response.status_code != 404
