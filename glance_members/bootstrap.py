"""First start of the embedded default: a data directory with a SQLite
database and a static token file holding an admin and two demo projects."""

import os
import secrets
import uuid

import yaml

# Keystone's default roles imply each other (admin > member > reader) and
# tokens list the implied ones; the file lists them too.
DEMO_IDENTITIES = (
    ('admin', ['admin', 'member', 'reader']),
    ('producer', ['member', 'reader']),
    ('consumer', ['member', 'reader']),
)


def ensure_token_file(path):
    """Create the token file (mode 0600) if missing; return its tokens as
    {name: (token, identity)} when created, else None."""
    if os.path.exists(path):
        return None
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    created, document = {}, {}
    for name, roles in DEMO_IDENTITIES:
        token = 'gm-' + secrets.token_urlsafe(24)
        identity = {'user_id': uuid.uuid4().hex, 'user_name': name,
                    'project_id': uuid.uuid4().hex, 'project_name': name,
                    'roles': roles}
        document[token] = identity
        created[name] = (token, identity)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write('# glance-members static tokens: token -> identity.\n')
        yaml.safe_dump(document, f, default_flow_style=False, sort_keys=False)
    return created
