"""Sharing rules that used to live outside the rule modules, tested there: the
status of a new or re-added member, the member_status a list defaults to,
and the rules' independence from Flask and peewee."""

import ast
import pathlib

import pytest
import werkzeug.datastructures

from glance_members import exception
from glance_members import records
from glance_members.schemas import images as image_schemas
from glance_members.sharing import images
from glance_members.sharing import lifecycle
from glance_members.sharing import members

from tests.unit.conftest import CONSUMER
from tests.unit.conftest import CONSUMER2


def test_new_and_re_added_members_are_pending(owner, consumer, authz, repo,
                                              make_image):
    image = make_image()
    member = members.add_member(owner, authz, repo, image.id,
                                CONSUMER, records.Quotas(members=-1))
    assert member.status == lifecycle.NEW_MEMBER_STATUS == 'pending'
    members.update_member(consumer, authz, repo, image.id, CONSUMER,
                          'rejected')
    members.delete_member(owner, authz, repo, image.id, CONSUMER)
    again = members.add_member(owner, authz, repo, image.id,
                               CONSUMER, records.Quotas(members=-1))
    assert (again.status, again.created_at) == ('pending', member.created_at)


def test_a_list_that_names_no_member_status_shows_accepted_shares(
        owner, consumer, authz, repo, make_image):
    accepted, pending = make_image(), make_image()
    for image in (accepted, pending):
        members.add_member(owner, authz, repo, image.id,
                           CONSUMER, records.Quotas(members=-1))
    members.update_member(consumer, authz, repo, accepted.id, CONSUMER,
                          'accepted')
    query = image_schemas.parse_list_query(
        werkzeug.datastructures.MultiDict(), 25, 1000)
    assert query.member_status is None  # the wire layer leaves it open
    found_images, _ = images.list_images(consumer, authz, repo, query)
    assert [i.id for i in found_images] == [accepted.id]
    assert query.member_status is None  # the caller's query is not changed
    found_images, _ = images.list_images(
        consumer, authz, repo, records.ImageQuery(limit=25,
                                                  member_status='all'))
    assert {i.id for i in found_images} == {accepted.id, pending.id}


def test_a_list_query_says_when_it_names_a_member_status():
    query = image_schemas.parse_list_query(
        werkzeug.datastructures.MultiDict({'member_status': 'pending'}), 25,
        1000)
    assert query.member_status == 'pending'


def test_the_rules_import_neither_flask_nor_peewee():
    package = pathlib.Path(lifecycle.__file__).parent
    for module in package.glob('*.py'):
        tree = ast.parse(module.read_text())
        imported = {alias.name.split('.')[0] for node in ast.walk(tree)
                    if isinstance(node, ast.Import) for alias in node.names}
        imported |= {node.module.split('.')[0] for node in ast.walk(tree)
                     if isinstance(node, ast.ImportFrom) and node.module}
        assert not imported & {'flask', 'peewee', 'werkzeug', 'playhouse'}, \
            module


def test_an_image_at_its_member_quota_refuses_even_a_member_it_has(
        owner, authz, repo, make_image):
    # Quota before duplicate (enforced in the repository under the lock).
    image = make_image()
    members.add_member(owner, authz, repo, image.id,
                       CONSUMER, records.Quotas(members=-1))
    members.add_member(owner, authz, repo, image.id,
                       CONSUMER2, records.Quotas(members=-1))
    with pytest.raises(exception.OverLimit):
        members.add_member(owner, authz, repo, image.id,
                           CONSUMER, records.Quotas(members=2))
    with pytest.raises(exception.Duplicate):
        members.add_member(owner, authz, repo, image.id,
                           CONSUMER, records.Quotas(members=3))
