"""The real Keystone the integration tests run against behaves as they
assume: project-scoped tokens, implied roles, token validation by the
service user, and image endpoints registered in the catalog."""

import os
import subprocess
import sys
from pathlib import Path

import requests

from tests.support.keystone import issue_token
from testbed.stack.identities import register_image_endpoint

REPO = Path(__file__).resolve().parents[2]


def test_tokens_are_project_scoped(keystone):
    ids = keystone.identities
    for user in ("producer", "consumer", "consumer_colleague"):
        token = keystone.token(user)
        project = ids["credentials"][user]["project"]
        assert token.project_id == ids["projects"][project]
        assert token.project_name == project
        assert token.user_id == ids["users"][user]
        assert "system" not in token.body
        assert "domain" not in token.body


def test_consumer_colleague_shares_the_consumer_project(keystone):
    consumer = keystone.token("consumer")
    colleague = keystone.token("consumer_colleague")
    assert colleague.project_id == consumer.project_id
    assert colleague.user_id != consumer.user_id
    assert colleague.roles == ["member", "reader"]


def test_reader_only_user_has_exactly_reader(keystone):
    token = keystone.token("consumer_reader")
    assert token.roles == ["reader"]
    assert token.project_id == keystone.identities["projects"]["consumer"]


def test_member_implies_reader(keystone):
    # producer is granted member only; reader comes from the implied role
    ids = keystone.identities
    assert ids["credentials"]["producer"]["roles"] == ["member"]
    assert ["member", "reader"] in ids["role_inferences"]
    roles = keystone.token("producer").roles
    assert {"member", "reader"} <= set(roles)
    assert "admin" not in roles and "manager" not in roles


def test_admin_implies_manager_member_reader(keystone):
    assert keystone.admin_token().roles == [
        "admin", "manager", "member", "reader"]


def test_service_user_validates_tokens(keystone):
    service = keystone.token("gm-service")
    assert "admin" in service.roles
    subject = keystone.token("consumer")
    url = keystone.url + "/auth/tokens"
    resp = requests.get(url, headers={"X-Auth-Token": service,
                                      "X-Subject-Token": subject},
                        timeout=30)
    assert resp.status_code == 200, resp.text
    body = resp.json()["token"]
    assert body["project"]["id"] == keystone.identities["projects"][
        "consumer"]
    assert body["user"]["name"] == "consumer"
    assert sorted(r["name"] for r in body["roles"]) == ["member", "reader"]
    # HEAD works too (keystonemiddleware uses GET, some clients HEAD)
    resp = requests.head(url, headers={"X-Auth-Token": service,
                                       "X-Subject-Token": subject},
                         timeout=30)
    assert resp.status_code == 200
    # an unknown token is a 404, not an error
    resp = requests.get(url, headers={"X-Auth-Token": service,
                                      "X-Subject-Token": "not-a-token"},
                        timeout=30)
    assert resp.status_code == 404


def test_ordinary_user_cannot_validate_others_tokens(keystone):
    resp = requests.get(keystone.url + "/auth/tokens", headers={
        "X-Auth-Token": keystone.token("consumer"),
        "X-Subject-Token": keystone.token("producer")}, timeout=30)
    assert resp.status_code == 403


def test_issue_token_helper(keystone):
    # with or without /v3; the result is usable as a header value
    for url in (keystone.url, keystone.base_url):
        token = issue_token(url, "outsider", "secret", "outsider")
        assert token.project_id == keystone.identities["projects"][
            "outsider"]
        assert len(str(token)) > 20
    resp = requests.get(keystone.url + "/auth/projects",
                        headers={"X-Auth-Token": token}, timeout=30)
    assert resp.status_code == 200
    assert [p["name"] for p in resp.json()["projects"]] == ["outsider"]


def test_image_endpoint_in_producer_catalog(keystone):
    url = "http://127.0.0.1:19292"
    first = register_image_endpoint(keystone.admin_token(), url,
                                    "RegionTwo")
    again = register_image_endpoint(keystone.admin_token(), url,
                                    "RegionTwo")
    assert first == again  # idempotent
    assert set(first["endpoints"]) == {"public", "internal", "admin"}
    token = keystone.token("producer")
    assert token.endpoints("image", "public", "RegionTwo") == [url]
    assert token.endpoints("image", "internal", "RegionTwo") == [url]
    image = [e for e in token.catalog if e["type"] == "image"]
    assert len(image) == 1 and image[0]["name"] == "glance"
    # identity endpoints from bootstrap stay in RegionOne
    assert token.endpoints("identity", "public", "RegionOne") == [
        keystone.url]

    # re-registering with another URL re-points the same endpoints
    moved = register_image_endpoint(keystone.admin_token(),
                                    "http://127.0.0.1:19293", "RegionTwo")
    assert moved["endpoints"] == first["endpoints"]
    assert keystone.token("producer").endpoints(
        "image", "public", "RegionTwo") == ["http://127.0.0.1:19293"]


def test_cli_up_is_idempotent_on_a_running_stack(keystone):
    env = dict(os.environ, PYTHONWARNINGS="ignore")
    out = subprocess.run(
        [sys.executable, "-m", "testbed.stack", "up",
         "--workdir", str(keystone.workdir)],
        cwd=str(REPO), env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "already running" in out.stderr
    assert "export OS_AUTH_URL=%s\n" % keystone.url in out.stdout
    assert "export OS_USERNAME=producer\n" in out.stdout
    assert "# identities: %s/identities.json" % keystone.workdir in out.stdout
    assert keystone.server.running()
