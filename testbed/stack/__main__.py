"""Command line: a real Keystone 30 on 127.0.0.1 for the integration tests.

    python -m testbed.stack up [--workdir DIR] [--port 5000]
        venv (cached), configure, start, identities; prints shell exports
        for the producer and the identities file.  Already running: prints.
        eval "$(python -m testbed.stack up)"
    python -m testbed.stack down [--workdir DIR]
        stops the Keystone recorded in DIR (by pid, after checking it).
    python -m testbed.stack status [--workdir DIR]
    python -m testbed.stack env USER [--workdir DIR]

DIR defaults to $GM_KEYSTONE_WORKDIR or /tmp/glance-members-keystone; the
venv lives in $GM_CACHE_DIR or ~/.cache/glance-members (--cache-dir).
Progress goes to stderr, the exports to stdout.
"""

import argparse
import json
import sys

from . import control
from .identities import USERS


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="python -m testbed.stack",
        description="Real Keystone 30 on 127.0.0.1 for integration tests.")
    sub = ap.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="start (idempotent), print exports")
    p_up.add_argument("--port", type=int, default=None,
                      help="default: the port recorded in the workdir, "
                           "else %d" % control.DEFAULT_PORT)
    p_up.add_argument("--cache-dir", default=None,
                      help="venv cache root (default $GM_CACHE_DIR or "
                           "~/.cache/glance-members)")
    p_up.add_argument("--user", default="producer",
                      choices=sorted(set(USERS) | {"admin"}),
                      help="whose exports to print (default producer)")
    p_down = sub.add_parser("down", help="stop the recorded Keystone")
    p_status = sub.add_parser("status", help="print status as JSON")
    p_env = sub.add_parser("env", help="print exports for USER")
    p_env.add_argument("user", choices=sorted(set(USERS) | {"admin"}))
    for p in (p_up, p_down, p_status, p_env):
        p.add_argument("--workdir", default=None,
                       help="state directory (default $GM_KEYSTONE_WORKDIR "
                            "or /tmp/glance-members-keystone)")
    args = ap.parse_args(argv)
    workdir = args.workdir or control.default_workdir()

    if args.command == "up":
        try:
            server, ids, info = control.up(workdir, args.port,
                                           args.cache_dir)
        except Exception as exc:  # message, not a traceback, for the shell
            print("[stack] ERROR: %s" % exc, file=sys.stderr)
            return 1
        if info["already_running"]:
            print("[stack] already running at %s (pid %s)"
                  % (server.auth_url, server.pid()), file=sys.stderr)
        sys.stdout.write(control.env_exports(ids, args.user, workdir))
        print("# identities: %s" % control.identities_path(workdir))
        return 0
    if args.command == "down":
        control.down(workdir)
        return 0
    if args.command == "status":
        st = control.status(workdir)
        print(json.dumps(st, indent=2))
        return 0 if st["running"] and st["answers"] else 1
    if args.command == "env":
        try:
            ids = control.load_identities(workdir)
        except OSError:
            print("[stack] no identities in %s; run up first" % workdir,
                  file=sys.stderr)
            return 1
        sys.stdout.write(control.env_exports(ids, args.user, workdir))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
