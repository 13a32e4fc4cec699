"""Hostile text (image names and properties, user and project names) is
shown as text on every page it reaches: no markup, no script, no broken
attribute, no console error; the CSP refuses inline script anyway."""

import pytest

from tests.support import console_pages as console
from tests.support.console_pages import expect
from tests.support import browser

# Each payload sets window.__pwned if it ever runs.
NAMES = [
    '<script>window.__pwned=1</script>',
    '<img src=x onerror="window.__pwned=1">',
    '" onmouseover="window.__pwned=1" data-x="',
    "' onfocus='window.__pwned=1' autofocus x='",
    '</bdi></a></th><svg onload="window.__pwned=1">',
    '\u202egnp.exe evil \u202d mixed \u2066isolates',  # RTL override
    '{{ 7*7 }} {% raw %} ${7*7}',  # template syntax stays text
]
# The API refuses 4-byte characters in image names and properties, as
# Glance does; user and project names (the token file's, Keystone's) may.
ASTRAL = '\U0001F4E6 \U0001D54F\U0001D560 \U00020BB7 4-byte'
LONG = 'W' * 9990 + '<b>long</b>'  # 10,001 characters, as a property


def assert_inert(page):
    """Nothing ran, nothing was parsed into markup, nothing complained."""
    for name in NAMES:
        text = page.get_by_text(name, exact=True)
        if text.count():
            text.first.hover()  # an attribute breaker's onmouseover
    assert page.evaluate('window.__pwned') is None
    main = page.get_by_role('main')
    assert main.locator('script, img, svg, b').count() == 0
    browser.assert_clean(page)


@pytest.fixture(scope='module')
def hostile(embedded):
    """A producer and a consumer whose user and project names are hostile
    too; an image per hostile name shared with the consumer (the first
    accepted), one with a 10,000-character property."""
    producer = embedded.persona(NAMES[1] + ASTRAL)
    consumer = embedded.persona(NAMES[2] + ASTRAL + LONG)
    ids = {name: embedded.share(producer, consumer, name,
                                'accepted' if name == NAMES[0] else None,
                                description=LONG, os_distro=NAMES[0])
           for name in NAMES}
    return producer, consumer, ids


def test_the_producer_pages_show_hostile_names_as_text(
        embedded, new_page, hostile):
    producer, consumer, ids = hostile
    page = console.signed_in(new_page, embedded, producer)
    expect(page.get_by_text(producer.name, exact=True).first).to_be_visible()
    for name in NAMES:
        expect(console.image_row(page, name)).to_have_count(1)
    assert_inert(page)
    for name in NAMES:
        console.goto_image(page, embedded.console, 'RegionOne', ids[name])
        expect(console.heading(page, name)).to_be_visible()
        expect(page.get_by_role('row', name='description')) \
            .to_contain_text(LONG)
        console.expect_member(page, consumer.project_id,
                              'Accepted' if name == NAMES[0]
                              else 'Pending Acceptance')
        assert_inert(page)
    page.get_by_role('link', name='Sharing history of this image').click()
    expect(console.heading(page, 'Sharing history of ' + NAMES[-1])) \
        .to_be_visible()
    assert_inert(page)
    page.get_by_role('link', name='Share in batch').click()
    for name in NAMES:
        expect(page.get_by_label(name, exact=True)).to_have_count(1)
    assert_inert(page)


def test_the_consumer_pages_show_hostile_names_as_text(
        embedded, new_page, hostile):
    producer, consumer, ids = hostile
    page = console.signed_in(new_page, embedded, consumer)
    expect(page.get_by_text(consumer.name, exact=True).first).to_be_visible()
    console.expect_notice(page, len(NAMES) - 1)
    expect(console.image_row(page, NAMES[0])).to_contain_text(
        'Shared Image')
    assert_inert(page)
    console.review(page)
    for name in NAMES[1:]:
        expect(console.review_row(page, name)).to_have_count(1)
    assert_inert(page)
    console.goto_image(page, embedded.console, 'RegionOne', ids[NAMES[0]])
    expect(console.heading(page, NAMES[0])).to_be_visible()
    assert_inert(page)


def test_the_csp_refuses_inline_script(embedded, new_page):
    """Were anything to slip through, the policy would not run it; and the
    page watch reports the violation."""
    page = new_page()
    page.goto(embedded.console)
    with page.expect_console_message(
            lambda message: 'Content Security Policy' in message.text):
        page.evaluate('''() => {
            const script = document.createElement('script');
            script.textContent = 'window.__pwned = 1';
            document.body.append(script);
        }''')
    assert page.evaluate('window.__pwned') is None
    with pytest.raises(AssertionError, match='Content Security Policy'):
        browser.assert_clean(page)
    browser.allow_console(page, 'Content Security Policy|CSP violation')


def test_the_check_catches_what_it_looks_for(new_page):
    """assert_inert fails on a page that did let a payload through."""
    page = new_page()
    page.set_content('<main><p>%s</p></main>' % NAMES[1])
    page.wait_for_function('window.__pwned === 1')
    with pytest.raises(AssertionError):
        assert_inert(page)


def test_hostile_project_ids_typed_into_the_share_dialog(
        embedded, new_page):
    """A member id is any string to the API: typed into Share Image, it
    comes back in the refusal (no project has it: nothing is sent); shared
    through the API anyway (as Glance allows), it comes back in the table
    and a button's aria-label."""
    producer = embedded.persona('typist')
    image_id = embedded.api(producer).create_image('typed-ids')
    page = console.signed_in(new_page, embedded, producer)
    console.goto_image(page, embedded.console, 'RegionOne', image_id)
    for name in NAMES:
        console.send_customer_form(page, name)
        expect(page.get_by_role('alert')).to_contain_text(
            'Nothing was shared: check the id.')
        expect(page.get_by_role('alert')).to_contain_text(name)
        assert_inert(page)
        embedded.api(producer).add_member(image_id, name)
    page.reload()
    for name in NAMES:
        console.expect_member(page, name, 'Pending Acceptance')
    assert_inert(page)
    console.remove_member(page, NAMES[2])
    console.expect_member(page, NAMES[2], None)
    assert_inert(page)
    assert set(embedded.api(producer).members(image_id)) == \
        set(NAMES) - {NAMES[2]}


def test_the_console_refuses_to_be_framed(embedded, new_page):
    """frame-ancestors 'none': no other page can overlay it (clickjacking)."""
    page = new_page()
    browser.allow_console(page, 'frame-ancestors|Refused to (display|frame)')
    page.set_content('<iframe src="%s" title="framed"></iframe>'
                     % embedded.console)
    framed, = page.main_frame.child_frames
    expect(framed.get_by_role('heading', name='Sign in')).to_have_count(0)
    assert not framed.url.startswith(embedded.url)


def test_a_member_id_shaped_like_a_path_removes_only_itself(
        embedded, new_page):
    """Issue 25: a member `../../<W>/members/<C>` on image V. Its Remove
    button, clicked in Chromium, removes that member of V and nothing of
    image W (the id was built into the form's action unencoded)."""
    producer = embedded.persona('path-producer')
    consumer = embedded.persona('path-consumer')
    api = embedded.api(producer)
    victim = embedded.share(producer, consumer, 'path-victim')
    bait = api.create_image('path-bait')
    hostile = '../../%s/members/%s' % (victim, consumer.project_id)
    api.add_member(bait, hostile)
    page = console.signed_in(new_page, embedded, producer)
    console.goto_image(page, embedded.console, 'RegionOne', bait)
    console.remove_member(page, hostile)
    console.expect_member(page, hostile, None)
    assert api.members(bait) == {}
    assert api.members(victim) == {consumer.project_id: 'pending'}
