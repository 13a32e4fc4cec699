"""Every action is a plain form: the share / accept / remove story with
JavaScript disabled in the browser, in both scenarios, on the embedded
default."""

from tests.support import console_pages as console
from tests.support.console_pages import expect

NO_SCRIPT = {'java_script_enabled': False}


def test_share_accept_remove_without_javascript(embedded, new_page):
    producer = embedded.persona('producer')
    consumer = embedded.persona('consumer')
    colleague = embedded.persona('colleague')
    producer_api = embedded.api(producer)
    image_id = producer_api.create_image('no-js-image')
    other_id = producer_api.create_image('no-js-other')

    page = console.signed_in(new_page, embedded, producer, **NO_SCRIPT)
    assert page.locator('script[src$="console.js"]').count() == 1
    console.open_image(page, 'no-js-image')
    console.share_with_customer(page, consumer.project_id)
    console.expect_member(page, consumer.project_id, 'Pending Acceptance')
    # Scenario (a) on the embedded default: the other account's token.
    console.share_with_other_account(page, token=colleague.token)
    console.expect_member(page, colleague.project_id, 'Accepted')
    producer_api.add_member(other_id, consumer.project_id)

    other = console.signed_in(new_page, embedded, consumer, **NO_SCRIPT)
    console.expect_notice(other, 2)
    console.review(other)
    # No "Select all" box without the script; the checkboxes still work.
    expect(other.get_by_label('Select all')).to_have_count(0)
    console.review_row(other, 'no-js-image').get_by_role('checkbox').check()
    other.get_by_role('button', name='Accept selected').click()
    expect(console.flash(other)).to_have_text('1 image accepted.')
    console.expect_notice(other, 1)
    expect(console.image_row(other, 'no-js-image')).to_contain_text(
        'Shared Image')
    console.review(other)
    console.decide(other, 'no-js-other', 'Reject')
    console.expect_notice(other, 0)
    expect(console.image_row(other, 'no-js-other')).to_have_count(0)

    page.reload()
    console.expect_member(page, consumer.project_id, 'Accepted')

    console.open_image(other, 'no-js-image')
    console.remove_image(other)
    expect(console.image_row(other, 'no-js-image')).to_have_count(0)
    page.reload()
    console.expect_member(page, consumer.project_id, 'Rejected')
    console.remove_member(page, consumer.project_id)
    console.expect_member(page, consumer.project_id, None)
    assert producer_api.members(image_id) == {colleague.project_id:
                                              'accepted'}
