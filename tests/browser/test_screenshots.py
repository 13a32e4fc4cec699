"""The README's screenshots can still be taken (tests/browser/screenshots.py
into a temporary directory): 1280x800 PNGs, and 390x844 for a phone."""

import struct

from tests.browser import screenshots


def png_size(path):
    with open(path, 'rb') as f:
        head = f.read(24)
    assert head[:8] == b'\x89PNG\r\n\x1a\n', path
    return struct.unpack('>II', head[16:24])


def test_the_screenshots_script(browser, embedded, tmp_path):
    paths = screenshots.take(browser, embedded, str(tmp_path))
    assert [p.rsplit('/', 1)[1] for p in paths] == list(screenshots.FILES)
    for path in paths:
        assert png_size(path) == ((390, 844) if path.endswith('-phone.png')
                                  else (1280, 800))
