"""Keyboard only: sign in, share (the Share Image dialog filled and sent
with Tab, typing and Enter) and accept, never touching the mouse."""

from tests.support import console_pages as console
from tests.support.console_pages import expect

MAX_TABS = 150


def tab_to(page, locator):
    """Press Tab until `locator` has the focus (fail after MAX_TABS)."""
    for _ in range(MAX_TABS):
        page.keyboard.press('Tab')
        if locator.evaluate('element => element === document.activeElement'):
            return
    raise AssertionError('Tab never reached %s' % locator)


def test_skip_link_comes_first(embedded, new_page):
    page = console.signed_in(new_page, embedded, embedded.persona('skipper'))
    page.keyboard.press('Tab')
    skip = page.get_by_role('link', name='Skip to content')
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()  # shown when focused
    page.keyboard.press('Enter')
    expect(page.get_by_role('main')).to_be_focused()


def test_share_and_accept_by_keyboard_only(embedded, new_page):
    producer = embedded.persona('producer')
    consumer = embedded.persona('consumer')
    image_id = embedded.api(producer).create_image('keyboard-image')

    page = new_page()
    page.goto(embedded.console)
    tab_to(page, page.get_by_label('Token', exact=True))
    page.keyboard.type(producer.token)
    page.keyboard.press('Enter')
    expect(console.heading(page, 'Images')).to_be_visible()
    tab_to(page, page.get_by_role('link', name='keyboard-image'))
    page.keyboard.press('Enter')
    expect(console.heading(page, 'keyboard-image')).to_be_visible()
    tab_to(page, console.share_dialog(page).get_by_label('Project ID'))
    page.keyboard.type(consumer.project_id)
    page.keyboard.press('Enter')
    # Whose project it is, then Share Image on the confirmation.
    tab_to(page, page.get_by_role('button', name='Share Image'))
    page.keyboard.press('Enter')
    expect(console.flash(page)).to_contain_text('Pending Acceptance')
    console.expect_member(page, consumer.project_id, 'Pending Acceptance')

    other = new_page()
    other.goto(embedded.console)
    tab_to(other, other.get_by_label('Token', exact=True))
    other.keyboard.type(consumer.token)
    other.keyboard.press('Enter')
    tab_to(other, console.notice(other))
    other.keyboard.press('Enter')
    expect(console.heading(other, 'Images shared with you')).to_be_visible()
    tab_to(other, console.review_row(other, 'keyboard-image').get_by_role(
        'button', name='Accept'))
    other.keyboard.press('Enter')
    expect(console.flash(other)).to_have_text('1 image accepted.')
    assert embedded.api(producer).members(image_id) == {
        consumer.project_id: 'accepted'}
