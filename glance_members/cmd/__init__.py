"""Console scripts: serve, console, manage, status.

What they share: whatever an operator must fix before a command can run
(a configuration file that does not parse, a bad value, a database that
cannot be opened or is at the wrong version, a port in use) ends it with
one line on stderr and exit status 1, before anything else is printed.
"""

import re
import sys

from oslo_config import cfg

from glance_members import conf as gm_conf

# oslo.config names where a bad value came from with the repr of its
# LocationInfo: say the file instead.
_LOCATION = re.compile(r" from LocationInfo\(location=<Locations\.(\w+):[^>]*"
                       r">, detail='([^']*)'\)")


def describe(error):
    """An oslo.config (or value) error as one readable line."""
    text = str(error)
    text = _LOCATION.sub(lambda m: ' in %s' % m.group(2) if m.group(2)
                         else ' (%s)' % m.group(1), text)
    return ' '.join(text.split())


def fail(prog, what, error):
    sys.exit('%s: %s: %s' % (prog, what, describe(error)))


def load_conf(prog, config_file=None, overrides=None):
    """The checked configuration, or exit with one line."""
    try:
        conf = gm_conf.new_conf(config_file=config_file, overrides=overrides)
        gm_conf.check(conf)
    except (cfg.Error, ValueError) as e:
        fail(prog, 'configuration error', e)
    return conf
