"""The web console on the embedded default (static tokens), through the
real app: its pages call the API in-process, so every check below also
reads the API's own state to see what a page really did."""

import logging
import os
import re

import markupsafe
import pytest
import yaml

from tests.functional import conftest as fconf
from testbed import personas

CONSUMER = fconf.CONSUMER
PRODUCER = fconf.PRODUCER
CSRF = re.compile(r'name="csrf_token" value="([^"]*)"')
PAGE_HEADERS = {
    'Content-Security-Policy': (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'none'"),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
}


class Browser:
    """A cookie jar on the app, posting forms with the CSRF token of the
    page they came from, as a browser would."""

    def __init__(self, app):
        self.client = app.test_client()
        self.last_page = ''

    def get(self, path, follow=False):
        response = self.client.get(path, follow_redirects=follow)
        self.last_page = response.get_data(as_text=True)
        return response

    def csrf(self):
        return CSRF.search(self.last_page).group(1)

    def post(self, path, data=None, csrf=True, follow=False):
        form = dict(data or {})
        if csrf:
            form.setdefault('csrf_token', self.csrf())
        response = self.client.post(path, data=form,
                                    follow_redirects=follow)
        if response.status_code != 302:  # a redirect is no page to read
            self.last_page = response.get_data(as_text=True)
        return response

    def sign_in(self, who):
        self.get('/console/sign-in')
        response = self.post('/console/sign-in',
                             {'token': personas.token(who)})
        assert response.status_code == 302, self.last_page
        assert response.headers['Location'] == '/console/images'
        return response

    def share_with_customer(self, image_id, project_id=CONSUMER):
        """Share Image's scenario (b), from the image's page: whose
        project the id is first, then the share once confirmed."""
        self.page(image_path(image_id))
        response = self.post(image_path(image_id) + '/share',
                             {'scenario': 'customer',
                              'project_id': project_id})
        if response.status_code != 200:
            return response  # refused before anything was sent
        assert 'name="confirmed"' in self.last_page, self.last_page
        return self.post(image_path(image_id) + '/share',
                         {'scenario': 'customer', 'project_id': project_id,
                          'confirmed': '1'})

    def session_cookie(self):
        return self.client.get_cookie('gm_console_session',
                                      path='/console/')

    def page(self, path):
        response = self.get(path)
        assert response.status_code == 200, (
            path, response.status_code, self.last_page[:2000])
        return self.last_page


def image_path(image_id):
    return '/console/regions/RegionOne/images/%s' % image_id


@pytest.fixture
def console(app):
    return Browser(app)


@pytest.fixture
def consumer_ui(app):
    b = Browser(app)
    b.sign_in('consumer')
    return b


@pytest.fixture
def producer_ui(console):
    console.sign_in('producer')
    return console


def members(api, image_id):
    r = api.get('/v2/images/%s/members' % image_id)
    assert r.status_code == 200, r.data
    return {m['member_id']: m['status'] for m in r.json['members']}


# --- sign-in and sessions --------------------------------------------------

def test_pages_need_a_session(console):
    for path in ('/console/', '/console/images', image_path(fconf.RND)):
        response = console.get(path)
        assert response.status_code == 302
        assert response.headers['Location'].startswith('/console/sign-in')


def test_demo_token_signs_in_and_lists_own_images(api, producer_ui):
    api.create_image(name='my-exotic-os')
    api.create_image(name='consumers-own', who='consumer')
    page = producer_ui.page('/console/images')
    assert 'my-exotic-os' in page
    assert 'consumers-own' not in page
    assert '<td>Mine</td>' in page
    assert 'RegionOne' in page


def test_the_image_list_is_paged(api, producer_ui, monkeypatch):
    from glance_members.console import listing
    monkeypatch.setattr(listing, 'IMAGES_PER_PAGE', 2)
    for n in range(5):
        api.create_image(name='paged-%d' % n)

    def names(page):
        return re.findall(r'<bdi>(paged-\d)</bdi>', page)

    first = producer_ui.page('/console/images')
    assert names(first) == ['paged-4', 'paged-3']
    assert 'Images 1 to 2 of 5 (page 1 of 3)' in first
    assert 'rel="prev"' not in first
    assert '<a rel="next" href="/console/images?page=2">' in first
    second = producer_ui.page('/console/images?page=2')
    assert names(second) == ['paged-2', 'paged-1']
    assert '<a rel="prev" href="/console/images?page=1">' in second
    assert '<a rel="next" href="/console/images?page=3">' in second
    region = producer_ui.page('/console/images?region=RegionOne&page=9')
    assert names(region) == ['paged-0']  # past the end: the last page
    assert '<a rel="prev" href="/console/images?region=RegionOne&amp;' \
        'page=2">' in region and 'rel="next"' not in region
    assert names(producer_ui.page('/console/images?page=x')) == names(first)


def test_wrong_token_is_refused_without_a_session(console):
    console.get('/console/sign-in')
    response = console.post('/console/sign-in', {'token': 'tok-nobody'})
    assert response.status_code == 401
    assert 'This token is not valid.' in console.last_page
    assert console.session_cookie() is None


def test_session_cookie_holds_only_a_random_id(producer_ui):
    cookie = producer_ui.session_cookie()
    assert cookie.http_only and cookie.path == '/console/'
    assert cookie.same_site == 'Lax' and not cookie.secure  # plain HTTP
    assert len(cookie.value) >= 43  # 256 bits, urlsafe base64
    assert personas.token('producer') not in cookie.value


def test_token_is_in_no_page_and_no_log_line(api, producer_ui, caplog):
    caplog.set_level(logging.INFO)
    image = api.create_image(name='logged')
    for path in ('/console/images', image_path(image['id']),
                 '/console/review', '/console/batch',
                 '/console/trusted-producers'):
        assert personas.token('producer') not in producer_ui.page(path)
    producer_ui.share_with_customer(image['id'])
    access = [r.getMessage() for r in caplog.records
              if r.name == 'glance_members.access']
    assert any(line.startswith('GET /console/images 200')
               for line in access), access
    assert any(line.startswith('POST /v2/images/%s/members 200'
                               % image['id']) for line in access), access
    assert not any(personas.token('producer') in r.getMessage()
                   for r in caplog.records)


def test_sign_out_ends_the_session_for_any_holder_of_the_cookie(app,
                                                                producer_ui):
    old = producer_ui.session_cookie().value
    producer_ui.page('/console/images')
    response = producer_ui.post('/console/sign-out')
    assert response.headers['Location'] == \
        '/console/sign-in?reason=signed-out'
    other = Browser(app)
    other.client.set_cookie('gm_console_session', old, path='/console/')
    response = other.get('/console/images')
    assert response.status_code == 302
    assert response.headers['Location'] == '/console/sign-in?reason=expired'


def test_api_401_drops_the_session_and_returns_to_sign_in(app, producer_ui):
    # The token leaves the file (the API re-reads it): the next API call
    # is a 401.
    path = os.path.join(app.extensions['glance_members'].conf.data_dir,
                        'tokens.yaml')
    with open(path) as f:
        tokens = yaml.safe_load(f)
    del tokens[personas.token('producer')]
    with open(path, 'w') as f:
        yaml.safe_dump(tokens, f)
    response = producer_ui.get('/console/images')
    assert response.status_code == 302
    assert response.headers['Location'] == '/console/sign-in?reason=expired'
    page = producer_ui.get('/console/sign-in?reason=expired',
                           follow=True).get_data(as_text=True)
    assert 'Your session has ended' in page
    assert producer_ui.get('/console/images').status_code == 302


# --- the seed's stories ----------------------------------------------------

def test_share_with_another_customer_is_pending(api, producer_ui):
    image = api.create_image(name='exotic')
    response = producer_ui.share_with_customer(image['id'])
    assert response.headers['Location'] == image_path(image['id'])
    assert members(api, image['id']) == {CONSUMER: 'pending'}
    page = producer_ui.page(image_path(image['id']))
    assert 'Pending Acceptance until they accept it' in page
    assert '<th scope="row"><code>%s</code></th>' % CONSUMER in page
    assert '<td>Pending Acceptance</td>' in page


def test_share_with_an_account_you_can_act_for_is_accepted(api, producer_ui):
    image = api.create_image(name='for-department-b')
    producer_ui.page(image_path(image['id']))
    producer_ui.post(image_path(image['id']) + '/share',
                     {'scenario': 'other-account',
                      'other_token': personas.token('consumer')})
    assert members(api, image['id']) == {CONSUMER: 'accepted'}
    assert image['id'] in api.list_ids(who='consumer')
    assert 'and accepted' in producer_ui.page(image_path(image['id']))


def test_wrong_other_account_writes_nothing(api, producer_ui):
    image = api.create_image(name='for-nobody')
    producer_ui.page(image_path(image['id']))
    producer_ui.post(image_path(image['id']) + '/share',
                     {'scenario': 'other-account', 'other_token': 'tok-wrong'})
    assert members(api, image['id']) == {}
    assert 'The other account could not sign in' in producer_ui.page(
        image_path(image['id']))


def test_api_refusal_is_shown_in_its_own_words(api, producer_ui):
    image = api.create_image(name='twice')
    api.add_member(image['id'], CONSUMER)
    producer_ui.share_with_customer(image['id'])
    page = producer_ui.page(image_path(image['id']))
    # Glance's 409 text, nothing added.
    assert ('<div class="message error" role="alert">Member %s is '
            'duplicated for image %s</div>' % (CONSUMER, image['id'])) in page
    assert 'Traceback' not in page


def test_missing_image_is_a_plain_404(producer_ui):
    response = producer_ui.get(image_path(fconf.RND))
    assert response.status_code == 404
    assert 'No image found with ID %s' % fconf.RND in producer_ui.last_page
    assert 'Traceback' not in producer_ui.last_page


def test_consumer_sees_the_notice_accepts_and_sees_shared_image(
        api, consumer_ui):
    ids = [api.create_image(name='exotic-%d' % n)['id'] for n in range(3)]
    for image_id in ids:
        api.add_member(image_id, CONSUMER)
    page = consumer_ui.page('/console/images')
    assert '3 images have been shared with you' in page
    assert 'exotic-0' not in page  # pending shares stay out of the list
    review = consumer_ui.page('/console/review')
    assert review.count('name="accept"') == 3
    consumer_ui.post('/console/review',
                     {'accept': 'RegionOne/%s' % ids[0]})
    consumer_ui.post('/console/review',
                     {'reject': 'RegionOne/%s' % ids[1]})
    assert members(api, ids[0]) == {CONSUMER: 'accepted'}
    assert members(api, ids[1]) == {CONSUMER: 'rejected'}
    page = consumer_ui.page('/console/images')
    assert '1 image has been shared with you' in page
    assert 'exotic-0' in page and 'exotic-1' not in page
    assert 'Shared Image <span class="producer">from <bdi>%s</bdi>' \
        % PRODUCER in page


def test_bulk_decision_accepts_the_selected_shares(api, consumer_ui):
    ids = [api.create_image(name='bulk-%d' % n)['id'] for n in range(3)]
    for image_id in ids:
        api.add_member(image_id, CONSUMER)
    consumer_ui.page('/console/review')
    consumer_ui.client.post('/console/review', data={
        'csrf_token': consumer_ui.csrf(), 'bulk': 'accepted',
        'share': ['RegionOne/%s' % i for i in ids[:2]]})
    assert [members(api, i)[CONSUMER] for i in ids] == [
        'accepted', 'accepted', 'pending']


def test_remove_image_rejects_after_accepting(api, consumer_ui):
    image = api.create_image(name='not-wanted')
    api.add_member(image['id'], CONSUMER)
    api.set_status(image['id'], CONSUMER, 'accepted')
    page = consumer_ui.page(image_path(image['id']))
    assert 'Remove Image' in page
    assert 'ask the producer to share it with you again' in page
    response = consumer_ui.post(image_path(image['id']) + '/decision',
                                {'status': 'rejected'})
    assert response.headers['Location'] == '/console/images?region=RegionOne'
    assert members(api, image['id']) == {CONSUMER: 'rejected'}
    assert 'not-wanted' not in consumer_ui.page('/console/images')


def test_leave_ends_the_membership(api, consumer_ui):
    image = api.create_image(name='leaving')
    api.add_member(image['id'], CONSUMER)
    consumer_ui.page(image_path(image['id']))
    consumer_ui.post(image_path(image['id']) + '/leave')
    assert members(api, image['id']) == {}


def test_producer_removes_a_member_and_the_image_is_gone(api, app,
                                                         producer_ui):
    image = api.create_image(name='revoked')
    api.add_member(image['id'], CONSUMER)
    api.set_status(image['id'], CONSUMER, 'accepted')
    consumer_ui = Browser(app)
    consumer_ui.sign_in('consumer')
    assert 'revoked' in consumer_ui.page('/console/images')
    producer_ui.page(image_path(image['id']))
    producer_ui.post(image_path(image['id']) + '/members/%s/remove' % CONSUMER)
    assert members(api, image['id']) == {}
    assert 'revoked' not in consumer_ui.page('/console/images')


def test_private_image_is_made_shareable_first(api, producer_ui):
    image = api.create_image(name='private-one', visibility='private')
    page = producer_ui.page(image_path(image['id']))
    assert 'Make image shareable' in page and 'Share Image' not in page
    producer_ui.post(image_path(image['id']) + '/visibility')
    assert api.get('/v2/images/%s' % image['id']).json['visibility'] == \
        'shared'
    assert 'id="share-image">Share Image' in producer_ui.page(
        image_path(image['id']))


# --- the extension's pages -------------------------------------------------

def test_batch_share_and_revoke(api, producer_ui):
    ids = [api.create_image(name='batch-%d' % n)['id'] for n in range(2)]
    producer_ui.page('/console/batch')
    producer_ui.client.post('/console/batch', data={
        'csrf_token': producer_ui.csrf(), 'region': 'RegionOne',
        'image': ids, 'projects': '%s\n%s' % (CONSUMER, fconf.CONSUMER2),
        'action': 'share'})
    for image_id in ids:
        assert members(api, image_id) == {CONSUMER: 'pending',
                                          fconf.CONSUMER2: 'pending'}
    assert 'Done: 4 created.' in producer_ui.page('/console/batch')
    producer_ui.client.post('/console/batch', data={
        'csrf_token': producer_ui.csrf(), 'region': 'RegionOne',
        'image': ids[:1], 'projects': CONSUMER, 'action': 'revoke'})
    assert members(api, ids[0]) == {fconf.CONSUMER2: 'pending'}


def test_trusted_producer_accepts_pending_shares(api, consumer_ui):
    image = api.create_image(name='trusted')
    api.add_member(image['id'], CONSUMER)
    consumer_ui.page('/console/trusted-producers')
    consumer_ui.post('/console/trusted-producers',
                     {'region': 'RegionOne', 'project_id': PRODUCER,
                      'accept_pending': '1'})
    assert members(api, image['id']) == {CONSUMER: 'accepted'}
    page = consumer_ui.page('/console/trusted-producers')
    assert '1 pending share was accepted' in page
    assert '<th scope="row"><code class="id">%s</code></th>' % PRODUCER \
        in page
    consumer_ui.post('/console/trusted-producers/%s/remove' % PRODUCER,
                     {'region': 'RegionOne'})
    assert '%s</code></th>' % PRODUCER not in consumer_ui.page(
        '/console/trusted-producers')


def test_history_and_expiry(api, producer_ui):
    image = api.create_image(name='dated')
    api.add_member(image['id'], CONSUMER)
    producer_ui.page(image_path(image['id']))
    producer_ui.post(image_path(image['id']) + '/members/%s/expiry' % CONSUMER,
                     {'expires_on': '2099-01-31'})
    page = producer_ui.page(image_path(image['id']))
    assert 'expires on 2099-01-31' in page
    assert 'value="2099-01-31"' in page
    history = producer_ui.page(image_path(image['id']) + '/history')
    assert 'expires 2099-01-31 23:59 UTC' in history
    assert history.count('<code>%s</code>' % CONSUMER) >= 2


def test_without_sharing_extension_only_stock_features_show(make_api,
                                                            tmp_path):
    api = make_api(**{'sharing.enabled': False})
    app = api.client.application
    image = api.create_image(name='stock')
    api.add_member(image['id'], CONSUMER)
    consumer_ui = Browser(app)
    consumer_ui.sign_in('consumer')
    page = consumer_ui.page('/console/images')
    assert '1 image has been shared with you' in page
    assert 'Trusted producers' not in page and 'Share in batch' not in page
    assert consumer_ui.get('/console/trusted-producers').status_code == 404
    assert consumer_ui.get('/console/batch').status_code == 404
    consumer_ui.page('/console/review')
    consumer_ui.post('/console/review', {'accept': 'RegionOne/%s'
                                         % image['id']})
    assert members(api, image['id']) == {CONSUMER: 'accepted'}
    page = consumer_ui.page(image_path(image['id']))
    assert 'Remove Image' in page
    assert '>Leave<' not in page and 'Sharing history' not in page


# --- security --------------------------------------------------------------

def test_post_without_or_with_a_wrong_csrf_token_writes_nothing(
        api, app, producer_ui):
    image = api.create_image(name='guarded')
    producer_ui.page(image_path(image['id']))
    for token in (None, '', 'x' * 64):
        data = {'scenario': 'customer', 'project_id': CONSUMER}
        if token is not None:
            data['csrf_token'] = token
        response = producer_ui.post(image_path(image['id']) + '/share', data,
                                    csrf=False)
        assert response.status_code == 403
        assert 'nothing was changed' in producer_ui.last_page
    assert members(api, image['id']) == {}


def test_csrf_token_of_another_session_is_refused(api, app, producer_ui):
    image = api.create_image(name='guarded')
    other = Browser(app)
    other.sign_in('producer')
    other.page('/console/images')
    response = producer_ui.post(image_path(image['id']) + '/share',
                                {'scenario': 'customer',
                                 'project_id': CONSUMER,
                                 'csrf_token': other.csrf()}, csrf=False)
    assert response.status_code == 403
    assert members(api, image['id']) == {}


def test_sign_in_needs_its_form_token(console):
    console.get('/console/sign-in')
    response = console.post('/console/sign-in',
                            {'token': personas.token('producer'),
                             'csrf_token': 'forged'}, csrf=False)
    assert response.status_code == 403
    assert console.session_cookie() is None


def test_security_headers_on_every_response(producer_ui):
    for path in ('/console/images', '/console/static/console.css',
                 image_path(fconf.RND), '/console/no-such-page'):
        response = producer_ui.get(path)
        for header, value in PAGE_HEADERS.items():
            assert response.headers[header] == value, (path, header)
    assert producer_ui.get('/console/images').headers['Cache-Control'] == \
        'no-store'


HOSTILE = ('<script>window.__pwned=1</script>"\'><img src=x '
           'onerror="window.__pwned=1">\u202egnp.exe \u4e2d')


def test_hostile_names_are_escaped_and_isolated(api, app, producer_ui):
    image = api.create_image(name=HOSTILE, hostile_property=HOSTILE)
    api.add_member(image['id'], CONSUMER)
    escaped = str(markupsafe.escape(HOSTILE))
    for page in (producer_ui.page('/console/images'),
                 producer_ui.page(image_path(image['id']))):
        assert '<script>window' not in page and '<img src=x' not in page
        assert '<bdi>%s</bdi>' % escaped in page
    consumer_ui = Browser(app)
    consumer_ui.sign_in('consumer')
    review = consumer_ui.page('/console/review')
    assert '<script>window' not in review and escaped in review


def test_long_names_are_served_whole(api, producer_ui):
    long_name = 'n' * 255  # Glance's name limit; CSS wraps it
    image = api.create_image(name=long_name)
    page = producer_ui.page(image_path(image['id']))
    assert long_name in page
    css = producer_ui.get('/console/static/console.css').get_data(as_text=True)
    assert 'overflow-wrap: anywhere' in css


def test_pages_are_light(api, producer_ui):
    for n in range(20):
        api.create_image(name='image-%d' % n)
    for path in ('/console/images', '/console/review', '/console/batch'):
        assert len(producer_ui.page(path).encode()) < 100 * 1024
    assert len(producer_ui.get('/console/static/console.css').data) < 10240


def test_unexpected_error_is_a_500_page_without_details(producer_ui,
                                                        monkeypatch,
                                                        caplog):
    from glance_members.console import listing

    def broken(*args):
        raise RuntimeError('internal detail 42')
    monkeypatch.setattr(listing, 'image_rows', broken)
    response = producer_ui.get('/console/images')
    assert response.status_code == 500
    assert 'Something went wrong on our side' in producer_ui.last_page
    assert 'internal detail 42' not in producer_ui.last_page
    assert 'Traceback' not in producer_ui.last_page
    assert response.headers['Content-Security-Policy'] == \
        PAGE_HEADERS['Content-Security-Policy']
    assert 'internal detail 42' in caplog.text  # for the operator


def test_session_cookie_is_secure_under_https(app):
    client = app.test_client()
    page = client.get('/console/sign-in', base_url='https://localhost')
    response = client.post('/console/sign-in', base_url='https://localhost',
                           data={'token': personas.token('producer'),
                                 'csrf_token': CSRF.search(page.get_data(
                                     as_text=True)).group(1)})
    assert response.status_code == 302
    cookies = response.headers.getlist('Set-Cookie')
    session = [c for c in cookies if c.startswith('gm_console_session=')]
    assert session and '; Secure' in session[0]
    assert '; HttpOnly' in session[0] and 'SameSite=Lax' in session[0]


def test_unreachable_image_api_is_a_message_not_a_crash(make_api):
    from testbed import processes
    closed = 'http://127.0.0.1:%d' % processes.free_port()
    api = make_api(**{'console.image_endpoint': closed,
                      'console.api_timeout': 2})
    console = Browser(api.client.application)
    console.sign_in('producer')
    page = console.page('/console/images')
    assert 'Region <bdi>RegionOne</bdi> cannot be reached' in page
    # The notice's review page says the same (it was a 502 page).
    page = console.page('/console/review')
    assert 'Region <bdi>RegionOne</bdi> cannot be reached' in page
    assert 'No image in the regions that answered waits' in page
    # The batch and trust pages find no region serving /sharing: a 404
    # that says so, not a 502.
    response = console.get('/console/batch')
    assert response.status_code == 404, console.last_page
    assert 'does not offer this feature' in console.last_page


def test_one_region_down_leaves_the_others_reviewable(api, consumer_ui,
                                                      monkeypatch):
    """Two catalog regions, one of them a closed port: the review page
    lists the other's shares and Accept works there."""
    from glance_members.console import regions
    from testbed import processes
    closed = 'http://127.0.0.1:%d' % processes.free_port()
    resolve = regions.resolve
    monkeypatch.setattr(regions, 'resolve', lambda *a, **kw: dict(
        resolve(*a, **kw), RegionDown=closed))
    image = api.create_image(name='still-reviewable')
    api.add_member(image['id'], CONSUMER)
    page = consumer_ui.page('/console/images')
    assert 'Region <bdi>RegionDown</bdi> cannot be reached' in page
    assert '1 image has been shared with you' in page
    page = consumer_ui.page('/console/review')
    assert 'Region <bdi>RegionDown</bdi> cannot be reached' in page
    assert 'still-reviewable' in page
    consumer_ui.post('/console/review',
                     {'accept': 'RegionOne/%s' % image['id']})
    assert members(api, image['id']) == {CONSUMER: 'accepted'}
    # A decision naming the unreachable region says what was not done.
    consumer_ui.page('/console/review')
    consumer_ui.post('/console/review', {'bulk': 'rejected', 'share': [
        'RegionOne/%s' % image['id'], 'RegionDown/%s' % fconf.RND]})
    assert members(api, image['id']) == {CONSUMER: 'rejected'}
    page = consumer_ui.page('/console/review')
    assert ('Region RegionDown cannot be reached: its 1 image was not '
            'rejected; try again later.') in page
    assert '1 image rejected.' in page


def test_member_id_is_one_path_segment_in_every_form(api, app, producer_ui):
    """A member id is any text up to 255 characters: one that looks like
    a path must not turn image V's Remove button against image W."""
    victim = api.create_image(name='w')
    api.add_member(victim['id'], CONSUMER)
    bait = api.create_image(name='v')
    hostile = '../../%s/members/%s' % (victim['id'], CONSUMER)
    api.add_member(bait['id'], hostile)
    page = producer_ui.page(image_path(bait['id']))
    encoded = '..%2F..%2F' + victim['id'] + '%2Fmembers%2F' + CONSUMER
    for action in ('remove', 'expiry'):
        assert 'action="%s/members/%s/%s"' % (
            image_path(bait['id']), encoded, action) in page
    assert '/members/../' not in page
    response = producer_ui.post(image_path(bait['id']) + '/members/%s/remove'
                                % encoded)
    assert response.status_code == 302
    assert members(api, victim['id']) == {CONSUMER: 'pending'}
    assert members(api, bait['id']) == {}


def test_consumer_accepts_a_share_it_rejected(api, consumer_ui):
    image = api.create_image(name='second-thoughts')
    api.add_member(image['id'], CONSUMER)
    api.set_status(image['id'], CONSUMER, 'rejected')
    page = consumer_ui.page('/console/review')
    assert 'Rejected' in page and 'second-thoughts' in page
    consumer_ui.post('/console/review',
                     {'accept': 'RegionOne/%s' % image['id']})
    assert members(api, image['id']) == {CONSUMER: 'accepted'}
    # And from the image's own page.
    api.set_status(image['id'], CONSUMER, 'rejected')
    page = consumer_ui.page(image_path(image['id']))
    assert 'value="accepted"' in page
    consumer_ui.post(image_path(image['id']) + '/decision',
                     {'status': 'accepted'})
    assert members(api, image['id']) == {CONSUMER: 'accepted'}


def test_api_calls_carry_the_console_requests_id(api, producer_ui):
    image = api.create_image(name='traced')
    response = producer_ui.share_with_customer(image['id'])
    request_id = response.headers['x-openstack-request-id']
    assert fconf.REQUEST_ID.match(request_id)
    history = api.get('/sharing/v1/images/%s/history' % image['id']).json
    assert [e['request_id'] for e in history['history']] == [request_id]


def test_signing_in_again_replaces_the_session(app, producer_ui):
    old = producer_ui.session_cookie().value
    stale = Browser(app)
    stale.get('/console/sign-in')  # a sign-in page opened before
    producer_ui.client.set_cookie('gm_console_signin', stale.client.get_cookie(
        'gm_console_signin', path='/console/').value, path='/console/')
    response = producer_ui.post('/console/sign-in',
                                {'token': personas.token('consumer'),
                                 'csrf_token': stale.csrf()}, csrf=False)
    assert response.status_code == 302
    assert producer_ui.session_cookie().value != old
    assert 'u-consumer' in producer_ui.page('/console/images')
    replay = Browser(app)
    replay.client.set_cookie('gm_console_session', old, path='/console/')
    assert replay.get('/console/images').status_code == 302


def test_names_where_a_person_reads_an_id(make_api, named_personas):
    """Shared by, Source, the Image Sharing table's Project name and the
    history's By name the projects and users tokens.yaml names."""
    api = make_api()
    named_personas(api, {PRODUCER: 'producer', CONSUMER: 'consumer'})
    app = api.client.application
    waiting = api.create_image(name='waiting')
    api.add_member(waiting['id'], CONSUMER)
    taken = api.create_image(name='taken')
    api.add_member(taken['id'], CONSUMER)
    api.set_status(taken['id'], CONSUMER, 'accepted')
    consumer_ui = Browser(app)
    consumer_ui.sign_in('consumer')
    page = consumer_ui.page('/console/images')
    assert 'Shared Image <span class="producer">from <bdi>producer</bdi>' \
        in page
    page = consumer_ui.page('/console/review')
    assert '<td><bdi>producer</bdi></td>' in page  # Shared by
    producer_ui = Browser(app)
    producer_ui.sign_in('producer')
    page = producer_ui.page(image_path(taken['id']))
    assert '<bdi>consumer</bdi>' in page
    page = producer_ui.page(image_path(taken['id']) + '/history')
    assert '<bdi>consumer</bdi> of <bdi>consumer</bdi>' in page  # By
    assert '<bdi>producer</bdi> of <bdi>producer</bdi>' in page
    assert PRODUCER not in page.split('<tbody>')[1].replace(
        'class="id">%s' % PRODUCER, '')


def test_expiry_comes_from_the_members_read_not_history(api, producer_ui):
    """A busy image: more history rows than the console ever read
    (1,000) still shows each member's expiry."""
    image = api.create_image(name='busy')
    api.add_member(image['id'], CONSUMER)
    api.patch('/sharing/v1/images/%s/members/%s' % (image['id'], CONSUMER),
              changes={'expires_at': '2099-03-04T00:00:00Z'},
              content_type='application/json')
    for status in ('accepted', 'rejected') * 3:
        api.set_status(image['id'], CONSUMER, status)
    calls = []
    from glance_members.console import client
    real = client.ImageAPI._request

    def spy(self, method, path, *args, **kwargs):
        calls.append(path)
        return real(self, method, path, *args, **kwargs)
    client.ImageAPI._request = spy
    try:
        page = producer_ui.page(image_path(image['id']))
    finally:
        client.ImageAPI._request = real
    assert 'value="2099-03-04"' in page
    assert not [c for c in calls if '/history' in c], calls


def test_share_form_says_whose_project_an_id_is_first(
        make_api, named_personas):
    """A typed project id is shown with its name before anything is
    sent; an id no project has is refused (the embedded default knows
    its projects: tokens.yaml)."""
    api = make_api()
    named_personas(api, {PRODUCER: 'producer', CONSUMER: 'consumer'})
    producer_ui = Browser(api.client.application)
    producer_ui.sign_in('producer')
    image = api.create_image(name='to-confirm')
    producer_ui.page(image_path(image['id']))
    response = producer_ui.post(image_path(image['id']) + '/share',
                                {'scenario': 'customer',
                                 'project_id': CONSUMER})
    assert response.status_code == 200
    assert '<bdi>consumer</bdi>?</h1>' in producer_ui.last_page
    assert members(api, image['id']) == {}  # nothing sent yet
    producer_ui.post(image_path(image['id']) + '/share',
                     {'scenario': 'customer', 'project_id': CONSUMER,
                      'project_name': 'consumer', 'confirmed': '1'})
    assert members(api, image['id']) == {CONSUMER: 'pending'}
    page = producer_ui.page(image_path(image['id']))
    assert 'shared with project consumer (%s)' % CONSUMER in page
    # The typo: refused, nothing written, in plain words.
    response = producer_ui.share_with_customer(image['id'], 'not a project!')
    assert response.status_code == 302
    assert members(api, image['id']) == {CONSUMER: 'pending'}
    page = producer_ui.page(image_path(image['id']))
    assert ('No enabled project has the id not a project!. Nothing was '
            'shared: check the id.') in page
