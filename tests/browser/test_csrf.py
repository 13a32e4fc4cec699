"""A form posted without its CSRF token is refused (403, the console's own
page) and writes nothing: checked through the API after each refusal."""

import pytest

from tests.support import console_pages as console
from tests.support.console_pages import expect
from tests.support import browser

REFUSED = 'This form was not sent from this console session'


def drop_csrf_tokens(page):
    page.locator('input[name=csrf_token]').evaluate_all(
        'inputs => inputs.forEach(input => input.remove())')


def expect_refused(page):
    expect(console.heading(page, 'Not allowed')).to_be_visible()
    expect(page.get_by_role('alert')).to_contain_text(REFUSED)


@pytest.fixture
def people(embedded):
    producer = embedded.persona('producer')
    consumer = embedded.persona('consumer')
    image_id = embedded.api(producer).create_image('csrf-target')
    return producer, consumer, image_id


def signed_in(new_page, embedded, persona):
    page = console.signed_in(new_page, embedded, persona)
    browser.allow_console(page, 'status of 403')
    return page


def test_share_without_the_token_writes_nothing(embedded, new_page, people):
    producer, consumer, image_id = people
    page = signed_in(new_page, embedded, producer)
    console.goto_image(page, embedded.console, 'RegionOne', image_id)
    drop_csrf_tokens(page)
    console.send_customer_form(page, consumer.project_id)
    expect_refused(page)
    assert embedded.api(producer).members(image_id) == {}


def test_decisions_and_removals_without_the_token_write_nothing(
        embedded, new_page, people):
    producer, consumer, image_id = people
    producer_api = embedded.api(producer)
    producer_api.add_member(image_id, consumer.project_id)

    page = signed_in(new_page, embedded, consumer)
    console.review(page)
    drop_csrf_tokens(page)
    console.review_row(page, 'csrf-target').get_by_role(
        'button', name='Accept').click()
    expect_refused(page)
    assert producer_api.members(image_id) == {consumer.project_id: 'pending'}

    page = signed_in(new_page, embedded, producer)
    console.goto_image(page, embedded.console, 'RegionOne', image_id)
    drop_csrf_tokens(page)
    page.get_by_role('button', name='Remove project %s'
                     % consumer.project_id).click()
    expect_refused(page)
    assert producer_api.members(image_id) == {consumer.project_id: 'pending'}


def test_sign_out_without_the_token_keeps_the_session(
        embedded, new_page, people):
    producer, _, _ = people
    page = signed_in(new_page, embedded, producer)
    drop_csrf_tokens(page)
    page.get_by_role('button', name='Sign out').click()
    expect_refused(page)
    console.images(page, embedded.console)  # still signed in


def test_a_post_from_elsewhere_is_refused(embedded, new_page, people):
    """What a forged form sends: the session cookie (the browser's) and
    no token; nor does a made-up token pass."""
    producer, consumer, image_id = people
    page = signed_in(new_page, embedded, producer)
    url = '%sregions/RegionOne/images/%s/share' % (embedded.console,
                                                   image_id)
    for form in ({}, {'csrf_token': 'x' * 64}):
        response = page.request.post(url, form=dict(
            form, scenario='customer', project_id=consumer.project_id),
            max_redirects=0)
        assert response.status == 403
        assert REFUSED in response.text()
    assert embedded.api(producer).members(image_id) == {}


def test_sign_in_without_its_token_is_refused(embedded, new_page):
    page = new_page()
    browser.allow_console(page, 'status of 403')
    page.goto(embedded.console)
    page.get_by_label('Token', exact=True).fill(
        embedded.persona('nobody').token)
    drop_csrf_tokens(page)
    page.get_by_role('button', name='Sign in').click()
    expect_refused(page)
    assert not [c for c in page.context.cookies()
                if c['name'] == 'gm_console_session']
