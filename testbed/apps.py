"""The real application in a data dir, as tests and benchmarks build it:
the personas' token file, any config overrides, on a database URL or the
embedded SQLite file (a copy of one migrated once per process: the
migrations run once, not for each of the ~1,500 apps a test run builds;
tests/unit/test_migrations.py is where they are tested)."""

import atexit
import os
import shutil
import tempfile

import yaml

from glance_members import app as gm_app
from glance_members import conf as gm_conf
from glance_members import db
from testbed import personas

_MIGRATED_SQLITE = []


def _copy_migrated_sqlite(path):
    if os.path.exists(path):
        return
    if not _MIGRATED_SQLITE:
        home = tempfile.mkdtemp(prefix='gm-migrated-')
        atexit.register(shutil.rmtree, home, True)
        template = os.path.join(home, 'migrated.sqlite')
        database = db.connect('sqlite:///' + template)
        db.create_schema(database)
        database.close()
        _MIGRATED_SQLITE.append(template)
    shutil.copyfile(_MIGRATED_SQLITE[0], path)


def make_app(data_dir, database_url=None, opened=None, migrate=True,
             **overrides):
    """The real app in `data_dir` on `database_url` (default: the embedded
    SQLite file in `data_dir`); its database is appended to `opened`.
    `migrate=False`: the caller knows the database is at the latest
    schema."""
    os.makedirs(data_dir, exist_ok=True)
    with open(os.path.join(data_dir, 'tokens.yaml'), 'w') as f:
        yaml.safe_dump(personas.token_file_document(), f)
    if database_url is not None:
        overrides['database.connection'] = database_url
    # Glance's rule, any member id, unless the caller says otherwise (None:
    # the service's default, on with the static token file).
    overrides.setdefault('sharing.verify_members', False)
    conf = gm_conf.new_conf(overrides=dict({'data_dir': data_dir},
                                           **overrides))
    url = gm_conf.database_url(conf)
    if url.startswith('sqlite:///'):
        _copy_migrated_sqlite(url[len('sqlite:///'):])
    database = db.connect(url)
    if opened is not None:
        opened.append(database)
    if migrate:
        db.create_schema(database)
    return gm_app.create_app(conf, db.make_repository(database))
