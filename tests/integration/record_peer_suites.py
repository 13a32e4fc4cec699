"""Record what the peer suites give against a real Glance 33.0.0.

    python -m tests.integration.record_peer_suites [--also-here]

Brings up the test Keystone (testbed/stack), Glance 33
(testbed/glance33.py) as the image endpoint of region GlanceRegion,
runs tempest's ``tempest.api.image.v2`` and the clients' functional image
tests against it (tests/support/peer_suites.py) and writes every test's
outcome to tests/data/peer_suites_glance33.json. ``--also-here`` runs them
against glance-members too (region PeerRegion) and prints what
``peer_suites.judge`` finds.
"""

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tests.support import peer_suites
from testbed.stack import control
from tests.support import tempest_runner
from testbed import glance33
from tests.support import keystone as ks_support
from testbed import keystone_service
from testbed import processes


def run_all(keystone, region, workdir, image_url):
    results, seconds = {}, {}
    t0 = time.monotonic()
    workspace = tempest_runner.TempestWorkspace(
        Path(workdir) / 'tempest' / 'workspace', keystone, region).setup()
    run = workspace.run(peer_suites.TEMPEST_REGEX)
    results['tempest'] = peer_suites.tempest_outcomes(run)
    seconds['tempest'] = time.monotonic() - t0
    peer_suites.prepare_region(keystone, region, image_url)
    suites = peer_suites.ClientSuites(keystone, region,
                                      Path(workdir) / 'clients')
    for suite in peer_suites.SUITES:
        t0 = time.monotonic()
        results[suite] = suites.run(suite)
        seconds[suite] = time.monotonic() - t0
    return results, seconds


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument('--also-here', action='store_true')
    ap.add_argument('--keep', action='store_true',
                    help='keep the work directory')
    args = ap.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix='gm-peer-record-'))
    server, ids, info = control.up(workdir / 'keystone',
                                   processes.free_port())
    stack = ks_support.KeystoneStack(server, ids, info)
    glance = gm = None
    try:
        glance = glance33.GlanceServer(workdir / 'glance', stack).start()
        stack.register_image_endpoint(glance.url, 'GlanceRegion')
        results, seconds = run_all(stack, 'GlanceRegion', workdir / 'g',
                                   glance.url)
        peer_suites.GLANCE33_OUTCOMES.write_text(
            json.dumps(results, indent=1, sort_keys=True) + '\n')
        for suite, outcomes in results.items():
            print('Glance 33 %s: %s (%.0f s)' % (
                suite, peer_suites.counts(outcomes), seconds[suite]))
        if args.also_here:
            gm = keystone_service.start_service(
                stack, str(workdir / 'gm'), region='PeerRegion')
            here, seconds = run_all(stack, 'PeerRegion', workdir / 'h',
                                    gm.url)
            for suite, outcomes in here.items():
                print('here %s: %s (%.0f s)' % (
                    suite, peer_suites.counts(outcomes), seconds[suite]))
                for problem in peer_suites.judge(suite, outcomes, results):
                    print('  ' + problem.splitlines()[0])
            (workdir / 'here.json').write_text(json.dumps(here, indent=1))
    finally:
        if gm is not None:
            gm.server.stop()
        if glance is not None:
            glance.stop()
        server.stop()
        if args.keep:
            print('work directory: %s' % workdir, file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == '__main__':
    main()
