"""The console from a 320 px phone to a wide screen: no page scrolls
sideways (a wide table scrolls inside its own box), every control is a
target of at least 24 x 24 CSS pixels, ids are read whole, axe-core is
clean at 390 and 1,280 px; names where a person reads an id."""

import pytest

from tests.support import console_pages as console
from tests.support.console_pages import expect
from tests.support import browser

WIDTHS = (320, 390, 1280)
# The story's member id: a long one, as Glance allows (255 characters).
LONG_MEMBER = 'f' * 64
# What the page's width and its small targets are, measured in the page.
MEASURE = '''() => {
  const small = [];
  for (const el of document.querySelectorAll(
      'button, select, input:not([type=hidden]), nav a, .pager a')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not shown
    if (box.width < 24 || box.height < 24)
      small.push(el.outerHTML.slice(0, 80) + ' ' + box.width + 'x'
                 + box.height);
  }
  return {page: document.documentElement.scrollWidth,
          view: document.documentElement.clientWidth, small: small};
}'''


@pytest.fixture(scope='module')
def story(embedded):
    """A producer sharing with a consumer (one share pending, one
    rejected, one accepted) and with a long member id."""
    producer = embedded.persona('responsive-producer', 'design-studio')
    consumer = embedded.persona('responsive-consumer', 'render-farm')
    owned = embedded.share(producer, consumer, 'shared-and-accepted',
                           'accepted')
    embedded.api(producer).add_member(owned, LONG_MEMBER)
    embedded.share(producer, consumer, 'waiting-for-a-decision')
    embedded.share(producer, consumer, 'rejected-once', 'rejected')
    return producer, consumer, owned


def pages_of(embedded, story):
    producer, consumer, owned = story
    image = '%sregions/RegionOne/images/%s' % (embedded.console, owned)
    return ((consumer, 'images', embedded.console + 'images'),
            (consumer, 'review', embedded.console + 'review'),
            (consumer, 'trusted producers',
             embedded.console + 'trusted-producers'),
            (producer, 'image sharing', image),
            (producer, 'history', image + '/history'),
            (producer, 'batch', embedded.console + 'batch'))


def check_fits(page, name, width):
    measured = page.evaluate(MEASURE)
    assert measured['page'] <= measured['view'], (
        '%s at %d px: the page is %d px wide'
        % (name, width, measured['page']))
    assert not measured['small'], (name, width, measured['small'])


@pytest.mark.parametrize('width', WIDTHS)
def test_no_page_scrolls_sideways_and_targets_are_large(
        embedded, story, new_page, width):
    signed_in = {}
    for persona, name, url in pages_of(embedded, story):
        page = signed_in.get(persona.name)
        if page is None:
            page = console.signed_in(
                new_page, embedded, persona,
                viewport={'width': width, 'height': 800})
            signed_in[persona.name] = page
        page.goto(url)
        check_fits(page, name, width)
        if width in (390, 1280):
            browser.axe_check(page, '%s at %d px' % (name, width))


def test_names_and_whole_ids_on_a_phone(embedded, story, new_page):
    producer, consumer, owned = story
    page = console.signed_in(new_page, embedded, consumer,
                             viewport={'width': 390, 'height': 844})
    page.goto(embedded.console + 'review')
    row = console.review_row(page, 'waiting-for-a-decision')
    expect(row.get_by_role('cell', name='design-studio')).to_have_count(1)
    # The consumer accepts the share it rejected, from the Rejected list.
    rejected = page.get_by_role('table', name='Rejected')
    rejected.get_by_role('button', name='Accept rejected-once').click()
    expect(console.flash(page)).to_contain_text('1 image accepted')
    expect(console.image_row(page, 'rejected-once')).to_contain_text(
        'design-studio')

    page = console.signed_in(new_page, embedded, producer,
                             viewport={'width': 390, 'height': 844})
    console.goto_image(page, embedded.console, 'RegionOne', owned)
    member = console.member_row(page, consumer.project_id)
    expect(member).to_contain_text('render-farm')
    # A 32-character project id is one line, not six.
    code = member.locator('code').first
    height = code.evaluate('e => e.getBoundingClientRect().height')
    line = code.evaluate('e => parseFloat(getComputedStyle(e).lineHeight) '
                         '|| 24')
    assert height < 2 * line, (height, line)
