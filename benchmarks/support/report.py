"""What a benchmark result records besides its numbers: the machine, the
commit, the versions; and the progress log on stderr."""

import os
import platform
import sqlite3
import subprocess
import sys
import time
from importlib import metadata

REPO = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
MiB = 1024 * 1024


def log(msg):
    print('[bench %s] %s' % (time.strftime('%H:%M:%S'), msg),
          file=sys.stderr, flush=True)


def machine():
    import psutil  # here: image_data.py runs without it
    cpu = '?'
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return {'nproc': os.cpu_count(),
            'memory_mib': round(psutil.virtual_memory().total / MiB),
            'cpu_model': cpu, 'platform': platform.platform(),
            'python': platform.python_version()}


def git_info():
    """(HEAD's commit, whether glance_members/ differs from it)."""
    try:
        commit = subprocess.check_output(['git', 'rev-parse', 'HEAD'],
                                         cwd=REPO, text=True).strip()
        dirty = subprocess.run(['git', 'diff', '--quiet', 'HEAD', '--',
                                'glance_members'], cwd=REPO).returncode != 0
        return commit, dirty
    except (OSError, subprocess.CalledProcessError):
        return None, None


def sqlite_version():
    return sqlite3.sqlite_version


def version(name):
    """The installed version of distribution `name`, or None."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None
