"""pytest fixtures: a real browser (Debian's Chromium driven by Playwright).

A pytest plugin (tests/conftest.py registers it). Playwright's own browser
download is not reachable here, so it drives the `chromium` Debian package
(installed with apt-get when missing and we are root; under CI a browser
that cannot be had fails the run, elsewhere the tests skip).

- ``browser``: one Chromium for the session (``--no-sandbox`` as root).
- ``new_page(**context_options)``: a page in a fresh context, i.e. its own
  cookie jar (``java_script_enabled=False`` for the no-JavaScript runs).
  Every page is watched: an uncaught exception (``pageerror``), a console
  error or a Content-Security-Policy violation fails the test, at teardown
  or at ``assert_clean(page)``; ``allow_console(page, regex)`` lets an
  expected message through (the 403 a refused form answers, say).
- ``axe_check(page, name)``: axe-core on the page as it is; fails on any
  serious or critical violation (the report is printed). The results of
  the run are summed up, page by page, at the end of pytest's output.
- ``page_weight(page, url)``: bytes a page load transfers (every response).
"""

import os
import re
import shutil

import pytest

from testbed import debian
from testbed import processes

CHROMIUM = 'chromium'
# axe-core's impact levels, the ones that fail a page last.
IMPACTS = ('minor', 'moderate', 'serious', 'critical')
FAILING_IMPACTS = ('serious', 'critical')
# Chromium reports a CSP violation as a console error starting like this;
# the listener below also catches the DOM's securitypolicyviolation event.
CSP_SCRIPT = """
document.addEventListener('securitypolicyviolation', function (e) {
  console.error('CSP violation: ' + e.violatedDirective + ' blocked '
                + (e.blockedURI || 'inline'));
});
"""

_AXE_RESULTS = {}  # page name -> {'violations': {impact: [rule ids]}, ...}
_WEIGHTS = {}      # page name -> bytes of its load
_WATCHES = {}      # id(page) -> _Watch


def chromium_executable():
    """Debian's Chromium, installed with apt-get if missing (as root)."""
    path = shutil.which(CHROMIUM)
    if path is None:
        try:
            debian.install(CHROMIUM)
        except debian.Unavailable as e:
            processes.unavailable('Chromium', str(e))
        path = shutil.which(CHROMIUM)
        if path is None:
            processes.unavailable('Chromium', 'no chromium on PATH after '
                                  'apt-get install chromium')
    return path


class _Watch:
    """What went wrong on one page: uncaught exceptions, console errors
    (CSP violations among them), minus the messages allowed."""

    def __init__(self, page):
        self.problems = []
        self.allowed = []
        page.on('pageerror', lambda exc: self.problems.append(
            'uncaught exception: %s' % exc))
        page.on('console', self._console)
        page.on('crash', lambda _page: self.problems.append('page crashed'))

    def _console(self, message):
        if message.type != 'error':
            return
        text = '%s (at %s)' % (message.text, message.location.get('url'))
        self.problems.append('console error: %s' % text)

    def unexpected(self):
        return [p for p in self.problems
                if not any(rx.search(p) for rx in self.allowed)]


def allow_console(page, pattern):
    """Let console errors matching `pattern` (a regex) through on `page`
    (e.g. Chromium's "status of 403" line for a refused form)."""
    _WATCHES[id(page)].allowed.append(re.compile(pattern))


def assert_clean(page):
    """Fail if the page had an uncaught exception, a console error or a
    CSP violation so far (messages allowed with allow_console aside)."""
    problems = _WATCHES[id(page)].unexpected()
    assert not problems, 'the page at %s went wrong:\n  %s' % (
        page.url, '\n  '.join(problems))


@pytest.fixture(scope='session')
def playwright_driver():
    try:
        from playwright import sync_api
    except ImportError as e:
        processes.unavailable('Playwright', '%s (pip install -e ".[test]")'
                              % e)
    with sync_api.sync_playwright() as driver:
        yield driver


def launch(driver, executable):
    """Headless Chromium at `executable`, driven by Playwright's `driver`."""
    args = ['--disable-dev-shm-usage']
    if os.geteuid() == 0:
        args.append('--no-sandbox')  # Chromium refuses to run as root else
    return driver.chromium.launch(executable_path=executable, args=args)


@pytest.fixture(scope='session')
def browser(playwright_driver):
    """One headless Chromium (Debian's) for the whole session."""
    launched = launch(playwright_driver, chromium_executable())
    try:
        yield launched
    finally:
        launched.close()


@pytest.fixture
def new_page(browser):
    """new_page(**context_options) -> a watched page in a context of its
    own; the contexts are closed, and the pages checked, at teardown."""
    contexts = []
    pages = []

    def make(**context_options):
        context_options.setdefault('viewport',
                                   {'width': 1280, 'height': 800})
        context = browser.new_context(**context_options)
        context.set_default_timeout(10000)
        context.add_init_script(CSP_SCRIPT)
        contexts.append(context)
        page = context.new_page()
        _WATCHES[id(page)] = _Watch(page)
        pages.append(page)
        return page

    try:
        yield make
        for page in pages:
            if not page.is_closed():
                assert_clean(page)
    finally:
        for context in contexts:
            context.close()
        for page in pages:
            _WATCHES.pop(id(page), None)


def axe_check(page, name):
    """Run axe-core on `page`; fail on serious or critical violations.
    `name` says which page it is in the summary at the end of the run."""
    from axe_playwright_python.sync_playwright import Axe
    results = Axe().run(page)
    violations = results.response['violations']
    by_impact = {}
    for violation in violations:
        by_impact.setdefault(violation.get('impact') or 'minor', []).append(
            violation['id'])
    record = _AXE_RESULTS.setdefault(name, {
        'runs': 0, 'passes': 0, 'violations': {}, 'incomplete': []})
    record['runs'] += 1
    record['passes'] = max(record['passes'], len(results.response['passes']))
    record['incomplete'].extend(
        r['id'] for r in results.response['incomplete']
        if r['id'] not in record['incomplete'])
    for impact, rules in by_impact.items():
        seen = record['violations'].setdefault(impact, [])
        seen.extend(r for r in rules if r not in seen)
    failing = [v for v in violations if v.get('impact') in FAILING_IMPACTS]
    if failing:
        print(results.generate_report())
    assert not failing, 'axe-core on %s (%s): %s' % (
        name, page.url, '; '.join(
            '%s (%s, %d nodes): %s' % (v['id'], v['impact'], len(v['nodes']),
                                       v['help']) for v in failing))
    return results


def axe_summary():
    """{page name: {'runs', 'passes', 'violations': {impact: [rules]}}}"""
    return _AXE_RESULTS


def page_weight(page, url, name=None):
    """Load `url` in `page`; the bytes of every response of that load
    (bodies and headers as Chromium received them), listed at the end of
    the run under `name` if given."""
    responses = []

    def record(response):
        responses.append(response)

    # A first visit's weight: nothing from the cache of earlier loads.
    cdp = page.context.new_cdp_session(page)
    cdp.send('Network.enable')
    cdp.send('Network.setCacheDisabled', {'cacheDisabled': True})
    page.on('response', record)
    try:
        page.goto(url)  # 'load': the pages fetch nothing later
    finally:
        page.remove_listener('response', record)
        cdp.detach()
    total = 0
    for response in responses:
        sizes = response.request.sizes()
        total += sizes['responseBodySize'] + sizes['responseHeadersSize']
    if name is not None:
        _WEIGHTS[name] = total
    return total


def pytest_terminal_summary(terminalreporter):
    if _AXE_RESULTS:
        terminalreporter.section('axe-core results per page')
    for name in sorted(_AXE_RESULTS):
        record = _AXE_RESULTS[name]
        found = ', '.join('%s: %s' % (impact, ' '.join(
            record['violations'][impact])) for impact in IMPACTS
            if record['violations'].get(impact)) or 'no violations'
        if record['incomplete']:
            found += '; to review by hand: ' + ' '.join(record['incomplete'])
        terminalreporter.write_line('%-32s %d run(s), %d rules passed; %s' % (
            name, record['runs'], record['passes'], found))
    if _WEIGHTS:
        terminalreporter.section('page weights (every response of a load)')
    for name in sorted(_WEIGHTS):
        terminalreporter.write_line('%-32s %6.1f KB' % (
            name, _WEIGHTS[name] / 1024))
