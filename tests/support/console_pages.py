"""Driving the console as a user does: role and label locators, one helper
per thing a user does, each waiting (Playwright's expect) for the page it
leads to. The test modules take Playwright's `expect` from here: without
Playwright they are skipped (failed under CI)."""

import os
import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # fail under CI, skip elsewhere (as tests/support does)
    if os.environ.get('CI'):
        raise
    pytest.skip('playwright is not installed: pip install -e ".[test]"',
                allow_module_level=True)

ALL_REGIONS = 'All regions'
# The limit for a page without images, all it loads included.
MAX_PAGE_BYTES = 100 * 1024


def heading(page, name):
    return page.get_by_role('heading', name=name, level=1)


def sign_in_with_token(page, console_url, token):
    """The embedded default's sign-in: a token the server printed."""
    page.goto(console_url)
    expect(heading(page, 'Sign in')).to_be_visible()
    page.get_by_label('Token', exact=True).fill(token)
    page.get_by_role('button', name='Sign in').click()
    expect(heading(page, 'Images')).to_be_visible()


def signed_in(new_page, embedded, persona, **context_options):
    """A new page (a context of its own) signed in as `persona` on the
    embedded default `embedded`."""
    page = new_page(**context_options)
    sign_in_with_token(page, embedded.console, persona.token)
    return page


def sign_in_with_password(page, console_url, user, password,
                          domain='Default'):
    """Keystone password sign-in."""
    page.goto(console_url)
    expect(heading(page, 'Sign in')).to_be_visible()
    page.get_by_label('User name').fill(user)
    page.get_by_label('Password').fill(password)
    page.get_by_label('Domain').fill(domain)
    page.get_by_role('button', name='Sign in').click()
    expect(heading(page, 'Images')).to_be_visible()


def sign_out(page):
    page.get_by_role('button', name='Sign out').click()
    expect(heading(page, 'Sign in')).to_be_visible()
    expect(page.get_by_role('status')).to_have_text('You have signed out.')


def images(page, console_url, region=None):
    """The Images page, for `region` (None: as the console opens it)."""
    page.goto(console_url + 'images' + (
        '' if region is None else '?region=' + region))
    expect(heading(page, 'Images')).to_be_visible()


def choose_region(page, region):
    """The region selector of a list page (a GET form)."""
    page.get_by_label('Region').select_option(region)
    page.get_by_role('button', name='Show').click()
    expect(page.get_by_label('Region')).to_have_value(region)


def images_table(page):
    return page.get_by_role('table', name=re.compile('^Your images'))


def image_row(page, name):
    """The row of image `name` in the Images table."""
    return images_table(page).get_by_role('row').filter(
        has=page.get_by_role('link', name=name, exact=True))


def notice(page):
    """The "N images have been shared with you" notice of Images."""
    return page.get_by_role('link', name=re.compile(
        r'been shared with you$'))


def expect_notice(page, count):
    """The Images page's notice says `count` (0: no notice at all)."""
    if count == 0:
        expect(notice(page)).to_have_count(0)
    else:
        expect(notice(page)).to_have_text('%d %s been shared with you' % (
            count, 'image has' if count == 1 else 'images have'))


def open_image(page, name):
    """From Images, the page of image `name`."""
    image_row(page, name).get_by_role('link', name=name,
                                      exact=True).click()
    expect(heading(page, name)).to_be_visible()


def goto_image(page, console_url, region, image_id):
    page.goto('%sregions/%s/images/%s' % (console_url, region, image_id))


def members_table(page):
    return page.get_by_role('table', name='Projects this image is shared '
                            'with')


def member_row(page, project_id):
    return members_table(page).get_by_role('row').filter(
        has=page.get_by_role('rowheader', name=project_id, exact=True))


def expect_member(page, project_id, status):
    """The Image Sharing table shows `project_id` with `status` (the
    seed's words: Accepted, Rejected, Pending Acceptance; None: no row)."""
    row = member_row(page, project_id)
    if status is None:
        expect(row).to_have_count(0)
    else:
        expect(row).to_contain_text(status)


def share_dialog(page):
    return page.get_by_role('region', name='Share Image')


def flash(page):
    """The page's status message (what a form did; the notice aside)."""
    return page.get_by_role('main').get_by_role('status').filter(
        has_not=page.get_by_role('link'))


def customer_form(page):
    """The dialog's form for another customer's project id."""
    return share_dialog(page).get_by_role(
        'group', name='Share with another customer')


def send_customer_form(page, project_id):
    """Type the id and send it: the console answers with whose project
    it is (or a refusal), before anything is shared."""
    form = customer_form(page)
    form.get_by_label('Project ID').fill(project_id)
    form.get_by_role('button', name='Share Image').click()
    page.wait_for_load_state()


def confirm_share(page, project_name=None):
    """The confirmation page: it names the project; Share Image."""
    expect(page.get_by_role('heading', level=1)).to_have_text(
        re.compile(r'^Share .* with %s\?$' % (
            re.escape(project_name) if project_name else '.*')))
    page.get_by_role('button', name='Share Image').click()


def share_with_customer(page, project_id, project_name=None):
    """Scenario (b): another customer's project id: Pending Acceptance."""
    send_customer_form(page, project_id)
    confirm_share(page, project_name)
    expect(flash(page)).to_contain_text('Pending Acceptance')


def share_with_own_project(page, project_name):
    """Scenario (a), one of the user's own projects: accepted at once."""
    dialog = share_dialog(page)
    dialog.get_by_label('Your project').select_option(label=project_name)
    dialog.get_by_role('group', name=re.compile(
        'another account you can act for')).get_by_role(
            'button', name='Share Image').click()
    expect(flash(page)).to_contain_text('accepted')


def other_account(page):
    """The dialog's form for an account one has the credentials (on the
    embedded default: a token) of."""
    return share_dialog(page).get_by_role('group').filter(
        has=page.get_by_label(re.compile(
            '^(Password|Token of the other account)$')))


def share_with_other_account(page, token=None, user=None, password=None,
                             project=None, domain='Default',
                             outcome='accepted'):
    """Scenario (a), the other account's credentials typed once (its
    token on the embedded default): accepted at once."""
    group = other_account(page)
    if token is not None:
        group.get_by_label('Token of the other account').fill(token)
    else:
        group.get_by_label('User name').fill(user)
        group.get_by_label('Password').fill(password)
        group.get_by_label('Domain').fill(domain)
        group.get_by_label('Project name').fill(project)
    group.get_by_role('button', name='Share Image').click()
    expect(page.get_by_role('main').get_by_role(
        'status' if outcome == 'accepted' else 'alert')).to_contain_text(
            outcome)


def remove_member(page, project_id):
    page.get_by_role('button', name='Remove project %s' % project_id).click()
    expect(flash(page)).to_contain_text('was removed from this image')


def review(page):
    """From Images, the notice's link: the review of pending shares."""
    notice(page).click()
    expect(heading(page, 'Images shared with you')).to_be_visible()


def review_row(page, name):
    return page.get_by_role('table', name=re.compile('pending share')) \
        .get_by_role('row').filter(has=page.get_by_role(
            'rowheader', name=name, exact=True))


def decide(page, name, button):
    """Accept or Reject `name` on the review page."""
    review_row(page, name).get_by_role('button', name=button).click()
    expect(flash(page)).to_contain_text(
        'accepted' if button == 'Accept' else 'rejected')


def remove_image(page):
    """A consumer's Remove Image, on the image's page: back to Images."""
    page.get_by_role('button', name='Remove Image').click()
    expect(heading(page, 'Images')).to_be_visible()
    expect(flash(page)).to_contain_text('removed from your list')
