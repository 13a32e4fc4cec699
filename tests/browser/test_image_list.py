"""A long image list in pages: 100 rows a page, Previous/Next keeping the
region; a full page is still under the weight limit and passes axe-core."""

import re

import pytest

from tests.support import console_pages as console
from tests.support.console_pages import expect
from tests.support import browser

IMAGES = 130


@pytest.fixture(scope='module')
def collector(embedded):
    persona = embedded.persona('collector')
    api = embedded.api(persona)
    for n in range(IMAGES):
        api.create_image('listed-%03d' % n, data=None)
    return persona


def rows(page):
    return console.images_table(page).locator('tbody').get_by_role('row')


def pager(page):
    return page.get_by_role('navigation', name='Pages of the image list')


def test_the_list_comes_in_pages(embedded, new_page, collector):
    page = console.signed_in(new_page, embedded, collector)
    expect(rows(page)).to_have_count(100)
    expect(pager(page)).to_contain_text(
        'Images 1 to 100 of %d (page 1 of 2)' % IMAGES)
    expect(pager(page).get_by_role('link', name='Previous page')) \
        .to_have_count(0)
    pager(page).get_by_role('link', name='Next page').click()
    expect(rows(page)).to_have_count(IMAGES - 100)
    expect(pager(page)).to_contain_text('(page 2 of 2)')
    seen = set(rows(page).get_by_role('link').all_inner_texts())
    pager(page).get_by_role('link', name='Previous page').click()
    seen |= set(rows(page).get_by_role('link').all_inner_texts())
    assert seen == {'listed-%03d' % n for n in range(IMAGES)}

    console.choose_region(page, 'RegionOne')
    expect(pager(page).get_by_role('link', name='Next page')) \
        .to_have_attribute('href', re.compile('region=RegionOne'))
    pager(page).get_by_role('link', name='Next page').click()
    expect(page.get_by_label('Region')).to_have_value('RegionOne')
    expect(rows(page)).to_have_count(IMAGES - 100)


def test_a_full_page_is_light_and_accessible(embedded, new_page, collector):
    page = console.signed_in(new_page, embedded, collector)
    weight = browser.page_weight(page, embedded.console + 'images',
                                 'images (100 rows)')
    expect(rows(page)).to_have_count(100)
    browser.axe_check(page, 'images (100 rows, pager)')
    assert weight <= console.MAX_PAGE_BYTES, weight
