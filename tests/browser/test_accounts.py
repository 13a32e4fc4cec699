"""The seed: image sharing is account to account. Any user of the
producer's project can share any of its images, not only the ones they
made; an image one user of the consumer's project accepts is in the list
of every user of that project."""

from tests.support import console_pages as console
from tests.support.console_pages import expect


def test_sharing_is_account_to_account(embedded, new_page):
    maker = embedded.persona('maker', 'producer-account')
    sharer = embedded.colleague(maker, 'sharer')
    acceptor = embedded.persona('acceptor', 'consumer-account')
    colleague = embedded.colleague(acceptor, 'colleague')
    image_id = embedded.api(maker).create_image('made-by-maker')

    page = console.signed_in(new_page, embedded, sharer)
    expect(console.image_row(page, 'made-by-maker')).to_contain_text('Mine')
    console.open_image(page, 'made-by-maker')
    console.share_with_customer(page, acceptor.project_id)

    page = console.signed_in(new_page, embedded, acceptor)
    console.review(page)
    console.decide(page, 'made-by-maker', 'Accept')

    page = console.signed_in(new_page, embedded, colleague)
    console.expect_notice(page, 0)
    expect(console.image_row(page, 'made-by-maker')).to_contain_text(
        'Shared Image')
    assert embedded.api(maker).members(image_id) == {
        acceptor.project_id: 'accepted'}
