"""A private MariaDB server (and a three-node Galera cluster) for the tests.

Debian's `mariadb-server` (mariadbd, mariadb-install-db) and, for Galera,
`galera-4` (libgalera_smm.so) and `rsync` (the state transfer to a node that
rejoins) are used; when they are missing and we run as root, they are
installed with apt-get. Each server gets a data directory made by
mariadb-install-db in a temporary directory, owned by an unprivileged user
(the `mysql` system user when there is one, else `gmtest`), and runs as that
user on 127.0.0.1 with ports of its own and a Unix socket in its own
directory. It is stopped by its own PID (SIGTERM, then SIGKILL), never by
killing processes by name.

The application connects over TCP as a password user
(`mysql+pymysql://glance:...@127.0.0.1:PORT/DB`); the helpers here connect as
the server's root over the Unix socket.

Its pytest fixtures: tests/support/mariadb.py.
"""

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid


from testbed import debian
from testbed import processes

APP_USER = 'glance'
APP_PASSWORD = 'gm-test-pw'
FALLBACK_OS_USER = 'gmtest'
MARIADBD = '/usr/sbin/mariadbd'
INSTALL_DB = '/usr/bin/mariadb-install-db'
GALERA_PROVIDER = '/usr/lib/galera/libgalera_smm.so'
START_TIMEOUT = 90
# Small and not durable across an OS crash: test servers, many at once.
_FAST = ['--innodb-buffer-pool-size=32M', '--innodb-log-file-size=16M',
         '--innodb-flush-log-at-trx-commit=2', '--innodb-doublewrite=0',
         '--performance-schema=OFF', '--skip-name-resolve',
         '--max-connections=300', '--skip-log-bin',
         '--character-set-server=utf8mb4']


Unavailable = debian.Unavailable


def ensure_installed(galera=False):
    wanted = {'mariadb-server': MARIADBD, 'galera-4': GALERA_PROVIDER,
              'rsync': shutil.which('rsync') or '/usr/bin/rsync'}
    if not galera:
        wanted = {'mariadb-server': MARIADBD}
    missing = [p for p, path in wanted.items() if not os.path.exists(path)]
    if missing:
        debian.install(*missing)
    for package, path in wanted.items():
        if not os.path.exists(path):
            raise Unavailable('%s (%s) is missing after installing'
                              % (path, package))


def _os_user():
    """The unprivileged user to run the servers as (None: ourselves)."""
    return processes.unprivileged_user(['mysql'], FALLBACK_OS_USER,
                                       Unavailable)


class Server:
    """One mariadbd with its own data directory under `base`."""

    def __init__(self, base, name='mariadb', os_user=None):
        self.base = os.path.join(base, name)
        self.name = name
        self.os_user = os_user
        self.datadir = os.path.join(self.base, 'data')
        self.socket = os.path.join(self.base, 'mysqld.sock')
        self.logfile = os.path.join(self.base, 'error.log')
        self.port = None
        self.process = None
        self.extra_args = []
        self._admin = None
        os.makedirs(self.base)
        self._own(self.base)

    def _own(self, path):
        if self.os_user is not None:
            for root, dirs, files in os.walk(path):
                for entry in [root] + [os.path.join(root, n)
                                       for n in dirs + files]:
                    os.lchown(entry, self.os_user.pw_uid,
                              self.os_user.pw_gid)

    def _as_user(self):
        if self.os_user is None:
            return {}
        return {'user': self.os_user.pw_uid, 'group': self.os_user.pw_gid,
                'extra_groups': []}

    def install(self):
        """mariadb-install-db: root@localhost without a password."""
        proc = subprocess.run(
            [INSTALL_DB, '--no-defaults', '--datadir=%s' % self.datadir,
             '--auth-root-authentication-method=normal', '--skip-test-db',
             '--skip-name-resolve'] +
            (['--user=%s' % self.os_user.pw_name] if self.os_user else []),
            cwd=self.base, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, timeout=180)
        if proc.returncode != 0:
            raise Unavailable('mariadb-install-db failed (%d):\n%s'
                              % (proc.returncode, proc.stdout[-3000:]))
        self._own(self.base)
        return self

    def argv(self):
        return [MARIADBD, '--no-defaults', '--datadir=%s' % self.datadir,
                '--port=%d' % self.port, '--bind-address=127.0.0.1',
                '--socket=%s' % self.socket,
                '--pid-file=%s' % os.path.join(self.base, 'mysqld.pid'),
                '--log-error=%s' % self.logfile] + _FAST + self.extra_args

    def start(self, wait=True):
        if self.port is None:
            self.port = processes.free_port()
        self.process = subprocess.Popen(
            self.argv(), cwd=self.base, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, **self._as_user())
        atexit.register(self.stop)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise Unavailable('mariadbd %s exited with %s:%s' % (
                    self.name, self.process.returncode, self.log_tail()))
            try:
                self.admin_execute('SELECT 1')
                return self
            except Exception:  # noqa: BLE001 - not up yet
                self._admin = None
                time.sleep(0.2)
        raise Unavailable('mariadbd %s not ready in %ss:%s'
                          % (self.name, timeout, self.log_tail()))

    def log_tail(self):
        try:
            with open(self.logfile, errors='replace') as f:
                return '\n--- %s ---\n%s' % (self.logfile, f.read()[-3000:])
        except OSError:
            return ''

    def kill(self):
        """SIGKILL, as a crash: no shutdown, no goodbye to the cluster."""
        self._close_admin()
        if self.process is not None:
            processes.kill_group(self.process)
            self.process = None

    def stop(self, timeout=60):
        """SIGTERM (a clean shutdown), SIGKILL if it lingers."""
        self._close_admin()
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            processes.kill_group(process)

    def remove(self):
        """Stop, and remove the data (and start_server's directory)."""
        self.stop()
        shutil.rmtree(getattr(self, 'tmp_base', None) or self.base,
                      ignore_errors=True)

    # --- SQL as root ------------------------------------------------------

    def admin_connection(self, database=None):
        import pymysql
        return pymysql.connect(unix_socket=self.socket, user='root',
                               password='', database=database,
                               autocommit=True, charset='utf8mb4',
                               connect_timeout=5, read_timeout=60)

    def _close_admin(self):
        if self._admin is not None:
            try:
                self._admin.close()
            except Exception:  # noqa: BLE001 - it may be dead already
                pass
            self._admin = None

    def admin_execute(self, sql, params=None):
        if self._admin is None or not self._admin.open:
            self._admin = self.admin_connection()
        with self._admin.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else None

    def status(self, name):
        rows = self.admin_execute("SHOW GLOBAL STATUS LIKE %s", (name,))
        return rows[0][1] if rows else None

    # --- databases --------------------------------------------------------

    def create_app_user(self):
        self.admin_execute("CREATE USER IF NOT EXISTS '%s'@'%%' IDENTIFIED "
                           "BY '%s'" % (APP_USER, APP_PASSWORD))
        self.admin_execute("GRANT ALL PRIVILEGES ON *.* TO '%s'@'%%'"
                           % APP_USER)

    def url(self, dbname, port=None):
        return 'mysql+pymysql://%s:%s@127.0.0.1:%d/%s?charset=utf8mb4' % (
            APP_USER, APP_PASSWORD, port or self.port, dbname)

    def create_database(self, name=None):
        """A new empty database (utf8mb4); its URL."""
        name = name or 'gm_%s' % uuid.uuid4().hex[:16]
        self.admin_execute('CREATE DATABASE `%s` CHARACTER SET utf8mb4'
                           % name)
        return self.url(name)

    def drop_database(self, name_or_url):
        name = name_or_url.split('?')[0].rsplit('/', 1)[-1]
        self.admin_execute('DROP DATABASE IF EXISTS `%s`' % name)

    def empty_tables(self, conn, tables):
        """DELETE every row of `tables` (children first) on `conn`, an
        admin connection to the database."""
        with conn.cursor() as cur:
            cur.execute('SET SESSION innodb_lock_wait_timeout = 10')
            for table in tables:
                cur.execute('DELETE FROM `%s`' % table)


def start_server(base=None):
    """A started single MariaDB with the application's password user."""
    ensure_installed()
    base = base or tempfile.mkdtemp(prefix='gm-mariadb-')
    os.chmod(base, 0o755)
    server = Server(base, os_user=_os_user()).install()
    server.tmp_base = base
    server.start()
    server.create_app_user()
    return server


# --- Galera --------------------------------------------------------------

class Cluster:
    """Three MariaDB Galera nodes on 127.0.0.1, each with its own mysql,
    group communication (gmcast), IST and SST ports and data directory.

    The first node's data directory is made once and copied to the others
    before any of them starts, so that they join without a state transfer;
    a node that was killed rejoins with IST (from a donor's gcache) or, if
    it must, an rsync SST."""

    def __init__(self, size=3):
        ensure_installed(galera=True)
        self.base = tempfile.mkdtemp(prefix='gm-galera-')
        os.chmod(self.base, 0o755)
        self.os_user = _os_user()
        self.name = 'gm_galera_%s' % uuid.uuid4().hex[:8]
        self.nodes = [Server(self.base, 'node%d' % i, self.os_user)
                      for i in range(size)]
        for node in self.nodes:
            node.port = processes.free_port()
            node.gcomm_port = processes.free_port()
            node.ist_port = processes.free_port()
            node.sst_port = processes.free_port()

    def _wsrep_args(self, node):
        peers = ','.join('127.0.0.1:%d' % n.gcomm_port for n in self.nodes)
        provider = ';'.join([
            'gmcast.listen_addr=tcp://127.0.0.1:%d' % node.gcomm_port,
            'ist.recv_addr=127.0.0.1:%d' % node.ist_port,
            'gcache.size=64M', 'pc.recovery=false',
            # A dead peer is noticed in about 3 s (defaults: 5-15 s).
            'evs.suspect_timeout=PT3S', 'evs.inactive_timeout=PT5S',
            'evs.install_timeout=PT4S', 'evs.keepalive_period=PT0.5S',
            'evs.inactive_check_period=PT0.5S'])
        return ['--wsrep-on=ON', '--wsrep-provider=%s' % GALERA_PROVIDER,
                '--wsrep-cluster-name=%s' % self.name,
                '--wsrep-cluster-address=gcomm://%s' % peers,
                '--wsrep-node-name=%s' % node.name,
                '--wsrep-node-address=127.0.0.1:%d' % node.gcomm_port,
                '--wsrep-node-incoming-address=127.0.0.1:%d' % node.port,
                '--wsrep-sst-receive-address=127.0.0.1:%d' % node.sst_port,
                '--wsrep-sst-method=rsync',
                '--wsrep-provider-options=%s' % provider,
                '--binlog-format=ROW', '--default-storage-engine=InnoDB',
                '--innodb-autoinc-lock-mode=2', '--wsrep-slave-threads=2']

    def start(self):
        first = self.nodes[0]
        first.install()
        # Bootstrap alone, add the users, stop cleanly: its data directory
        # (grastate.dat with the cluster's uuid and seqno) seeds the others.
        first.extra_args = self._wsrep_args(first) + ['--wsrep-new-cluster']
        first.start()
        first.create_app_user()
        first.stop()
        for node in self.nodes[1:]:
            shutil.copytree(first.datadir, node.datadir, symlinks=True)
            node._own(node.base)
        first.start()
        first.extra_args = self._wsrep_args(first)  # later restarts join
        for node in self.nodes[1:]:
            node.extra_args = self._wsrep_args(node)
            node.start(wait=False)
        for node in self.nodes[1:]:
            node.wait_ready()
        self.wait_synced()
        return self

    def wait_synced(self, nodes=None, size=None, timeout=START_TIMEOUT):
        """Until every node of `nodes` (default: all) is Synced in a
        primary component of `size` nodes (default: len(nodes))."""
        nodes = nodes or self.nodes
        size = size or len(nodes)
        deadline = time.monotonic() + timeout
        while True:
            try:
                states = [(n.status('wsrep_local_state_comment'),
                           n.status('wsrep_cluster_size')) for n in nodes]
                if all(s == ('Synced', str(size)) for s in states):
                    return
            except Exception as e:  # noqa: BLE001 - a node still starting
                states = repr(e)
            if time.monotonic() > deadline:
                raise Unavailable('Galera not synced: %s%s' % (
                    states, ''.join(n.log_tail() for n in nodes)))
            time.sleep(0.3)

    def restart(self, node):
        """Start a killed node again: it rejoins (IST or SST) and syncs."""
        node.start(wait=False)
        node.wait_ready()
        self.wait_synced()

    def url(self, node, dbname):
        return node.url(dbname)

    def create_database(self, name=None):
        return self.nodes[0].create_database(name)

    def stop(self):
        for node in reversed(self.nodes):
            node.stop()
        shutil.rmtree(self.base, ignore_errors=True)
