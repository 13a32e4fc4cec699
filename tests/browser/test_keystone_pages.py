"""The console's Keystone side in a real browser: password sign-in, the
project switcher, a region that cannot be reached; axe-core on those
pages."""

from tests.support import image_api as api
from tests.support import console_pages as console
from tests.support.console_pages import expect
from tests.support import browser
from testbed import processes


def console_url(cloud):
    return cloud.url('RegionOne') + '/console/'


def test_password_sign_in_and_project_switcher(two_regions, new_page):
    page = new_page()
    browser.allow_console(page, 'status of 401')
    page.goto(console_url(two_regions))
    browser.axe_check(page, 'sign-in (Keystone)')
    page.get_by_label('User name').fill('console_ops')
    page.get_by_label('Password').fill('not the password')
    page.get_by_role('button', name='Sign in').click()
    expect(page.get_by_role('alert')).to_have_text(
        'The user name, password or domain is not correct.')
    expect(page.get_by_label('User name')).to_have_value('console_ops')
    # What was typed comes back in an attribute: as text, whatever it is.
    hostile = '" autofocus onfocus="window.__pwned=1" x="<script>'
    page.get_by_label('User name').fill(hostile)
    page.get_by_label('Domain').fill(hostile)
    page.get_by_label('Password').fill('not the password either')
    with page.expect_response(lambda response: response.request.method ==
                              'POST') as posted:
        page.get_by_role('button', name='Sign in').click()
    assert posted.value.status == 401
    expect(page.get_by_label('User name')).to_have_value(hostile)
    expect(page.get_by_label('Domain')).to_have_value(hostile)
    page.get_by_label('Domain').focus()
    assert page.evaluate('window.__pwned') is None

    console.sign_in_with_password(page, console_url(two_regions),
                                  'console_ops',
                                  two_regions.password('console_ops'))
    switcher = page.get_by_label('Project', exact=True)
    expect(switcher.get_by_role('option')).to_have_text(
        ['console-prod', 'console-test'])
    expect(page.get_by_label('Region').get_by_role('option')).to_have_text(
        [console.ALL_REGIONS, 'RegionOne', 'RegionTwo'])
    browser.axe_check(page, 'images (Keystone, two regions)')


def test_a_region_that_cannot_be_reached(two_regions, new_page):
    """A catalog region whose endpoint is down: said so, the other
    regions listed all the same."""
    user = 'consumer2'
    api.ImageAPI(two_regions.url('RegionOne'), two_regions.token(user)) \
        .create_image('reachable-image')
    # A share waiting in the region that answers: the notice's review
    # page must list it and Accept it (it was a 502 page).
    producer = api.ImageAPI(two_regions.url('RegionTwo'),
                            two_regions.token('producer'))
    waiting = producer.create_image('waiting-in-region-two')
    producer.add_member(waiting, two_regions.project_id('consumer2'))
    dead = 'http://127.0.0.1:%d' % processes.free_port()
    with two_regions.extra_region('RegionDown', dead):
        page = new_page()
        console.sign_in_with_password(page, console_url(two_regions), user,
                                      two_regions.password(user))
        expect(page.get_by_role('alert')).to_have_text(
            'Region RegionDown cannot be reached: its images are not '
            'listed.')
        expect(console.image_row(page, 'reachable-image')).to_have_count(1)
        browser.axe_check(page, 'images (a region down)')
        console.review(page)
        expect(page.get_by_role('alert')).to_have_text(
            'Region RegionDown cannot be reached: the images shared with '
            'you there are not listed.')
        browser.axe_check(page, 'review (a region down)')
        console.decide(page, 'waiting-in-region-two', 'Accept')
        assert producer.member_status(
            waiting, two_regions.project_id('consumer2')) == 'accepted'
        expect(console.image_row(page, 'waiting-in-region-two')) \
            .to_have_count(1)
