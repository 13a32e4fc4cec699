"""Test identities and catalog entries in Keystone, over its REST API.

Plain ``requests`` with an admin token; idempotent (running it again on the
same database finds what exists and fixes role grants and endpoint URLs).

Domain ``Default``; every password is ``secret`` except admin's (``admin``).

==================  =========  =============================================
user                project    roles granted (implied roles come on top)
==================  =========  =============================================
producer            producer   member (its tokens also carry reader)
consumer            consumer   member
consumer_colleague  consumer   member, reader: a second user of consumer
consumer2           consumer2  member
outsider            outsider   member
consumer_reader     consumer   reader only
gm-service          service    admin (glance-members' keystonemiddleware)
==================  =========  =============================================

Project ids are random per database: read them from the returned dict (also
written to ``WORKDIR/identities.json``).
"""

import json
import os
from pathlib import Path

import requests

DOMAIN_ID = "default"
DOMAIN_NAME = "Default"
PASSWORD = "secret"
ADMIN = {"user": "admin", "password": "admin", "project": "admin"}
SERVICE_USER = "gm-service"

PROJECTS = {
    "producer": "Owns and shares images",
    "consumer": "Receives shared images",
    "consumer2": "Second consumer",
    "outsider": "Never shared with",
    "service": "Service users (glance-members' keystonemiddleware)",
}

# user -> (project, the exact direct role grants on that project)
USERS = {
    "producer": ("producer", ["member"]),
    "consumer": ("consumer", ["member"]),
    "consumer_colleague": ("consumer", ["member", "reader"]),
    "consumer2": ("consumer2", ["member"]),
    "outsider": ("outsider", ["member"]),
    "consumer_reader": ("consumer", ["reader"]),
    SERVICE_USER: ("service", ["admin"]),
}

# keystone-manage bootstrap (Keystone >= 2023.2) creates these roles and
# inference rules; ensure_roles() verifies them and adds what is missing.
ROLES = ("admin", "manager", "member", "reader")
IMPLIED_ROLES = (("admin", "manager"), ("manager", "member"),
                 ("member", "reader"))

INTERFACES = ("public", "internal", "admin")
TIMEOUT = 30


class KeystoneError(RuntimeError):
    def __init__(self, method, url, response):
        self.status = response.status_code
        self.body = response.text
        super().__init__("%s %s -> HTTP %d: %s"
                         % (method, url, self.status, self.body[:500]))


def v3_url(url):
    """``http://h:p``, ``http://h:p/`` or ``http://h:p/v3`` -> ``.../v3``."""
    url = url.rstrip("/")
    return url if url.endswith("/v3") else url + "/v3"


class Token(str):
    """A token id (use it as the X-Auth-Token value) with its body.

    ``.body`` is the ``token`` object Keystone returned; ``.auth_url`` the
    Keystone v3 URL that issued it.
    """

    def __new__(cls, token_id, body, auth_url):
        obj = super().__new__(cls, token_id)
        obj.body = body
        obj.auth_url = auth_url
        return obj

    def __reduce__(self):
        return (Token, (str(self), self.body, self.auth_url))

    @property
    def roles(self):
        return sorted(r["name"] for r in self.body.get("roles", []))

    @property
    def role_ids(self):
        return sorted(r["id"] for r in self.body.get("roles", []))

    @property
    def project_id(self):
        return (self.body.get("project") or {}).get("id")

    @property
    def project_name(self):
        return (self.body.get("project") or {}).get("name")

    @property
    def user_id(self):
        return self.body["user"]["id"]

    @property
    def user_name(self):
        return self.body["user"]["name"]

    @property
    def expires_at(self):
        return self.body.get("expires_at")

    @property
    def catalog(self):
        return self.body.get("catalog", [])

    def endpoints(self, service_type, interface=None, region=None):
        """URLs of the catalog's ``service_type`` endpoints, filtered."""
        urls = []
        for entry in self.catalog:
            if entry.get("type") != service_type:
                continue
            for ep in entry.get("endpoints", []):
                if interface and ep.get("interface") != interface:
                    continue
                if region and ep.get("region_id") != region:
                    continue
                urls.append(ep["url"])
        return urls


def issue_token(url, user, password, project=None, *, domain=DOMAIN_NAME,
                project_domain=None, system=False, timeout=TIMEOUT):
    """POST /v3/auth/tokens with a password; return a :class:`Token`.

    Scoped to ``project`` (by name, in ``project_domain`` or ``domain``),
    to the system with ``system=True``, else unscoped.
    """
    auth_url = v3_url(url)
    body = {"auth": {"identity": {"methods": ["password"], "password": {
        "user": {"name": user, "password": password,
                 "domain": {"name": domain}}}}}}
    if system:
        body["auth"]["scope"] = {"system": {"all": True}}
    elif project:
        body["auth"]["scope"] = {"project": {
            "name": project, "domain": {"name": project_domain or domain}}}
    resp = requests.post(auth_url + "/auth/tokens", json=body,
                         timeout=timeout)
    if resp.status_code != 201:
        raise KeystoneError("POST", auth_url + "/auth/tokens", resp)
    return Token(resp.headers["X-Subject-Token"], resp.json()["token"],
                 auth_url)


def admin_token(url, password=ADMIN["password"]):
    """A token of the bootstrap admin, scoped to the admin project."""
    return issue_token(url, ADMIN["user"], password, ADMIN["project"])


class KeystoneAdmin:
    """Minimal Keystone v3 admin client on ``requests``."""

    def __init__(self, token, auth_url=None):
        auth_url = auth_url or getattr(token, "auth_url", None) \
            or os.environ.get("OS_AUTH_URL")
        if not auth_url:
            raise ValueError("no Keystone URL: pass a Token from "
                             "issue_token() or auth_url=")
        self.url = v3_url(auth_url)
        self.session = requests.Session()
        self.session.headers.update({"X-Auth-Token": str(token),
                                     "Accept": "application/json"})

    def call(self, method, path, body=None, params=None,
             expect=(200, 201, 204)):
        url = self.url + path
        resp = self.session.request(method, url, json=body, params=params,
                                    timeout=TIMEOUT)
        if resp.status_code not in expect:
            raise KeystoneError(method, url, resp)
        return resp.json() if resp.content else None

    def get(self, path, **params):
        return self.call("GET", path, params=params)

    def post(self, path, body):
        return self.call("POST", path, body)

    def patch(self, path, body):
        return self.call("PATCH", path, body)

    def put(self, path):
        return self.call("PUT", path)

    def delete(self, path):
        return self.call("DELETE", path)

    def find(self, collection, **filters):
        """Entities of ``collection`` matching all ``filters`` (checked
        client-side too: not every filter is honoured server-side)."""
        items = self.get("/" + collection, **filters)[collection]
        return [i for i in items
                if all(i.get(k) == v for k, v in filters.items())]

    def one(self, collection, **filters):
        found = self.find(collection, **filters)
        return found[0] if found else None

    def close(self):
        self.session.close()


def ensure_roles(ks):
    """Check that roles and their implications exist; add missing ones.

    Returns ``(role_ids, inferences, created)`` where ``created`` lists what
    had to be added (empty on a stock Keystone 30 bootstrap).
    """
    created = []
    role_ids = {}
    for name in ROLES:
        role = ks.one("roles", name=name)
        if role is None:
            role = ks.post("/roles", {"role": {"name": name}})["role"]
            created.append("role %s" % name)
        role_ids[name] = role["id"]
    names = {v: k for k, v in role_ids.items()}

    def inferences():
        found = set()
        for rule in ks.get("/role_inferences")["role_inferences"]:
            prior = rule["prior_role"]["id"]
            for implied in rule["implies"]:
                if prior in names and implied["id"] in names:
                    found.add((names[prior], names[implied["id"]]))
        return found

    have = inferences()
    for prior, implied in IMPLIED_ROLES:
        if (prior, implied) not in have:
            ks.put("/roles/%s/implies/%s"
                   % (role_ids[prior], role_ids[implied]))
            created.append("%s implies %s" % (prior, implied))
    if created:
        have = inferences()
    missing = set(IMPLIED_ROLES) - have
    if missing:
        raise RuntimeError("role inferences missing: %s" % sorted(missing))
    return role_ids, sorted(have), created


def ensure_project(ks, name, description=""):
    project = ks.one("projects", name=name, domain_id=DOMAIN_ID)
    if project is None:
        project = ks.post("/projects", {"project": {
            "name": name, "domain_id": DOMAIN_ID,
            "description": description, "enabled": True}})["project"]
    return project["id"]


def ensure_user(ks, name, password, project_id):
    user = ks.one("users", name=name, domain_id=DOMAIN_ID)
    if user is None:
        user = ks.post("/users", {"user": {
            "name": name, "domain_id": DOMAIN_ID, "password": password,
            "default_project_id": project_id, "enabled": True}})["user"]
    return user["id"]


def ensure_grants(ks, user_id, project_id, wanted, role_ids):
    """Make the user's direct roles on the project exactly ``wanted``."""
    have = {a["role"]["id"] for a in ks.get("/role_assignments", **{
        "user.id": user_id, "scope.project.id": project_id,
    })["role_assignments"]}
    want = {role_ids[r] for r in wanted}
    for rid in sorted(want - have):
        ks.put("/projects/%s/users/%s/roles/%s" % (project_id, user_id, rid))
    for rid in sorted(have - want):
        ks.delete("/projects/%s/users/%s/roles/%s"
                  % (project_id, user_id, rid))


def setup_identities(auth_url, workdir=None, token=None):
    """Create (or verify) the test projects, users and grants.

    Returns a dict of ids and credentials; writes it as JSON to
    ``workdir/identities.json`` when ``workdir`` is given.
    """
    auth_url = v3_url(auth_url)
    token = token or admin_token(auth_url)
    ks = KeystoneAdmin(token, auth_url)
    try:
        role_ids, inferences, created = ensure_roles(ks)
        projects = {"admin": ks.one("projects", name=ADMIN["project"],
                                    domain_id=DOMAIN_ID)["id"]}
        for name, description in PROJECTS.items():
            projects[name] = ensure_project(ks, name, description)
        users = {"admin": ks.one("users", name=ADMIN["user"],
                                 domain_id=DOMAIN_ID)["id"]}
        credentials = {"admin": {
            "password": ADMIN["password"], "project": ADMIN["project"],
            "project_id": projects["admin"], "user_id": users["admin"],
            "roles": ["admin"]}}
        for name, (project, roles) in USERS.items():
            users[name] = ensure_user(ks, name, PASSWORD, projects[project])
            ensure_grants(ks, users[name], projects[project], roles,
                          role_ids)
            credentials[name] = {
                "password": PASSWORD, "project": project,
                "project_id": projects[project], "user_id": users[name],
                "roles": list(roles)}
    finally:
        ks.close()
    ids = {
        "auth_url": auth_url,
        "region": "RegionOne",
        "domain": {"id": DOMAIN_ID, "name": DOMAIN_NAME},
        "service_user": SERVICE_USER,
        "projects": projects,
        "users": users,
        "roles": role_ids,
        "role_inferences": [list(i) for i in inferences],
        "added_to_bootstrap": created,
        "credentials": credentials,
    }
    if workdir is not None:
        path = Path(workdir) / "identities.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(ids, indent=2, sort_keys=True) + "\n")
        os.replace(tmp, path)
    return ids


def register_image_endpoint(admin_token, url, region, *, auth_url=None):
    """Register ``url`` as the image endpoint of ``region``; idempotent.

    Creates the service of type ``image`` (name ``glance``) if missing, the
    region if missing, and public/internal/admin endpoints in that region
    (re-pointing existing ones to ``url``).  ``admin_token`` is a
    :class:`Token` (which knows its Keystone URL) or a token string with
    ``auth_url=``.  Returns ``{"service_id", "region", "url",
    "endpoints": {interface: id}}``.
    """
    ks = KeystoneAdmin(admin_token, auth_url)
    try:
        services = ks.find("services", type="image")
        if services:
            # tempest and keystoneauth use the first entry of a type
            service = services[0]
        else:
            service = ks.post("/services", {"service": {
                "type": "image", "name": "glance",
                "description": "OpenStack Image (glance-members)",
                "enabled": True}})["service"]
        resp = ks.session.get(ks.url + "/regions/" + region, timeout=TIMEOUT)
        if resp.status_code == 404:
            ks.post("/regions", {"region": {
                "id": region,
                "description": "glance-members integration tests"}})
        elif resp.status_code != 200:
            raise KeystoneError("GET", ks.url + "/regions/" + region, resp)
        endpoints = {}
        for interface in INTERFACES:
            found = ks.find("endpoints", service_id=service["id"],
                            interface=interface, region_id=region)
            if not found:
                ep = ks.post("/endpoints", {"endpoint": {
                    "service_id": service["id"], "interface": interface,
                    "url": url, "region_id": region,
                    "enabled": True}})["endpoint"]
            else:
                ep = found[0]
                if ep["url"] != url or not ep.get("enabled", True):
                    ep = ks.patch("/endpoints/" + ep["id"], {"endpoint": {
                        "url": url, "enabled": True}})["endpoint"]
            endpoints[interface] = ep["id"]
    finally:
        ks.close()
    return {"service_id": service["id"], "region": region, "url": url,
            "endpoints": endpoints}
