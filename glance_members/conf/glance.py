"""[glance]: beside an existing Glance, how to reach its image API (the
service identity, keystoneauth's own options) and its notifications, and
how the local mirror of its memberships is kept fresh."""

from keystoneauth1 import loading
from oslo_config import cfg

GROUP = 'glance'
BACKENDS = ('local', 'glance')

backend_opts = [
    cfg.StrOpt('image_backend', default='local', choices=BACKENDS,
               help='Where images and memberships live: "local", this '
                    'service\'s own database (it is the image service), '
                    'or "glance", an existing Glance beside which it runs '
                    '(configured in [glance]; /v2 is then Glance\'s).'),
]

glance_opts = [
    cfg.StrOpt('notifications_transport_url', secret=True,
               help='oslo.messaging URL of the broker Glance sends its '
                    'notifications to (rabbit://user:password@host:port/'
                    'vhost). Unset: [DEFAULT] transport_url.'),
    cfg.StrOpt('notifications_topic', default='notifications',
               help='Topic of Glance\'s notifications (its '
                    '[oslo_messaging_notifications] topics).'),
    cfg.StrOpt('notifications_exchange', default='glance',
               help='Exchange Glance sends its notifications on (its '
                    '[DEFAULT] control_exchange, "glance" by default).'),
    cfg.StrOpt('notifications_pool', default='glance-members',
               help='Listener pool name: every glance-members host with '
                    'the same pool shares one queue, so each notification '
                    'is applied by one of them (other consumers of '
                    'Glance\'s notifications are not affected).'),
    cfg.IntOpt('reconcile_interval', default=300, min=0,
               help='Seconds between two runs of the periodic '
                    'reconciliation, which re-reads a batch of images from '
                    'Glance to repair what a lost notification left '
                    'stale; 0 disables it.'),
    cfg.IntOpt('reconcile_batch_size', default=200, min=1,
               help='Images the periodic reconciliation re-reads per run '
                    '(a rotating cursor: every image is visited in turn).'),
    cfg.IntOpt('sync_page_size', default=1000, min=1,
               help='Images per page when listing Glance\'s images (its '
                    'api_limit_max caps it; 1000 by default).'),
    cfg.IntOpt('sync_workers', default=4, min=1,
               help='Member lists read from Glance at once by the '
                    'initial sync and the reconciliation.'),
]


# The image service of the catalog, preferably its internal endpoint; a
# Glance that hangs is a 503 after this many seconds, not a request held
# for ever (keystoneauth's default: no timeout).
ADAPTER_DEFAULTS = {'service_type': 'image',
                    'valid_interfaces': ['internal', 'public'],
                    'timeout': 30}


def register_keystoneauth_opts(conf):
    """keystoneauth's options in [glance] (ours are in conf.GROUPS)."""
    # The service identity and the endpoint, as Nova's and Cinder's
    # [glance] sections spell them: keystoneauth's own options.
    loading.register_session_conf_options(conf, GROUP)
    loading.register_auth_conf_options(conf, GROUP)
    loading.register_adapter_conf_options(conf, GROUP)
    for name, value in ADAPTER_DEFAULTS.items():
        conf.set_default(name, value, group=GROUP)


def list_opts():
    """[glance] for oslo-config-generator (beside conf.GROUPS'):
    keystoneauth's options, the password plugin's included."""
    opts = loading.get_session_conf_options()
    opts += loading.get_auth_common_conf_options()
    opts += loading.get_auth_plugin_conf_options('password')
    opts += loading.get_adapter_conf_options(include_deprecated=False)
    opts = _unique(opts)
    for opt in opts:
        if opt.dest in ADAPTER_DEFAULTS:
            opt.default = ADAPTER_DEFAULTS[opt.dest]
    return [(GROUP, opts)]


def _unique(opts):
    seen, result = set(), []
    for opt in opts:
        if opt.dest not in seen:
            seen.add(opt.dest)
            result.append(opt)
    return result
