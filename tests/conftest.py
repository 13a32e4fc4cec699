"""Shared fixtures: an in-process app on a fresh SQLite file per test."""

import os

import pytest
import yaml

from glance_members import app as gm_app
from glance_members import conf as gm_conf
from glance_members import db
from tests import personas


def make_app(data_dir, **overrides):
    """The real app on the embedded default in `data_dir`, with the test
    personas' token file and any config overrides."""
    os.makedirs(data_dir, exist_ok=True)
    token_path = os.path.join(data_dir, 'tokens.yaml')
    with open(token_path, 'w') as f:
        yaml.safe_dump(personas.token_file_document(), f)
    conf = gm_conf.new_conf(overrides=dict({'data_dir': data_dir},
                                           **overrides))
    database = db.connect(gm_conf.database_url(conf))
    db.create_schema(database)
    return gm_app.create_app(conf, db.repository(database))


@pytest.fixture
def app(tmp_path):
    return make_app(str(tmp_path / 'data'))


@pytest.fixture
def client(app):
    return app.test_client()
