"""tempest 47.0.0 from PyPI, unchanged, against an image endpoint of the
test Keystone's catalog.

``ensure_tempest_venv()`` builds ``<cache root>/venv-tempest-47`` once
(pins: ``constraints-tempest.txt``; cache root as in tests/support/clients.py).

:class:`TempestWorkspace` makes a workspace with ``tempest init`` and writes
its ``etc/tempest.conf`` and ``etc/accounts.yaml``:

- pre-provisioned credentials (``use_dynamic_credentials = false``), in an
  order that makes tempest's choice deterministic: ``primary`` is producer
  (the project offering both a member and a reader account scores highest),
  ``alt`` is consumer (the first free account in file order after
  producer), ``project_reader`` is producer_reader, a reader-only user of
  the producer's project (:func:`ensure_producer_reader` creates it);
- ``[enforce_scope] glance = true``; only glance available;
- tempest reaches the image API through the catalog only: ``[image]
  region`` names the Keystone region whose image endpoint is under test.

``run(regex)`` runs ``tempest run --serial`` and returns a
:class:`TempestRun` (counts parsed from stestr's totals, the output, and
where tempest's own request log says the image requests went).
"""

import collections
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

from tests.support import clients
from testbed import venvs
from testbed.stack import identities as ids_mod
from testbed.stack.identities import issue_token  # noqa: F401
from testbed import processes

HERE = Path(__file__).resolve().parent
TEMPEST_VERSION = "47.0.0"
TEMPEST_VENV = "venv-tempest-47"
CONSTRAINTS = HERE / "constraints-tempest.txt"

# The issue's selection: every image v2 test whose id mentions members or
# sharing, plus the versions test and the image/images schema tests.
MEMBER_REGEX = r"^tempest\.api\.image\.v2\..*([Mm]ember|[Ss]har(e|ing))"
REGEX = "|".join([
    MEMBER_REGEX,
    r"^tempest\.api\.image\.v2\.test_versions\.",
    r"^tempest\.api\.image\.v2\.test_images\.ListUserImagesTest"
    r"\.test_get_image_schema\b",
    r"^tempest\.api\.image\.v2\.test_images\.ListUserImagesTest"
    r"\.test_get_images_schema\b",
])

PRODUCER_READER = "producer_reader"
# (user, project, roles tempest selects by).  Order matters, see above.
ACCOUNTS = (
    ("producer", "producer", ["member"]),
    ("consumer", "consumer", ["member"]),
    (PRODUCER_READER, "producer", ["reader"]),
    ("consumer2", "consumer2", ["member"]),
    ("outsider", "outsider", ["member"]),
)

RUN_TIMEOUT = 900


def ensure_tempest_venv(cache_root=None):
    return clients.ensure_venv(
        TEMPEST_VENV, ("tempest==%s" % TEMPEST_VERSION,), CONSTRAINTS,
        ("tempest", "stestr"), cache_root)


def ensure_producer_reader(keystone):
    """User ``producer_reader`` with exactly the role reader on project
    producer (password ``secret``); idempotent.  Returns its user id."""
    ks = ids_mod.KeystoneAdmin(keystone.admin_token())
    try:
        project_id = keystone.identities["projects"]["producer"]
        user_id = ids_mod.ensure_user(ks, PRODUCER_READER, ids_mod.PASSWORD,
                                      project_id)
        ids_mod.ensure_grants(ks, user_id, project_id, ["reader"],
                              keystone.identities["roles"])
    finally:
        ks.close()
    return user_id


ACCOUNT_TEMPLATE = """\
- username: {user}
  project_name: {project}
  password: {password}
  user_domain_name: Default
  project_domain_name: Default
  roles: [{roles}]
"""

CONF_TEMPLATE = """\
# Written by tests/support/tempest_runner.py.
[DEFAULT]
debug = true
use_stderr = false
log_dir = {ws}/logs
log_file = tempest.log

[oslo_concurrency]
lock_path = {ws}/lock

[auth]
use_dynamic_credentials = false
test_accounts_file = {ws}/etc/accounts.yaml
default_credentials_domain_name = Default
create_isolated_networks = false

[identity]
auth_version = v3
uri_v3 = {auth_url}
region = RegionOne
v3_endpoint_type = public
admin_role = admin

[identity-feature-enabled]
api_v3 = true

[image]
catalog_type = image
region = {region}
endpoint_type = publicURL
container_formats = bare
# raw only: ListUserImagesTest's set-up uploads random bytes as each
# disk format; random bytes are a valid raw image, so Glance's image
# format enforcement has nothing to refuse and the class need not skip.
disk_formats = raw
build_timeout = 60
build_interval = 1

[image-feature-enabled]
api_v2 = true
import_image = false
manage_locations = false
image_format_enforcement = false

[enforce_scope]
glance = true

[service_available]
glance = true
nova = false
neutron = false
cinder = false
swift = false
horizon = false

[validation]
run_validation = false
"""


# "{0} tempest.api....test_x[id-...,smoke] [0.51s] ... ok"
_OUTCOME = re.compile(
    r"^\{\d+\} (\S+).*? \.\.\. (ok|FAILED|SKIPPED.*|skip.*)$", re.M)
# keystoneauth / tempest request log lines:
# "Request (ImagesMemberTest:test_x): 201 POST http://127.0.0.1:P/v2/images"
_REQUEST = re.compile(r"Request \([^)]*\): (\d+) ([A-Z]+) (https?://[^/ ]+)"
                      r"(/\S*)")

# "ImagesMemberTest allocated creds:\n{'username': 'producer', ..."
_ALLOCATED = re.compile(r"\] (\w+) allocated creds:\n\{'username': '([^']+)'")


class TempestRun:
    def __init__(self, rc, output, log_text, seconds):
        self.rc = rc
        self.output = output
        self.log_text = log_text
        self.seconds = seconds
        self.outcomes = {name: outcome.split()[0].rstrip(":")
                         for name, outcome in _OUTCOME.findall(output)}

    def _total(self, label):
        found = re.findall(r"^ *- %s: *(\d+)" % label, self.output, re.M)
        return int(found[-1]) if found else None

    passed = property(lambda self: self._total("Passed"))
    failed = property(lambda self: self._total("Failed"))
    skipped = property(lambda self: self._total("Skipped"))

    @property
    def line(self):
        return "tempest: %s passed, %s failed, %s skipped" % (
            self.passed, self.failed, self.skipped)

    def requests(self):
        """[(status, method, base URL, path)] from tempest.log."""
        return _REQUEST.findall(self.log_text)

    def image_request_bases(self):
        """Counter of the base URLs of the image API (/v2/...) requests."""
        return collections.Counter(
            base for _, _, base, path in self.requests()
            if path.startswith("/v2/") or path == "/v2" or path == "/")

    def allocations(self):
        """{test class: [user names]} of the pre-provisioned accounts
        tempest handed out (from tempest.log)."""
        found = collections.defaultdict(list)
        for cls, user in _ALLOCATED.findall(self.log_text):
            found[cls].append(user)
        return dict(found)

    def __str__(self):
        return "%s (rc %s, %.0f s)\n%s" % (
            self.line, self.rc, self.seconds, self.output[-20000:])


class TempestWorkspace:
    def __init__(self, path, keystone, region, venv=None):
        self.path = Path(path)
        self.keystone = keystone
        self.region = region
        self.venv = Path(venv) if venv else ensure_tempest_venv()

    conf_path = property(lambda self: self.path / "etc" / "tempest.conf")
    accounts_path = property(
        lambda self: self.path / "etc" / "accounts.yaml")
    log_path = property(lambda self: self.path / "logs" / "tempest.log")

    def env(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("OS_") and k not in venvs.SCRUB_ENV}
        env["PYTHONWARNINGS"] = "ignore"
        # tempest keeps a workspace registry in ~/.tempest: keep it here.
        env["HOME"] = str(self.path.parent)
        return env

    def tempest(self, *args, timeout=RUN_TIMEOUT, cwd=None):
        """Run the tempest CLI in its own process group (stestr starts
        workers); on timeout the whole group is killed."""
        proc = subprocess.Popen(
            [str(self.venv / "bin" / "tempest")] + list(args),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, env=self.env(),
            cwd=str(cwd or self.path), start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            processes.signal_group(proc, signal.SIGKILL)
            out, err = proc.communicate()
            raise RuntimeError("tempest %s: no answer within %d s\n%s\n%s"
                               % (" ".join(args[:2]), timeout, out[-5000:],
                                  err[-5000:]))
        return subprocess.CompletedProcess(proc.args, proc.returncode, out,
                                           err)

    def setup(self):
        """``tempest init`` (once) and the config files (every time)."""
        if not (self.path / ".stestr.conf").exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            proc = self.tempest(
                "init", "--workspace-path",
                str(self.path.parent / "tempest-workspaces.yaml"),
                "--name", "glance-members-%d" % os.getpid(), str(self.path),
                cwd=self.path.parent, timeout=120)
            if proc.returncode:
                raise RuntimeError("tempest init failed (rc %d):\n%s\n%s" % (
                    proc.returncode, proc.stdout, proc.stderr))
        for sub in ("etc", "logs", "lock"):
            (self.path / sub).mkdir(exist_ok=True)
        ensure_producer_reader(self.keystone)
        self.accounts_path.write_text(
            "# Written by tests/support/tempest_runner.py\n" + "".join(
                ACCOUNT_TEMPLATE.format(
                    user=user, project=project,
                    password=self.keystone.password(user)
                    if user != PRODUCER_READER else ids_mod.PASSWORD,
                    roles=", ".join(roles))
                for user, project, roles in ACCOUNTS))
        self.conf_path.write_text(CONF_TEMPLATE.format(
            ws=self.path, auth_url=self.keystone.url, region=self.region))
        return self

    def list_tests(self, regex=REGEX):
        proc = self.tempest("run", "--config-file", str(self.conf_path),
                            "--list-tests", "--regex", regex, timeout=300)
        if proc.returncode:
            raise RuntimeError("tempest run --list-tests failed (rc %d):\n"
                               "%s\n%s" % (proc.returncode, proc.stdout,
                                           proc.stderr))
        return sorted(line.strip() for line in proc.stdout.splitlines()
                      if line.strip().startswith("tempest."))

    def run(self, regex=REGEX):
        if self.log_path.exists():
            self.log_path.unlink()
        shutil.rmtree(self.path / "lock", ignore_errors=True)
        (self.path / "lock").mkdir()
        t0 = time.monotonic()
        proc = self.tempest("run", "--config-file", str(self.conf_path),
                            "--serial", "--regex", regex)
        seconds = time.monotonic() - t0
        try:
            log_text = self.log_path.read_text(errors="replace")
        except OSError:
            log_text = ""
        output = proc.stdout + "\n" + proc.stderr
        (self.path / "logs" / "tempest-run.out").write_text(output)
        return TempestRun(proc.returncode, output, log_text, seconds)
