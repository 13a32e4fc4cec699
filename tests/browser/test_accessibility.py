"""axe-core on every page of the console, with content on it (a notice,
pending shares, members, history, a flash message, an error): no serious or
critical violation. And every page without images weighs at most 100 KB,
everything it loads included."""

import pytest

from tests.support import console_pages as console
from tests.support.console_pages import expect
from tests.support import browser


class Scene:
    """A producer with shared images, a consumer with pending and accepted
    shares and a trusted producer."""

    def __init__(self, embedded):
        self.embedded = embedded
        self.producer = embedded.persona('producer')
        self.consumer = embedded.persona('consumer')
        api = embedded.api(self.producer)
        self.image_id = embedded.share(
            self.producer, self.consumer, 'a11y-shared', 'accepted',
            os_distro='debian', description='Bookworm, minimal')
        for n in range(3):
            embedded.share(self.producer, self.consumer, 'a11y-pending-%d' % n)
        api.add_member(self.image_id, embedded.persona('other').project_id)
        embedded.api(self.consumer).call(
            'PUT', '/sharing/v1/trusted-producers/' + 'f' * 32)

    def image(self):
        return 'regions/RegionOne/images/' + self.image_id


@pytest.fixture(scope='module')
def scene(embedded):
    return Scene(embedded)


# (page name, who, path, heading)
PAGES = [
    ('images (notice)', 'consumer', 'images', 'Images'),
    ('review', 'consumer', 'review', 'Images shared with you'),
    ('image (owner, share dialog)', 'producer', 'IMAGE', 'a11y-shared'),
    ('image (consumer)', 'consumer', 'IMAGE', 'a11y-shared'),
    ('batch', 'producer', 'batch', 'Share in batch'),
    ('trusted producers', 'consumer', 'trusted-producers',
     'Trusted producers'),
    ('history', 'producer', 'IMAGE/history', 'Sharing history of a11y-shared'),
    ('error (404)', 'producer', 'regions/Nowhere/images/x', 'Not found'),
]


@pytest.mark.parametrize('name,who,path,title', PAGES,
                         ids=[p[0] for p in PAGES])
def test_page(scene, new_page, name, who, path, title):
    page = console.signed_in(new_page, scene.embedded, getattr(scene, who))
    browser.allow_console(page, 'status of 404')
    url = scene.embedded.console + path.replace('IMAGE', scene.image())
    weight = browser.page_weight(page, url, name)
    expect(console.heading(page, title)).to_be_visible()
    browser.axe_check(page, name)
    assert weight <= console.MAX_PAGE_BYTES, '%s: %d bytes' % (name, weight)


def test_sign_in_page(scene, new_page):
    page = new_page()
    weight = browser.page_weight(page, scene.embedded.console, 'sign-in')
    expect(console.heading(page, 'Sign in')).to_be_visible()
    browser.axe_check(page, 'sign-in')
    assert weight <= console.MAX_PAGE_BYTES, weight


def test_messages_and_errors(scene, new_page):
    """A form's outcome (status) and the API's refusal (alert), as they
    show on the page they come back to."""
    page = console.signed_in(new_page, scene.embedded, scene.producer)
    page.goto(scene.embedded.console + scene.image())
    console.share_with_customer(page, scene.embedded.persona(
        'late').project_id)
    browser.axe_check(page, 'image (after a share)')
    console.send_customer_form(page, 'x' * 300)
    expect(page.get_by_role('alert')).to_be_visible()
    browser.axe_check(page, 'image (an API error)')
    # A project shared with already: the API's 409, in its own words.
    console.send_customer_form(page, scene.consumer.project_id)
    browser.axe_check(page, 'share confirmation')
    console.confirm_share(page)
    expect(page.get_by_role('alert')).to_contain_text(
        scene.consumer.project_id)
    expect(page.get_by_role('alert')).not_to_contain_text('Traceback')


# Lines each button's label takes, and its number of words.
BUTTON_LINES = '''buttons => buttons.map(button => {
    const range = document.createRange();
    range.selectNodeContents(button);
    const lines = new Set(Array.from(range.getClientRects(),
                                     rect => Math.round(rect.top)));
    const label = button.textContent.trim();
    return [label, lines.size, label.split(/\\s+/).length];
})'''


@pytest.mark.parametrize('width', [1280, 800])
def test_button_labels_never_break_inside_a_word(scene, new_page, width):
    page = console.signed_in(new_page, scene.embedded, scene.producer,
                             viewport={'width': width, 'height': 800})
    page.goto(scene.embedded.console + scene.image())
    broken = [(label, lines) for label, lines, words in page.get_by_role(
        'main').get_by_role('button').evaluate_all(BUTTON_LINES)
        if lines > words]
    assert not broken, 'labels broken across lines: %s' % broken
