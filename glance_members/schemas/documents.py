"""The JSON-Schema documents Glance 33 serves, byte for byte.

Captured from a running Glance 33.0.0 with its schema-image.json in place;
the image schema also validates image create and patch bodies.
"""

import functools
import json
import pathlib

_DIR = pathlib.Path(__file__).parent / 'documents'


@functools.cache
def raw(name):
    return (_DIR / ('%s.json' % name)).read_bytes()


@functools.cache
def parsed(name):
    return json.loads(raw(name))
