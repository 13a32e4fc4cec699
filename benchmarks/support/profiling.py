"""py-spy profiles of a server's workers under load, summarised by layer
(our code, Flask, peewee, the database driver, ...)."""

import collections
import os
import re
import sys
import shutil
import subprocess
import threading
import time

from benchmarks.support import report

PROFILE_DIR = os.path.join(report.REPO, 'benchmarks', 'results',
                           'sharing-profiles')


def py_spy_available():
    return shutil.which('py-spy') is not None


def profile(server, scratch, label, what, load, seconds, gil=False):
    """py-spy record (raw, 100 Hz) every worker while `load(duration)`
    (a wrk run, 8 connections) keeps them busy; aggregate the stacks.

    Without `gil`, every non-idle thread is sampled: wall time, including
    time in C calls that release the GIL (SQL, socket writes) and the
    wait to take the GIL back. With `gil` (py-spy --gil), only the thread
    holding the GIL: where the Python CPU goes."""
    pids = [w.pid for w in server.workers()]
    box = {}

    def run_load():
        try:
            box['result'] = load(seconds + 3)
        except Exception as e:  # noqa: BLE001 - reported below
            box['error'] = repr(e)
    loader = threading.Thread(target=run_load)
    loader.start()
    time.sleep(1.5)
    outs, procs = [], []
    for pid in pids:
        out = os.path.join(scratch, 'profile-%s-%d.txt' % (label, pid))
        outs.append(out)
        procs.append(subprocess.Popen(
            ['py-spy', 'record', '-p', str(pid), '-d', str(seconds),
             '-r', '100', '--format', 'raw', '-o', out] +
            (['--gil'] if gil else []),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    for p in procs:
        p.wait(timeout=seconds + 60)
    loader.join()
    stacks = collections.Counter()
    for out in outs:
        try:
            with open(out) as f:
                for line in f:
                    stack, _, count = line.rstrip('\n').rpartition(' ')
                    if stack:
                        stacks[stack] += int(count)
        except OSError:
            pass
    summary = summarize_profile(stacks, label, what)
    summary['mode'] = ('GIL holder only (py-spy --gil)' if gil else
                       'all non-idle threads')
    load_result = box.get('result') or {}
    summary['load_rps'] = (load_result.get('summary') or {}).get('rps')
    summary['load_error'] = box.get('error')
    # The folded stacks, merged over the workers (flamegraph.pl input).
    folded = os.path.join(PROFILE_DIR, '%s.folded' % label)
    os.makedirs(PROFILE_DIR, exist_ok=True)
    with open(folded, 'w') as f:
        for stack, count in sorted(stacks.items()):
            f.write('%s %d\n' % (stack, count))
    summary['folded'] = os.path.relpath(folded, report.REPO)
    return summary


_FRAME = re.compile(r'^(?P<func>.*) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$')


def _frame(text):
    m = _FRAME.match(text)
    if not m:
        return text, ''
    return m.group('func'), m.group('file')


def _short(path):
    for marker in ('/site-packages/', '/lib/python3.11/'):
        if marker in path:
            return path.split(marker, 1)[1]
    if path.startswith(report.REPO + '/'):
        return path[len(report.REPO) + 1:]
    return path


CATEGORIES = (
    ('glance_members', 'glance_members/'),
    ('peewee / playhouse', 'peewee.py'), ('peewee / playhouse', 'playhouse/'),
    ('sqlite3 (C)', 'sqlite3/'), ('psycopg', 'psycopg'),
    ('marshmallow', 'marshmallow/'), ('flask_smorest / apispec',
                                      'flask_smorest/'),
    ('flask', 'flask/'), ('werkzeug', 'werkzeug/'),
    ('keystonemiddleware', 'keystonemiddleware/'),
    ('keystoneauth1', 'keystoneauth1/'), ('oslo.policy', 'oslo_policy/'),
    ('oslo.context', 'oslo_context/'), ('oslo.config', 'oslo_config/'),
    ('oslo.serialization', 'oslo_serialization/'),
    ('oslo.cache / dogpile', 'oslo_cache/'), ('oslo.cache / dogpile',
                                              'dogpile/'),
    ('webob', 'webob/'), ('gunicorn', 'gunicorn/'),
    ('logging', 'logging/'), ('json', 'json/'), ('uuid', 'uuid.py'),
    ('datetime/_strptime', '_strptime.py'), ('datetime/_strptime',
                                             'datetime.py'),
)


def _category(file):
    for name, needle in CATEGORIES:
        if needle in file:
            return name
    return 'other: ' + _short(file).split('/')[0]


# Leaf frames of threads that wait for work, not work: the gthread pool
# threads blocked on their queue, the main thread in epoll.
IDLE_LEAVES = {('_worker', 'concurrent/futures/thread.py'),
               ('EpollSelector.select', 'selectors.py'),
               ('select', 'selectors.py'),
               ('Condition.wait', 'threading.py'),
               ('Event.wait', 'threading.py')}
# Leaf frames of threads waiting for a lock (time, not CPU).
LOCK_LEAVES = {('Handler.acquire', 'logging/__init__.py'),
               ('_acquireLock', 'logging/__init__.py')}


def _layer(frames):
    """The innermost frame's package that is not the standard library's
    plumbing (threading, selectors, socket...): who asked for the work."""
    for fn, fl in reversed(frames):
        cat = _category(fl)
        if not cat.startswith('other: '):
            return cat
        top = _short(fl).split('/')[0]
        if top.endswith('.py'):
            top = top[:-3]
        if not top.startswith('<') and top not in sys.stdlib_module_names:
            return top
    return 'other'


def summarize_profile(stacks, label, what):
    """Self and inclusive shares of the busy samples (idle pool threads and
    the main thread's epoll wait removed; lock waits counted apart)."""
    total = sum(stacks.values())
    idle = locks = 0
    self_time = collections.Counter()
    inclusive = collections.Counter()
    cat_self = collections.Counter()
    cat_incl = collections.Counter()
    layers = collections.Counter()
    for stack, count in stacks.items():
        frames = [_frame(f) for f in stack.split(';')]
        frames = [(fn, fl) for fn, fl in frames if fl or fn]
        if not frames:
            continue
        leaf = (frames[-1][0], _short(frames[-1][1]))
        if leaf in IDLE_LEAVES:
            idle += count
            continue
        if leaf in LOCK_LEAVES:
            locks += count
        self_time['%s (%s)' % leaf] += count
        cat_self[_category(frames[-1][1])] += count
        layers[_layer(frames)] += count
        seen, seen_cat = set(), set()
        for fn, fl in frames:
            key = '%s (%s)' % (fn, _short(fl))
            if key not in seen:
                seen.add(key)
                inclusive[key] += count
            cat = _category(fl)
            if cat not in seen_cat:
                seen_cat.add(cat)
                cat_incl[cat] += count
    busy = total - idle

    def pct(counter, n, only=None, skip=()):
        rows = []
        for key, count in counter.most_common():
            if only and only not in key:
                continue
            if any(x in key for x in skip):
                continue
            rows.append([key, round(100.0 * count / busy, 1) if busy else 0])
            if len(rows) == n:
                break
        return rows

    return {'label': label, 'what': what, 'samples': total,
            'busy_samples': busy, 'idle_samples': idle,
            'lock_wait_pct': round(100.0 * locks / busy, 1) if busy else 0,
            'self_top': pct(self_time, 30),
            'inclusive_glance_members': pct(
                inclusive, 40, only='glance_members/',
                skip=('glance_members/cmd/serve.py',)),
            'inclusive_top': pct(inclusive, 60),
            'category_self': pct(cat_self, 30),
            'layer_self': pct(layers, 30),
            'category_inclusive': pct(cat_incl, 30)}
