"""Django test-client tests of the plugin's views, in a real Horizon's
settings, against the real Keystone and Glance named by $GM_HORIZON_TEST
(a JSON document: glance URL, Keystone URL, users and project ids).

glance-members' tests/integration/test_horizon_views.py runs them in
Horizon's venv: `django-admin test gm_dashboard.tests`.
"""

import json
import os
import re
import uuid

from django import test
from django.urls import reverse
import requests

STACK = json.loads(os.environ.get('GM_HORIZON_TEST') or '{}')
PASSWORD = 'secret'
SHARED_WITH_ME = 'horizon:project:shared_with_me:index'
TIMEOUT = 30


def token(user, project):
    """A Keystone token of `user` scoped to `project` (names)."""
    response = requests.post(STACK['keystone'] + '/auth/tokens', json={
        'auth': {'identity': {'methods': ['password'], 'password': {'user': {
            'name': user, 'domain': {'name': 'Default'},
            'password': PASSWORD}}},
            'scope': {'project': {'name': project,
                                  'domain': {'name': 'Default'}}}}},
        timeout=TIMEOUT)
    response.raise_for_status()
    return response.headers['X-Subject-Token']


class Glance:
    """Set-up and checks straight on Glance's API, as `user`."""

    def __init__(self, user, project=None):
        self.session = requests.Session()
        self.session.headers['X-Auth-Token'] = token(user, project or user)
        self.url = STACK['glance'] + '/v2/images'

    def create_image(self, name, visibility='shared'):
        response = self.session.post(self.url, json={
            'name': name, 'disk_format': 'raw', 'container_format': 'bare',
            'visibility': visibility}, timeout=TIMEOUT)
        response.raise_for_status()
        return response.json()['id']

    def delete_image(self, image_id):
        self.session.delete('%s/%s' % (self.url, image_id), timeout=TIMEOUT)

    def add_member(self, image_id, member_id):
        self.session.post('%s/%s/members' % (self.url, image_id),
                          json={'member': member_id},
                          timeout=TIMEOUT).raise_for_status()

    def set_status(self, image_id, member_id, status):
        self.session.put('%s/%s/members/%s' % (self.url, image_id, member_id),
                         json={'status': status},
                         timeout=TIMEOUT).raise_for_status()

    def member_status(self, image_id, member_id):
        response = self.session.get('%s/%s/members/%s' % (
            self.url, image_id, member_id), timeout=TIMEOUT)
        return response.json()['status'] if response.ok \
            else response.status_code


def project(user):
    return STACK['projects'][user]


class PluginTestCase(test.SimpleTestCase):

    def sign_in(self, user, client=None):
        client = client or self.client
        response = client.post(reverse('login'), {
            'username': user, 'password': PASSWORD, 'region': 'default'})
        self.assertEqual(response.status_code, 302, response.content[:500])
        self.assertNotIn('/auth/', response['Location'])
        return client

    def new_image(self, glance, name, visibility='shared'):
        """An image deleted after the test: the Keystone, and the
        glance-members of the extension tests, serve the whole session."""
        image_id = glance.create_image(name, visibility)
        self.addCleanup(glance.delete_image, image_id)
        return image_id

    def shared(self, producer='producer', consumer='consumer', name=None):
        """An image of `producer` shared with `consumer` (pending)."""
        glance = Glance(producer)
        image_id = self.new_image(glance,
                                  name or 'img-' + uuid.uuid4().hex[:8])
        glance.add_member(image_id, project(consumer))
        return glance, image_id


class ConsumerTests(PluginTestCase):

    def test_hostile_name_is_escaped_everywhere(self):
        name = '<script>window.x=1</script><img src=x onerror=alert(1)>'
        glance, image_id = self.shared(name=name + uuid.uuid4().hex[:6])
        self.sign_in('consumer')
        page = self.client.get(reverse(SHARED_WITH_ME)).content.decode()
        self.assertIn('&lt;script&gt;window.x=1&lt;/script&gt;', page)
        self.assertNotIn('<script>window.x', page)
        self.assertNotIn('<img src=x', page)
        self.client.post(reverse(SHARED_WITH_ME), {
            'action': 'pending__accept__%s' % image_id})
        messages = self.client.get(reverse(SHARED_WITH_ME)).content.decode()
        self.assertNotIn('<img src=x', messages)

    def test_notice_counts_pending_shares(self):
        self.sign_in('consumer2')
        before = self._notice_count()
        self.shared(consumer='consumer2')
        self.shared(consumer='consumer2')
        self.assertEqual(self._notice_count(), before + 2)

    def _notice_count(self):
        header = self.client.get('/header/').content.decode()
        found = re.search(r'(\d+) images? shared with you', header)
        return int(found.group(1)) if found else 0

    def test_accept_many_at_once_then_remove(self):
        glance, first = self.shared()
        _, second = self.shared()
        self.sign_in('consumer')
        response = self.client.post(reverse(SHARED_WITH_ME), {
            'action': 'pending__accept', 'object_ids': [first, second]})
        self.assertEqual(response.status_code, 302)
        for image_id in (first, second):
            self.assertEqual(glance.member_status(image_id,
                                                  project('consumer')),
                             'accepted')
        accepted = self.client.get(reverse(SHARED_WITH_ME) +
                                   '?tab=shared__accepted')
        self.assertContains(accepted, first)
        self.client.post(reverse(SHARED_WITH_ME), {
            'action': 'accepted__remove__%s' % first})
        self.assertEqual(glance.member_status(first, project('consumer')),
                         'rejected')

    def test_rejected_share_can_be_accepted(self):
        glance, image_id = self.shared()
        Glance('consumer').set_status(image_id, project('consumer'),
                                      'rejected')
        self.sign_in('consumer')
        page = self.client.get(reverse(SHARED_WITH_ME) +
                               '?tab=shared__rejected')
        self.assertContains(page, 'rejected__accept__%s' % image_id)
        self.client.post(reverse(SHARED_WITH_ME), {
            'action': 'rejected__accept__%s' % image_id})
        self.assertEqual(glance.member_status(image_id, project('consumer')),
                         'accepted')

    def test_a_reader_gets_no_decision_buttons(self):
        self.shared()
        self.sign_in('consumer_reader')
        page = self.client.get(reverse(SHARED_WITH_ME)).content.decode()
        self.assertIn('Pending Acceptance', page)
        self.assertNotIn('pending__accept', page)

    def test_a_post_without_csrf_token_changes_nothing(self):
        glance, image_id = self.shared()
        self.sign_in('consumer')
        self.client.handler.enforce_csrf_checks = True
        response = self.client.post(reverse(SHARED_WITH_ME), {
            'action': 'pending__accept__%s' % image_id})
        # Horizon's CSRF failure view: back to the sign-in page, saying why.
        self.assertEqual(response.status_code, 302)
        self.assertIn('csrf_failure', response['Location'])
        self.assertEqual(glance.member_status(image_id, project('consumer')),
                         'pending')


class ProducerTests(PluginTestCase):

    def share_url(self, image_id):
        return reverse('horizon:project:image_sharing:share',
                       args=[image_id])

    def test_share_by_project_id_makes_the_image_shareable(self):
        glance = Glance('producer')
        image_id = self.new_image(glance, 'private-' + uuid.uuid4().hex[:6],
                                  visibility='private')
        self.sign_in('producer')
        response = self.client.post(self.share_url(image_id), {
            'image_id': image_id, 'scenario': 'customer',
            'project_id': project('consumer2')})
        self.assertRedirects(response, reverse(
            'horizon:project:image_sharing:detail', args=[image_id]),
            fetch_redirect_response=False)
        self.assertEqual(glance.member_status(image_id, project('consumer2')),
                         'pending')

    def test_share_refuses_an_empty_id_and_the_own_project(self):
        glance = Glance('producer')
        image_id = self.new_image(glance, 'img-' + uuid.uuid4().hex[:6])
        self.sign_in('producer')
        for typed, error in (('', 'Enter the project ID'),
                             (project('producer'), 'your own project')):
            response = self.client.post(self.share_url(image_id), {
                'image_id': image_id, 'scenario': 'customer',
                'project_id': typed})
            self.assertContains(response, error)
        self.assertEqual(
            glance.session.get('%s/%s/members' % (glance.url, image_id),
                               timeout=TIMEOUT).json()['members'], [])

    def test_share_with_own_project_is_accepted_at_once(self):
        owner = STACK['two_projects']
        glance = Glance(owner['user'], owner['projects'][0])
        image_id = self.new_image(glance, 'own-' + uuid.uuid4().hex[:6])
        # Horizon signs in to the project of this cookie, else to one of
        # the user's: the first project, so that the second is "other".
        self.client.cookies['recent_project'] = owner['project_ids'][0]
        self.sign_in(owner['user'])
        response = self.client.post(self.share_url(image_id), {
            'image_id': image_id, 'scenario': 'own-project',
            'own_project': owner['project_ids'][1]})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(glance.member_status(image_id,
                                              owner['project_ids'][1]),
                         'accepted')

    def test_image_sharing_shows_every_status(self):
        glance = Glance('producer')
        image_id = self.new_image(glance, 'img-' + uuid.uuid4().hex[:6])
        for user in ('consumer', 'consumer2', 'outsider'):
            glance.add_member(image_id, project(user))
        Glance('consumer').set_status(image_id, project('consumer'),
                                      'accepted')
        Glance('consumer2').set_status(image_id, project('consumer2'),
                                       'rejected')
        self.sign_in('producer')
        page = self.client.get(reverse(
            'horizon:project:image_sharing:detail', args=[image_id]))
        for label in ('Accepted', 'Rejected', 'Pending Acceptance'):
            self.assertContains(page, '\n            %s\n' % label)
        response = self.client.post(page.request['PATH_INFO'], {
            'action': 'members__remove_member__%s' % project('outsider')})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(glance.member_status(image_id, project('outsider')),
                         404)


class SharingExtensionTests(PluginTestCase):
    """Where the region's image endpoint is glance-members (its
    /sharing/v1 beside /v2): counts, trusted producers, batch sharing,
    expiry, history. The stock Glance region offers none of them."""

    def setUp(self):
        super().setUp()
        if 'sharing' not in STACK:
            self.skipTest('no glance-members endpoint given')

    def switch_region(self):
        response = self.client.get('/auth/switch_services_region/%s/' %
                                   STACK['sharing']['region'])
        self.assertEqual(response.status_code, 302)

    def gm(self, user):
        glance = Glance(user)
        glance.url = STACK['sharing']['url'] + '/v2/images'
        return glance

    def test_stock_glance_has_no_extension_pages(self):
        self.sign_in('consumer')
        self.assertEqual(self.client.get(reverse(
            'horizon:project:shared_with_me:trust')).status_code, 404)
        self.assertNotContains(self.client.get(reverse(SHARED_WITH_ME)),
                               'Trusted Producers')

    def test_counts_and_trusting_a_producer(self):
        producer = self.gm('producer')
        image_id = self.new_image(producer, 'gm-' + uuid.uuid4().hex[:6])
        producer.add_member(image_id, project('consumer'))
        self.sign_in('consumer')
        self.switch_region()
        page = self.client.get(reverse(SHARED_WITH_ME))
        self.assertContains(page, 'Trusted Producers')
        self.assertRegex(page.content.decode(),
                         r'Pending Acceptance: [1-9]\d* ')
        trust_url = '%s/sharing/v1/trusted-producers/%s' % (
            STACK['sharing']['url'], project('producer'))
        consumer_token = {'X-Auth-Token': token('consumer', 'consumer')}
        # A trust left behind would accept other suites' shares.
        self.addCleanup(requests.delete, trust_url, headers=consumer_token,
                        timeout=TIMEOUT)
        response = self.client.post(reverse(
            'horizon:project:shared_with_me:trust'), {
            'project_id': project('producer'), 'accept_pending': 'on'})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(producer.member_status(image_id,
                                                project('consumer')),
                         'accepted')
        trusted = self.client.get(reverse(SHARED_WITH_ME) +
                                  '?tab=shared__trusted')
        self.assertContains(trusted, 'trusted__distrust__%s'
                            % project('producer'))
        self.client.post(reverse(SHARED_WITH_ME), {
            'action': 'trusted__distrust__%s' % project('producer')})
        trusts = requests.get(
            STACK['sharing']['url'] + '/sharing/v1/trusted-producers',
            headers={'X-Auth-Token': token('consumer', 'consumer')},
            timeout=TIMEOUT).json()['trusted_producers']
        self.assertEqual(trusts, [])

    def test_batch_share_expiry_and_history(self):
        producer = self.gm('producer')
        images = [self.new_image(producer,
                                 'gm-batch-' + uuid.uuid4().hex[:6],
                                 visibility=visibility)
                  for visibility in ('shared', 'private')]
        self.sign_in('producer')
        self.switch_region()
        response = self.client.post(reverse(
            'horizon:project:image_sharing:batch'), {
            'images': images, 'expires_on': '2030-01-01',
            'projects': '%s, %s' % (project('consumer2'),
                                    project('outsider'))})
        self.assertEqual(response.status_code, 302, response.content[:3000])
        for image_id in images:
            for user in ('consumer2', 'outsider'):
                self.assertEqual(producer.member_status(image_id,
                                                        project(user)),
                                 'pending')
        detail = reverse('horizon:project:image_sharing:detail',
                         args=[images[0]])
        self.assertContains(self.client.get(detail), '2030-01-01T23:59:59Z')
        response = self.client.post(reverse(
            'horizon:project:image_sharing:expiry',
            args=[images[0], project('outsider')]), {
            'image_id': images[0], 'member_id': project('outsider'),
            'expires_on': ''})
        self.assertEqual(response.status_code, 302)
        page = self.client.get(detail).content.decode()
        self.assertIn('Sharing History', page)
        self.assertIn('Expiry changed', page)
        self.assertIn('Never', page)
