"""The embedded default as a newcomer starts it (`glance-members serve` on
an empty data dir), with the tokens it printed, and personas of their own
for each test (a fresh project each, added to the re-read token file)."""

import contextlib
import os
import re
import secrets
import shutil
import tempfile
import uuid

import yaml

from tests.support import image_api as api
from testbed import processes
from testbed import servers

# What `serve` prints for each token it creates on first start.
PRINTED_TOKEN = re.compile(
    r'^\s+(\w+)\s+(gm-\S+)\s+\(project (\w+), roles ([\w,]+)\)', re.M)


class Persona:
    """A user of one project: `token`, `project_id`, `name`."""

    def __init__(self, name, token, project_id):
        self.name = name
        self.token = token
        self.project_id = project_id

    def __repr__(self):
        return 'Persona(%s, project %s)' % (self.name, self.project_id)


class Embedded:
    """A running embedded default: `.url`, `.console` (its console URL),
    `.printed` ({name: Persona} of the tokens it printed)."""

    def __init__(self, server):
        self.server = server
        self.url = server.url
        self.console = server.url + '/console/'
        self.token_path = os.path.join(server.data_dir, 'tokens.yaml')
        self.printed = {
            name: Persona(name, token, project)
            for name, token, project, _ in PRINTED_TOKEN.findall(
                server.log())}

    def _tokens(self):
        with open(self.token_path) as f:
            return yaml.safe_load(f) or {}

    def _write_tokens(self, document):
        """Replace the token file at once (the server re-reads it)."""
        temporary = self.token_path + '.new'
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            yaml.safe_dump(document, f)
        os.replace(temporary, self.token_path)

    def persona(self, name, project_name=None, roles=('member', 'reader')):
        """A new user `name` of a new project (named `project_name`, by
        default `name` too), added to the token file (the server re-reads
        it)."""
        return self._add_user(name, uuid.uuid4().hex, project_name or name,
                              roles)

    def colleague(self, persona, name, roles=('member', 'reader')):
        """Another user of `persona`'s project."""
        project_name = self._tokens()[persona.token]['project_name']
        return self._add_user(name, persona.project_id, project_name, roles)

    def _add_user(self, name, project_id, project_name, roles):
        document = self._tokens()
        token = 'gm-test-' + secrets.token_urlsafe(16)
        document[token] = {'user_id': uuid.uuid4().hex, 'user_name': name,
                           'project_id': project_id,
                           'project_name': project_name,
                           'roles': list(roles)}
        self._write_tokens(document)
        return Persona(name, token, project_id)

    def revoke(self, persona):
        """Take the persona's token out of the token file."""
        document = self._tokens()
        del document[persona.token]
        self._write_tokens(document)

    def api(self, persona):
        return api.ImageAPI(self.url, persona.token)

    def share(self, producer, consumer, name, status=None, **fields):
        """A new image of `producer` shared with `consumer` (who then
        sets `status`, if given); its id."""
        image_id = self.api(producer).create_image(name, **fields)
        self.api(producer).add_member(image_id, consumer.project_id)
        if status is not None:
            self.api(consumer).set_status(image_id, consumer.project_id,
                                          status)
        return image_id


@contextlib.contextmanager
def serve(base, config=None, any_member_id=True):
    """`glance-members serve` on an empty data dir under `base` (a
    pathlib.Path; `config`: the text of a config file, if any): an
    Embedded while the block runs. `any_member_id`: Glance's rule
    (servers.Server) instead of the recipient check against the token
    file."""
    data_dir = str(base / 'data')
    os.makedirs(data_dir)
    extra = []
    if config is not None:
        path = str(base / 'glance-members.conf')
        with open(path, 'w') as f:
            f.write(config)
        extra = ['--config', path]
    # gunicorn's control socket lives in $HOME/.gunicorn: keep it short.
    home = tempfile.mkdtemp(prefix='gm-home-')
    server = servers.Server(data_dir, processes.free_port(),
                            str(base / 'server.log'), home=home,
                            extra_args=extra, any_member_id=any_member_id)
    try:
        yield Embedded(server.start())
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)
