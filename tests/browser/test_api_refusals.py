"""The API's refusals as the console shows them: plain messages in the
API's own words on the page the form came from (or an error page for a
GET), never a trace; nothing written."""

import re
import uuid

from tests.support import console_pages as console
from tests.support.console_pages import expect
from tests.support import browser


def expect_plain_alert(page, text):
    alert = page.get_by_role('alert')
    expect(alert).to_contain_text(text)
    expect(alert).not_to_contain_text(re.compile('Traceback|File "'))


def test_forbidden_decision(embedded, new_page):
    """403: a reader of the consumer project may not accept."""
    producer = embedded.persona('forbidding')
    reader = embedded.persona('reader', roles=('reader',))
    image_id = embedded.share(producer, reader, 'forbidden-accept')
    page = console.signed_in(new_page, embedded, reader)
    console.review(page)
    console.review_row(page, 'forbidden-accept').get_by_role(
        'button', name='Accept').click()
    expect_plain_alert(page, re.compile('not (allowed|authorized|permitted)',
                                        re.I))
    assert embedded.api(producer).members(image_id) == {
        reader.project_id: 'pending'}


def test_over_the_member_quota(embedded, new_page):
    """413: more members than image_member_quota (128)."""
    producer = embedded.persona('quota')
    api = embedded.api(producer)
    image_id = api.create_image('quota-image')
    for _ in range(2):  # a batch takes 100 members at most
        api.call('POST', '/sharing/v1/shares', json={
            'images': [image_id],
            'members': [uuid.uuid4().hex for _ in range(64)]})
    before = api.members(image_id)
    assert len(before) == 128
    page = console.signed_in(new_page, embedded, producer)
    page.get_by_role('link', name='Share in batch').click()
    page.get_by_label('quota-image').check()
    page.get_by_label('Project IDs (one per line)').fill(
        uuid.uuid4().hex)
    page.get_by_role('button', name='Share', exact=True).click()
    expect_plain_alert(page, re.compile('quota|limit|exceed', re.I))
    assert api.members(image_id) == before


def test_missing_image(embedded, new_page):
    page = console.signed_in(new_page, embedded, embedded.persona('lost'))
    browser.allow_console(page, 'status of 404')
    console.goto_image(page, embedded.console, 'RegionOne',
                       str(uuid.uuid4()))
    expect(console.heading(page, 'Not found')).to_be_visible()
    expect_plain_alert(page, re.compile('image', re.I))
