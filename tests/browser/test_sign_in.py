"""Sign-in on the embedded default, as a newcomer does it: the tokens
`glance-members serve` printed; the session cookie and sign-out."""

import pytest

from tests.support import console_pages as console
from tests.support.console_pages import expect
from tests.support import browser


@pytest.mark.parametrize('name', ['admin', 'producer', 'consumer'])
def test_a_printed_token_signs_in(embedded, new_page, name):
    page = new_page()
    console.sign_in_with_token(page, embedded.console,
                               embedded.printed[name].token)
    expect(page.get_by_text('Signed in as %s, project %s' % (name, name))) \
        .to_be_visible()
    expect(console.images_table(page)).to_be_visible()


def test_a_wrong_token_is_refused(embedded, new_page):
    page = new_page()
    browser.allow_console(page, 'status of 401')
    page.goto(embedded.console)
    page.get_by_label('Token', exact=True).fill('gm-not-a-token')
    page.get_by_role('button', name='Sign in').click()
    expect(page.get_by_role('alert')).to_have_text('This token is not valid.')
    expect(console.heading(page, 'Sign in')).to_be_visible()
    assert not [c for c in page.context.cookies()
                if c['name'] == 'gm_console_session']


def test_the_browser_holds_only_a_session_cookie(embedded, new_page):
    token = embedded.persona('cookie').token
    page = new_page()
    visited = []
    page.on('framenavigated', lambda frame: visited.append(frame.url))
    console.sign_in_with_token(page, embedded.console, token)
    session, = [c for c in page.context.cookies()
                if c['name'] == 'gm_console_session']
    assert session['httpOnly'] and session['sameSite'] in ('Lax', 'Strict')
    assert not session['secure']  # plain HTTP here: Secure under HTTPS only
    assert token not in session['value']
    assert token not in page.content()
    assert not [url for url in visited if token in url]
    assert page.evaluate('document.cookie') == ''  # HttpOnly: JS sees none


def test_a_copied_session_cookie_dies_with_sign_out(embedded, new_page):
    page = console.signed_in(new_page, embedded, embedded.persona('copied'))
    stolen = page.context.cookies()
    thief = new_page()  # another browser context: another cookie jar
    thief.context.add_cookies(stolen)
    console.images(thief, embedded.console)  # works while signed in

    console.sign_out(page)
    for late in (thief, new_page()):
        late.context.add_cookies(stolen)
        late.goto(embedded.console + 'images')
        expect(console.heading(late, 'Sign in')).to_be_visible()
        expect(late.get_by_role('status')).to_have_text(
            'Your session has ended. Please sign in again.')


def test_every_page_needs_a_session(embedded, new_page):
    page = new_page()
    for path in ('images', 'review', 'batch', 'trusted-producers',
                 'regions/RegionOne/images/%s' % ('0' * 32)):
        page.goto(embedded.console + path)
        expect(console.heading(page, 'Sign in')).to_be_visible()


def test_a_revoked_token_returns_to_sign_in(embedded, new_page):
    """An API 401 (the token left the token file) ends the session at the
    next page load."""
    persona = embedded.persona('revoked')
    page = console.signed_in(new_page, embedded, persona)
    embedded.revoke(persona)
    page.reload()
    expect(console.heading(page, 'Sign in')).to_be_visible()
    expect(page.get_by_role('status')).to_have_text(
        'Your session has ended. Please sign in again.')


def test_two_sign_in_tabs_do_not_spoil_each_other(embedded, new_page):
    """Sign-in pages opened in two tabs of one browser: the older one
    still signs in."""
    first = new_page()
    first.goto(embedded.console)
    second = first.context.new_page()
    second.goto(embedded.console)
    first.get_by_label('Token', exact=True).fill(
        embedded.persona('tabs').token)
    first.get_by_role('button', name='Sign in').click()
    expect(console.heading(first, 'Images')).to_be_visible()
