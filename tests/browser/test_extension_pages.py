"""The pages of the sharing extension, used as a user would: batch share
and revoke (with the script's "Select all"), trusted producers, a share's
expiry, Leave, and the image's history telling all of it. Checked through
the API after each step."""

import re

from tests.support import console_pages as console
from tests.support.console_pages import expect


def test_batch_share_and_revoke(embedded, new_page):
    producer = embedded.persona('batcher')
    consumers = [embedded.persona('batch-a'), embedded.persona('batch-b')]
    api = embedded.api(producer)
    ids = [api.create_image('batch-%d' % n) for n in range(3)]
    page = console.signed_in(new_page, embedded, producer)
    page.get_by_role('link', name='Share in batch').click()
    expect(console.heading(page, 'Share in batch')).to_be_visible()
    images = page.get_by_role('group', name='Images')
    page.get_by_label('Select all').check()  # console.js
    for n in range(3):
        expect(images.get_by_label('batch-%d' % n)).to_be_checked()
    images.get_by_label('batch-2').uncheck()
    page.get_by_label('Project IDs (one per line)').fill(
        '\n'.join(c.project_id for c in consumers))
    page.get_by_label(re.compile('^Expires on')).fill('2031-01-31')
    page.get_by_role('button', name='Share', exact=True).click()
    expect(console.flash(page)).to_contain_text('Done: 4')
    for image_id in ids[:2]:
        assert api.members(image_id) == {c.project_id: 'pending'
                                         for c in consumers}
    assert api.members(ids[2]) == {}

    images.get_by_label('batch-0').check()
    page.get_by_label('Project IDs (one per line)').fill(
        consumers[0].project_id)
    page.get_by_role('button', name='Revoke').click()
    expect(console.flash(page)).to_contain_text('Done: 1')
    assert api.members(ids[0]) == {consumers[1].project_id: 'pending'}

    console.goto_image(page, embedded.console, 'RegionOne', ids[0])
    expect(console.member_row(page, consumers[1].project_id).get_by_label(
        'Expires on')).to_have_value('2031-01-31')


def test_trusted_producer_shares_arrive_accepted(embedded, new_page):
    producer = embedded.persona('trusted')
    consumer = embedded.persona('truster')
    api = embedded.api(producer)
    waiting = embedded.share(producer, consumer, 'trust-waiting')

    page = console.signed_in(new_page, embedded, consumer)
    console.expect_notice(page, 1)
    page.get_by_role('link', name='Trusted producers').click()
    expect(page.get_by_role('table', name=re.compile('Projects you trust'))) \
        .to_contain_text('You trust no producer yet.')
    page.get_by_label('Project ID').fill(producer.project_id)
    page.get_by_label('Also accept the images it already shared with you') \
        .check()
    page.get_by_role('button', name='Trust producer').click()
    expect(console.flash(page)).to_contain_text('1 pending share was '
                                                'accepted')
    assert api.members(waiting) == {consumer.project_id: 'accepted'}
    later = embedded.share(producer, consumer, 'trust-later')
    assert api.members(later) == {consumer.project_id: 'accepted'}
    console.images(page, embedded.console)
    console.expect_notice(page, 0)
    for name in ('trust-waiting', 'trust-later'):
        expect(console.image_row(page, name)).to_contain_text('Shared Image')

    page.get_by_role('link', name='Trusted producers').click()
    page.get_by_role('button', name='Remove trust in %s'
                     % producer.project_id).click()
    expect(console.flash(page)).to_contain_text('will wait for your '
                                                'decision again')
    embedded.share(producer, consumer, 'trust-after')
    console.images(page, embedded.console)
    console.expect_notice(page, 1)


def test_expiry_leave_and_history(embedded, new_page):
    producer = embedded.persona('historian')
    consumer = embedded.persona('leaver')
    api = embedded.api(producer)
    image_id = embedded.share(producer, consumer, 'history-image',
                              'accepted')

    page = console.signed_in(new_page, embedded, producer)
    console.goto_image(page, embedded.console, 'RegionOne', image_id)
    row = console.member_row(page, consumer.project_id)
    row.get_by_label('Expires on').fill('2030-06-15')
    row.get_by_role('button', name='Set expiry').click()
    expect(console.flash(page)).to_contain_text('expires on 2030-06-15')
    expect(console.member_row(page, consumer.project_id).get_by_label(
        'Expires on')).to_have_value('2030-06-15')

    other = console.signed_in(new_page, embedded, consumer)
    console.open_image(other, 'history-image')
    other.get_by_role('button', name='Leave').click()
    expect(console.heading(other, 'Images')).to_be_visible()
    expect(console.flash(other)).to_contain_text('You left this share.')
    expect(console.image_row(other, 'history-image')).to_have_count(0)
    assert api.members(image_id) == {}

    page.get_by_role('link', name='Sharing history of this image').click()
    history = page.get_by_role('table', name=re.compile('newest first'))
    rows = history.get_by_role('row').filter(has_text=consumer.project_id)
    expect(rows).to_have_count(4)  # added, accepted, expiry set, left
    expect(rows.first).to_contain_text('2030-06-15')
