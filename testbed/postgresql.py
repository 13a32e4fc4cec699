"""A private PostgreSQL cluster for the tests.

Debian's server binaries (/usr/lib/postgresql/<version>/bin: initdb, pg_ctl,
postgres) are used; when they are missing and we run as root, they are
installed with apt-get. The cluster is created with initdb in a temporary
directory, owned by an unprivileged user (PostgreSQL refuses to run as root:
the `postgres` system user when there is one, else a `gmtest` user created
with useradd), started on 127.0.0.1 on a free port with a Unix socket in its
own directory, and stopped by its own control command (`pg_ctl stop -m
fast`), never by killing processes by name.

The application connects over TCP as a password user; the helpers here
connect as the cluster's superuser over the Unix socket (trust).

Its pytest fixtures: tests/support/postgresql.py.
"""

import atexit
import glob
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import uuid


from testbed import debian
from testbed import processes

APP_USER = 'glance'
APP_PASSWORD = 'gm-test-pw'
SUPERUSER = 'gmadmin'
FALLBACK_OS_USER = 'gmtest'


Unavailable = debian.Unavailable


def _version_key(path):
    match = re.search(r'/postgresql/([0-9.]+)/bin', path)
    return [int(p) for p in match.group(1).split('.')] if match else [0]


def find_bindir():
    """The newest Debian server bindir with initdb, pg_ctl and postgres,
    or None. GM_PG_BINDIR overrides."""
    candidates = []
    if os.environ.get('GM_PG_BINDIR'):
        candidates.append(os.environ['GM_PG_BINDIR'])
    candidates += sorted((os.path.dirname(p) for p in
                          glob.glob('/usr/lib/postgresql/*/bin/initdb')),
                         key=_version_key, reverse=True)
    for bindir in candidates:
        if all(os.access(os.path.join(bindir, exe), os.X_OK)
               for exe in ('initdb', 'pg_ctl', 'postgres')):
            return bindir
    return None


def ensure_bindir():
    bindir = find_bindir()
    if bindir is None:
        debian.install('postgresql')
        bindir = find_bindir()
    if bindir is None:
        raise Unavailable('no initdb/pg_ctl/postgres under '
                          '/usr/lib/postgresql/*/bin after installing')
    return bindir


def _os_user():
    """The unprivileged user to run the cluster as (None: ourselves)."""
    user = processes.unprivileged_user(['postgres'], FALLBACK_OS_USER,
                                       Unavailable)
    return user and user.pw_name


class Cluster:
    """One initdb'd cluster in a temporary directory."""

    def __init__(self, bindir=None):
        self.bindir = bindir or ensure_bindir()
        self.os_user = _os_user()
        self.base = tempfile.mkdtemp(prefix='gm-pg-')
        self.datadir = os.path.join(self.base, 'data')
        self.sockdir = os.path.join(self.base, 'sock')
        self.logfile = os.path.join(self.base, 'postgresql.log')
        self.port = None
        self.running = False
        self._admin = None
        os.makedirs(self.sockdir)
        if self.os_user:
            user = pwd.getpwnam(self.os_user)
            for path in (self.base, self.sockdir):
                os.chown(path, user.pw_uid, user.pw_gid)
            os.chmod(self.base, 0o755)

    # --- running the server's own commands --------------------------------

    def _run(self, *args, check=True):
        cmd = [os.path.join(self.bindir, args[0])] + list(args[1:])
        if self.os_user:
            cmd = ['runuser', '-u', self.os_user, '--'] + cmd
        proc = subprocess.run(cmd, cwd=self.base, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        if check and proc.returncode != 0:
            raise Unavailable('%s failed (%d):\n%s%s' % (
                ' '.join(cmd), proc.returncode, proc.stdout,
                self._log_tail()))
        return proc

    def _log_tail(self):
        try:
            with open(self.logfile) as f:
                return '\n--- postgresql.log ---\n' + f.read()[-3000:]
        except OSError:
            return ''

    def start(self):
        self._run('initdb', '-D', self.datadir, '-U', SUPERUSER,
                  '--auth-local=trust', '--auth-host=scram-sha-256',
                  '-E', 'UTF8', '--locale=C', '--no-sync')
        last = None
        for _ in range(5):
            self.port = processes.free_port()
            opts = ('-p %d -k %s -c listen_addresses=127.0.0.1 '
                    '-c fsync=off -c synchronous_commit=off '
                    '-c full_page_writes=off -c max_connections=300'
                    % (self.port, self.sockdir))
            proc = self._run('pg_ctl', '-D', self.datadir, '-l',
                             self.logfile, '-o', opts, '-w', '-t', '60',
                             'start', check=False)
            if proc.returncode == 0:
                break
            last = proc.stdout + self._log_tail()
            # The port may have been taken meanwhile: try another one.
            self._run('pg_ctl', '-D', self.datadir, '-m', 'immediate',
                      'stop', check=False)
        else:
            raise Unavailable('pg_ctl start failed:\n%s' % last)
        self.running = True
        atexit.register(self.stop)
        self.admin_execute(
            "CREATE ROLE %s LOGIN CREATEDB PASSWORD '%s'"
            % (APP_USER, APP_PASSWORD))
        return self

    def stop(self):
        """pg_ctl stop -m fast, then remove the directory."""
        if self._admin is not None:
            try:
                self._admin.close()
            except Exception:
                pass
            self._admin = None
        if self.running:
            self._run('pg_ctl', '-D', self.datadir, '-m', 'fast', '-w',
                      'stop', check=False)
            self.running = False
        shutil.rmtree(self.base, ignore_errors=True)

    # --- SQL as the superuser ---------------------------------------------

    def admin_connection(self, dbname='postgres'):
        import psycopg
        return psycopg.connect(host=self.sockdir, port=self.port,
                               user=SUPERUSER, dbname=dbname,
                               autocommit=True)

    def admin_execute(self, sql, params=None):
        if self._admin is None or self._admin.closed:
            self._admin = self.admin_connection()
        with self._admin.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else None

    # --- databases ----------------------------------------------------------

    def url(self, dbname, user=APP_USER, password=APP_PASSWORD):
        return 'postgresql://%s:%s@127.0.0.1:%d/%s' % (
            user, password, self.port, dbname)

    def create_database(self, name=None):
        """A new empty database owned by the password user; its URL."""
        name = name or 'gm_%s' % uuid.uuid4().hex[:16]
        self.admin_execute('CREATE DATABASE "%s" OWNER %s TEMPLATE template0'
                           % (name, APP_USER))
        return self.url(name)

    def drop_database(self, name_or_url):
        name = name_or_url.rsplit('/', 1)[-1]
        self.admin_execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)

    def empty_tables(self, conn, tables):
        """DELETE every row of `tables` (children first) on `conn`, an
        admin connection to the database, in one transaction."""
        conn.execute("SET lock_timeout = '10s'")
        with conn.transaction():
            for table in tables:
                conn.execute('DELETE FROM "%s"' % table)
