"""The README's screenshots of the console, taken in Debian's Chromium
(1280x800 viewport) on a fresh embedded default with a little story in it:

    python -m tests.browser.screenshots [--out doc]

writes console-sign-in.png, console-images.png (the notice),
console-review.png, console-image-sharing.png (the Image Sharing table) and
console-share-image.png (the Share Image dialog), then the images, review
and Image Sharing pages on a 390x844 phone (console-*-phone.png).
test_screenshots.py runs it into a temporary directory, so it keeps
working.
"""

import argparse
import os
import pathlib
import shutil
import sys
import tempfile

from tests.support import console_pages as console
from tests.support import embedded as embedded_server
from tests.support import browser as browser_support

VIEWPORT = {'width': 1280, 'height': 800}
PHONE = {'width': 390, 'height': 844}
FILES = ('console-sign-in.png', 'console-images.png', 'console-review.png',
         'console-image-sharing.png', 'console-share-image.png',
         'console-images-phone.png', 'console-review-phone.png',
         'console-image-sharing-phone.png')


def stage(embedded):
    """Department A shares images with department B and others; B has its
    own images, one accepted share and three waiting."""
    alice = embedded.persona('alice', 'department-a')
    bob = embedded.persona('bob', 'department-b')
    hobbyists = embedded.persona('carol', 'exotic-os-users')
    a, b, h = (embedded.api(p) for p in (alice, bob, hobbyists))
    for name in ('ci-runner-2026.11', 'postgres-16-tuned'):
        b.create_image(name, data=b'\0' * 3 * 1024 * 1024)
    golden = a.create_image('debian-12-hardened',
                            data=b'\0' * 5 * 1024 * 1024,
                            os_distro='debian', os_version='12',
                            description='CIS level 1, cloud-init, no '
                                        'password logins')
    for name in ('build-agent-2026.12', 'windows-2022-sql'):
        a.add_member(a.create_image(name, data=b'\0' * 2 * 1024 * 1024),
                     bob.project_id)
    a.add_member(golden, bob.project_id)
    b.set_status(golden, bob.project_id, 'accepted')
    for persona, status in ((hobbyists, 'rejected'),
                            (embedded.persona('dave', 'qa'), None)):
        a.add_member(golden, persona.project_id)
        if status:
            embedded.api(persona).set_status(golden, persona.project_id,
                                             status)
    h.add_member(h.create_image('exotic-os-1.2', data=b'\0' * 1024 * 1024),
                 bob.project_id)
    return alice, bob, golden


def scroll_to(page, locator):
    locator.evaluate('element => element.scrollIntoView()')


def take(browser, embedded, out_dir):
    """The screenshots, into out_dir; their paths."""
    alice, bob, golden = stage(embedded)
    paths = [os.path.join(out_dir, name) for name in FILES]
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(embedded.console)
        page.get_by_label('Token', exact=True).fill(bob.token)
        page.screenshot(path=paths[0])
        page.get_by_role('button', name='Sign in').click()
        console.expect_notice(page, 3)
        page.screenshot(path=paths[1])
        console.review(page)
        page.screenshot(path=paths[2])

        page = context.browser.new_context(viewport=VIEWPORT).new_page()
        console.sign_in_with_token(page, embedded.console, alice.token)
        console.open_image(page, 'debian-12-hardened')
        scroll_to(page, page.get_by_role('heading', name='Image Sharing'))
        page.screenshot(path=paths[3])
        scroll_to(page, console.share_dialog(page))
        page.screenshot(path=paths[4])
        page.context.close()

        page = context.browser.new_context(viewport=PHONE).new_page()
        console.sign_in_with_token(page, embedded.console, bob.token)
        page.screenshot(path=paths[5])
        console.review(page)
        page.screenshot(path=paths[6])
        page.context.close()
        page = context.browser.new_context(viewport=PHONE).new_page()
        console.sign_in_with_token(page, embedded.console, alice.token)
        console.open_image(page, 'debian-12-hardened')
        scroll_to(page, page.get_by_role('heading', name='Image Sharing'))
        page.screenshot(path=paths[7])
        page.context.close()
    finally:
        context.close()
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out', default='doc')
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright
    chromium = shutil.which('chromium')
    if chromium is None:
        sys.exit('No chromium: apt-get install chromium')
    base = pathlib.Path(tempfile.mkdtemp(prefix='gm-screenshots-'))
    try:
        with embedded_server.serve(base) as embedded, \
                sync_playwright() as driver:
            for path in take(browser_support.launch(driver, chromium),
                             embedded, args.out):
                print(path)
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == '__main__':
    main()
