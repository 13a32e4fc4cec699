"""gunicorn's arbiter running uvicorn workers (worker.py) for a WSGI app."""

from gunicorn.app import base
from gunicorn import arbiter

from glance_members.server import limits as gm_limits
from glance_members.server import worker


def serve(load_app, host, port, workers, threads, limits=None, reread=None):
    """Serve the WSGI app `load_app()` builds (in each worker, after the
    fork) until SIGTERM (graceful) or SIGINT/SIGQUIT (at once).

    SIGHUP replaces the workers (new code, new configuration); `reread`, if
    given, runs in the master first and returns the new workers' limits."""
    worker.LIMITS['limits'] = limits or gm_limits.Limits()

    class Application(base.BaseApplication):
        loaded = False

        def load_config(self):
            # gunicorn calls this at start and again on SIGHUP.
            if self.loaded and reread is not None:
                worker.LIMITS['limits'] = reread()
            self.loaded = True
            limits = worker.LIMITS['limits']
            self.cfg.set('bind', '%s:%d' % (host, port))
            self.cfg.set('workers', workers)
            self.cfg.set('worker_class',
                         'glance_members.server.worker.Worker')
            self.cfg.set('threads', threads)
            # Our own access log has the request id, project and user.
            self.cfg.set('accesslog', None)
            # The heartbeat runs on the worker's loop, which never runs the
            # application: a long upload is not a hung worker.
            self.cfg.set('timeout', 120)
            self.cfg.set('graceful_timeout',
                         int(limits.shutdown_timeout) + 5)
            # No gunicorn control socket in $HOME: operators stop us with
            # signals, and two servers on one host must not collide.
            if 'control_socket_disable' in self.cfg.settings:
                self.cfg.set('control_socket_disable', True)

        def load(self):
            return load_app()

        def run(self):
            Arbiter(self).run()

    Application().run()


class Arbiter(arbiter.Arbiter):

    def stop(self, graceful=True):
        # Before the workers are told: they must know that nobody takes
        # over the listening socket (worker.Server.shutdown).
        worker.STOPPING.value = 1
        super().stop(graceful)
