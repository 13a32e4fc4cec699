"""The versioned schema history: one module per version, applied in order.

Each module has `VERSION`, `DESCRIPTION` and `upgrade(database)`. Models in
migrations are frozen copies of how the schema was at that version, never
the live models, so an old database always upgrades the same way.
"""

import importlib
import pkgutil


def history():
    """[(version, module)] in order."""
    modules = []
    for info in pkgutil.iter_modules(__path__):
        if info.name[:1] == 'v' and info.name[1:4].isdigit():
            module = importlib.import_module('%s.%s' % (__name__, info.name))
            modules.append((module.VERSION, module))
    modules.sort(key=lambda item: item[0])
    return modules


def head():
    return history()[-1][0]
