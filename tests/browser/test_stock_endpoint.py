"""The same pages against an endpoint without /sharing (`[sharing] enabled
= false`: what real Glance serves): the stock features work, the inbox's
extras, history, trust and batch are not offered; against one with
/sharing, they are."""

import pytest

from tests.support import console_pages as console
from tests.support.console_pages import expect
from tests.support import browser

UNAVAILABLE = 'This image service does not offer this feature.'
EXTENSION_LINKS = ('Share in batch', 'Trusted producers')


@pytest.fixture(params=['embedded', 'embedded_stock'])
def server(request):
    """Each test twice: with and without the sharing extension."""
    return request.param == 'embedded', request.getfixturevalue(
        request.param)


def test_the_producer_pages(server, new_page):
    sharing, embedded = server
    producer = embedded.persona('producer')
    consumer = embedded.persona('consumer')
    image_id = embedded.api(producer).create_image('stock-image')

    page = console.signed_in(new_page, embedded, producer)
    for name in EXTENSION_LINKS:
        expect(page.get_by_role('navigation').get_by_role(
            'link', name=name)).to_have_count(1 if sharing else 0)
    console.open_image(page, 'stock-image')
    console.share_with_customer(page, consumer.project_id)
    console.expect_member(page, consumer.project_id, 'Pending Acceptance')
    expect(console.members_table(page).get_by_role(
        'columnheader', name='Expiry')).to_have_count(1 if sharing else 0)
    expect(page.get_by_role('link', name='Sharing history of this image')) \
        .to_have_count(1 if sharing else 0)
    assert embedded.api(producer).members(image_id) == {
        consumer.project_id: 'pending'}

    if not sharing:
        browser.allow_console(page, 'status of 404')
        for path in ('batch', 'trusted-producers',
                     'regions/RegionOne/images/%s/history' % image_id):
            page.goto(embedded.console + path)
            expect(console.heading(page, 'Not found')).to_be_visible()
            expect(page.get_by_role('alert')).to_have_text(UNAVAILABLE)


def test_the_consumer_pages(server, new_page):
    sharing, embedded = server
    producer = embedded.persona('producer')
    consumer = embedded.persona('consumer')
    for name in ('stock-pending', 'stock-accepted'):
        embedded.share(producer, consumer, name)

    page = console.signed_in(new_page, embedded, consumer)
    console.expect_notice(page, 2)
    console.review(page)
    console.decide(page, 'stock-accepted', 'Accept')
    console.expect_notice(page, 1)
    expect(console.image_row(page, 'stock-accepted')).to_contain_text(
        'Shared Image')
    console.open_image(page, 'stock-accepted')
    expect(page.get_by_role('button', name='Remove Image')).to_be_visible()
    expect(page.get_by_role('button', name='Leave')).to_have_count(
        1 if sharing else 0)
    console.remove_image(page)
    expect(console.image_row(page, 'stock-accepted')).to_have_count(0)


def test_a_rejected_share_page_says_what_it_does(server, new_page):
    """The API lets a consumer accept a share it rejected (as Glance
    does): the page offers it, and does not say the producer must."""
    _, embedded = server
    producer = embedded.persona('producer')
    consumer = embedded.persona('consumer')
    image_id = embedded.share(producer, consumer, 'rejected-page',
                              'rejected')
    page = console.signed_in(new_page, embedded, consumer)
    console.goto_image(page, embedded.console, 'RegionOne', image_id)
    offers_accept = page.get_by_role('button', name='Accept').count() == 1
    says_producer_must = page.get_by_text(
        'ask that the image be re-shared with you').count() > 0
    assert offers_accept and not says_producer_must
