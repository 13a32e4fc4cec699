"""The seed's stories end to end, in a real browser, against a real
Keystone and two regions of the service (each serving the console): the
producer shares in both scenarios and sees each status; the consumer sees
the notice in All regions and in the image's region only, accepts, sees
"Shared Image", later removes it; the producer removes the member and
shares again; a revoked image is gone at the consumer's next page load.

Only these tests share images with the `consumer` and `consumer2` users'
projects, so the notice's counts are exact.
"""

import pytest

from tests.support import console_pages as console
from tests.support.console_pages import expect

ONE, TWO = 'RegionOne', 'RegionTwo'


@pytest.fixture(scope='module')
def cloud(two_regions):
    return two_regions


def console_url(cloud, region=ONE):
    return cloud.url(region) + '/console/'


def sign_in(new_page, cloud, user, region=ONE):
    page = new_page()
    console.sign_in_with_password(page, console_url(cloud, region), user,
                                  cloud.password(user))
    return page


def image_api(cloud, user, region, project=None):
    """The image API (/v2) of the region as `user`: glance-members' own,
    or beside an existing Glance, that Glance's
    (tests/browser/test_beside_glance.py)."""
    return cloud.image_api(user, region, project)


def test_the_producer_shares_in_both_scenarios(cloud, new_page):
    producer = image_api(cloud, 'producer', ONE)
    image_id = producer.create_image('story-both-scenarios')
    consumer2 = cloud.project_id('consumer2')
    outsider = cloud.project_id('outsider')

    page = sign_in(new_page, cloud, 'producer')
    expect(console.image_row(page, 'story-both-scenarios')).to_contain_text(
        'Mine')
    console.open_image(page, 'story-both-scenarios')
    expect(console.members_table(page)).to_contain_text(
        'This image is not shared with any project.')

    # (b) another customer's project id: Pending Acceptance.
    console.share_with_customer(page, outsider)
    console.expect_member(page, outsider, 'Pending Acceptance')
    assert producer.members(image_id) == {outsider: 'pending'}
    # The recipient check: a mistyped project id is refused, nothing
    # written.
    console.send_customer_form(page, outsider[:-1] + 'x')
    expect(page.get_by_role('alert')).to_contain_text(outsider[:-1] + 'x')
    assert producer.members(image_id) == {outsider: 'pending'}

    # (a) an account one has the credentials of, typed once: accepted.
    console.share_with_other_account(page, user='consumer2',
                                     password=cloud.password('consumer2'),
                                     project='consumer2')
    console.expect_member(page, consumer2, 'Accepted')
    console.expect_member(page, outsider, 'Pending Acceptance')
    assert producer.members(image_id) == {outsider: 'pending',
                                          consumer2: 'accepted'}
    assert image_id in image_api(cloud, 'consumer2', ONE).image_ids()
    # Credentials that do not sign in write nothing.
    console.share_with_other_account(
        page, user='outsider', password='wrong', project='outsider',
        outcome='The other account could not sign in')
    assert len(producer.members(image_id)) == 2


def test_own_project_share_is_accepted_at_once(cloud, new_page):
    """Scenario (a) for a user of two projects (the seed's test and
    production accounts): share from one to the other, accepted, and the
    image is in the other project's list."""
    test, prod = 'console-test', 'console-prod'
    ops = image_api(cloud, 'console_ops', ONE, test)
    image_id = ops.create_image('story-own-project')

    page = sign_in(new_page, cloud, 'console_ops')
    if page.get_by_label('Project', exact=True).input_value() != \
            cloud.project_id(test):
        switch_project(page, test)
    console.open_image(page, 'story-own-project')
    console.share_with_own_project(page, prod)
    console.expect_member(page, cloud.project_id(prod), 'Accepted')

    switch_project(page, prod)
    expect(console.image_row(page, 'story-own-project')).to_contain_text(
        'Shared Image')
    assert ops.members(image_id) == {cloud.project_id(prod): 'accepted'}


def switch_project(page, name):
    page.get_by_label('Project', exact=True).select_option(label=name)
    page.get_by_role('button', name='Switch project').click()
    expect(page.get_by_text('You now act for project %s.' % name)) \
        .to_be_visible()


def test_the_consumer_decides_and_the_producer_sees_it(cloud, new_page):
    consumer = cloud.project_id('consumer')
    one = image_api(cloud, 'producer', ONE)
    two = image_api(cloud, 'producer', TWO)
    image_id = one.create_image('story-region-one')

    producer = sign_in(new_page, cloud, 'producer')
    console.open_image(producer, 'story-region-one')
    console.share_with_customer(producer, consumer)

    # The notice: in All regions and in RegionOne, not in RegionTwo.
    page = sign_in(new_page, cloud, 'consumer')
    expect(page.get_by_label('Region')).to_have_value(console.ALL_REGIONS)
    console.expect_notice(page, 1)
    console.choose_region(page, ONE)
    console.expect_notice(page, 1)
    console.choose_region(page, TWO)
    console.expect_notice(page, 0)
    # A share in RegionTwo too: counted there and in All regions.
    two.add_member(two.create_image('story-region-two'), consumer)
    page.reload()
    console.expect_notice(page, 1)
    console.choose_region(page, console.ALL_REGIONS)
    console.expect_notice(page, 2)
    # Not accepted yet: not in the list (the seed's anti-spam).
    expect(console.image_row(page, 'story-region-one')).to_have_count(0)

    # Review from the notice: accept one, decide later on the other.
    console.review(page)
    expect(console.review_row(page, 'story-region-two')).to_contain_text(TWO)
    console.decide(page, 'story-region-one', 'Accept')
    console.expect_notice(page, 1)
    row = console.image_row(page, 'story-region-one')
    expect(row).to_contain_text('Shared Image')
    expect(row).to_contain_text(ONE)
    console.review(page)
    page.get_by_role('link', name='Decide later').click()
    console.expect_notice(page, 1)

    producer.reload()
    console.expect_member(producer, consumer, 'Accepted')

    # Remove Image: rejected after accepting, gone from the list.
    console.open_image(page, 'story-region-one')
    console.remove_image(page)
    expect(console.image_row(page, 'story-region-one')).to_have_count(0)
    producer.reload()
    console.expect_member(producer, consumer, 'Rejected')

    # The producer removes the member and shares again: pending again.
    console.remove_member(producer, consumer)
    console.expect_member(producer, consumer, None)
    console.share_with_customer(producer, consumer)
    console.expect_member(producer, consumer, 'Pending Acceptance')
    expect(page.get_by_label('Region')).to_have_value(ONE)
    console.expect_notice(page, 0)  # as loaded before the share
    page.reload()
    console.expect_notice(page, 1)
    console.images(page, console_url(cloud))  # All regions
    console.expect_notice(page, 2)

    # Accepted again, then revoked: gone at the next page load.
    console.review(page)
    console.decide(page, 'story-region-one', 'Accept')
    expect(console.image_row(page, 'story-region-one')).to_have_count(1)
    producer.reload()
    console.remove_member(producer, consumer)
    page.reload()
    expect(console.heading(page, 'Images')).to_be_visible()
    expect(console.image_row(page, 'story-region-one')).to_have_count(0)
    assert image_id not in image_api(cloud, 'consumer', ONE).image_ids()
