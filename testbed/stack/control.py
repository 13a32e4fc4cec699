"""up / down / status of the test Keystone in one work directory.

Used by ``python -m testbed.stack`` and by the pytest fixture in
``tests/support/keystone.py``.
"""

import json
import os
import shlex
import time
from pathlib import Path

from . import identities as ids_mod
from . import keystone as ks_mod

DEFAULT_PORT = 5000


def default_workdir():
    """``$GM_KEYSTONE_WORKDIR``, else ``/tmp/glance-members-keystone``."""
    return Path(os.environ.get("GM_KEYSTONE_WORKDIR")
                or "/tmp/glance-members-keystone")


def identities_path(workdir):
    return Path(workdir).resolve() / "identities.json"


def load_identities(workdir):
    return json.loads(identities_path(workdir).read_text())


def up(workdir=None, port=None, cache_root=None):
    """Bring Keystone up in ``workdir``; return ``(server, ids, info)``.

    ``port`` defaults to the one recorded in ``workdir``, else 5000.

    Idempotent: when our Keystone already runs from ``workdir`` (on the port
    recorded there), nothing is changed and its identities are returned.
    ``info`` has ``already_running`` and the timings in seconds.
    """
    t0 = time.monotonic()
    workdir = Path(workdir or default_workdir()).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    info = {"already_running": False, "timings": {}}
    recorded = ks_mod.KeystoneServer.from_workdir(workdir)
    if recorded.port is not None and recorded.running():
        info["already_running"] = True
        if port is not None and int(port) != recorded.port:
            ks_mod.log("already running on port %d (not %s): keeping it"
                       % (recorded.port, port))
        if not identities_path(workdir).exists():
            ids_mod.setup_identities(recorded.auth_url, workdir)
        return recorded, load_identities(workdir), info
    if port is None:
        port = recorded.port or DEFAULT_PORT
    venv = ks_mod.ensure_venv(cache_root)
    info["timings"]["venv"] = time.monotonic() - t0
    server = ks_mod.KeystoneServer(workdir, port, venv)
    server.start()
    info["timings"].update(server.timings)
    try:
        t1 = time.monotonic()
        ids = ids_mod.setup_identities(server.auth_url, workdir)
        info["timings"]["identities"] = time.monotonic() - t1
    except Exception:
        server.stop()
        raise
    info["timings"]["total"] = time.monotonic() - t0
    ks_mod.log("up in %.1f s: %s" % (info["timings"]["total"], ", ".join(
        "%s %.1f s" % kv for kv in info["timings"].items()
        if kv[0] != "total")))
    return server, ids, info


def down(workdir=None):
    """Stop the Keystone recorded in ``workdir``; True if one was stopped."""
    workdir = Path(workdir or default_workdir()).resolve()
    return ks_mod.KeystoneServer.from_workdir(workdir).stop()


def status(workdir=None):
    workdir = Path(workdir or default_workdir()).resolve()
    server = ks_mod.KeystoneServer.from_workdir(workdir)
    pid = server.pid() if server.port is not None else None
    return {"workdir": str(workdir), "running": pid is not None,
            "pid": pid, "port": server.port,
            "auth_url": server.auth_url if server.port else None,
            "answers": bool(pid) and server.answers(),
            "identities": str(identities_path(workdir))}


def env_exports(ids, user="producer", workdir=None):
    """``export OS_...`` lines for ``user`` (shell-quoted)."""
    cred = ids["credentials"][user]
    env = [
        ("OS_AUTH_URL", ids["auth_url"]),
        ("OS_IDENTITY_API_VERSION", "3"),
        ("OS_AUTH_TYPE", "password"),
        ("OS_USERNAME", user),
        ("OS_PASSWORD", cred["password"]),
        ("OS_PROJECT_NAME", cred["project"]),
        ("OS_PROJECT_ID", cred["project_id"]),
        ("OS_USER_DOMAIN_NAME", ids["domain"]["name"]),
        ("OS_PROJECT_DOMAIN_NAME", ids["domain"]["name"]),
        ("OS_REGION_NAME", ids["region"]),
        ("OS_INTERFACE", "public"),
    ]
    if workdir is not None:
        env.append(("GM_KEYSTONE_WORKDIR", str(Path(workdir).resolve())))
        env.append(("GM_KEYSTONE_IDENTITIES",
                    str(identities_path(workdir))))
    return "".join("export %s=%s\n" % (k, shlex.quote(v)) for k, v in env)
