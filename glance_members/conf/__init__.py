"""oslo.config options, one list per group, and list_opts() for
oslo-config-generator."""

import os
import warnings

from oslo_config import cfg

from glance_members.conf import console
from glance_members.conf import glance

DEFAULT_DATA_DIR = './glance-members-data'

default_opts = [
    cfg.StrOpt('data_dir', default=DEFAULT_DATA_DIR,
               help='Directory of the embedded default: the SQLite database '
                    'and the static token file live here.'),
    cfg.StrOpt('bind_host', default='127.0.0.1', help='Address to listen on.'),
    cfg.PortOpt('bind_port', default=9292, help='Port to listen on.'),
    cfg.IntOpt('workers', min=1,
               help='Number of WSGI worker processes. Default: the number '
                    'of CPUs, as Glance (the benchmarks found one process '
                    'per core best).'),
    cfg.IntOpt('threads', default=2, min=1,
               help='Request threads per worker process (beyond 2, they '
                    'only queue for the GIL: same throughput, longer '
                    'tails).'),
    cfg.StrOpt('public_endpoint',
               help='Public URL of this service, used in the versions '
                    'document (as Glance\'s option of the same name).'),
    cfg.IntOpt('image_member_quota', default=128,
               help='Maximum number of image members per image. '
                    'A negative value means unlimited (as in Glance).'),
    cfg.IntOpt('image_property_quota', default=128,
               help='Maximum number of user properties per image; '
                    'negative means unlimited.'),
    cfg.IntOpt('image_tag_quota', default=128,
               help='Maximum number of tags per image; negative means '
                    'unlimited.'),
    cfg.IntOpt('limit_param_default', default=25, min=1,
               help='Default page size of GET /v2/images.'),
    cfg.IntOpt('api_limit_max', default=1000, min=1,
               help='Largest page size of GET /v2/images.'),
    cfg.IntOpt('max_request_body_size', default=65536, min=1024,
               help='Largest request body that is not image data (a JSON '
                    'document, a console form), in bytes; a larger one is '
                    'answered 413. glance-members serve reads such a body '
                    'whole before the application runs, so this also '
                    'bounds the memory one request holds.'),
    cfg.StrOpt('log_config_append',
               help='A standard Python logging config file (fileConfig); '
                    'the same option name as oslo.log.'),
    cfg.BoolOpt('debug', default=False, help='Log at DEBUG level.'),
    cfg.IntOpt('image_size_cap', default=1099511627776, min=1,
               help='Largest image upload in bytes (Glance\'s option; '
                    'default 1 TiB).'),
    cfg.StrOpt('hashing_algorithm', default='sha512',
               help='hashlib algorithm for os_hash_value (Glance\'s '
                    'option).'),
]

database_opts = [
    cfg.StrOpt('connection',
               help='Database URL. Default: sqlite:///<data_dir>/'
                    'glance-members.sqlite. SQLite runs in WAL mode.'),
    cfg.IntOpt('busy_timeout', default=30000,
               help='SQLite busy timeout in milliseconds.'),
]

auth_opts = [
    cfg.StrOpt('backend', default='static', choices=['static', 'keystone'],
               help='Where tokens are validated: a static token file, or '
                    'Keystone through keystonemiddleware.'),
]

static_auth_opts = [
    cfg.StrOpt('token_file',
               help='YAML or JSON file mapping tokens to identities. '
                    'Default: <data_dir>/tokens.yaml.'),
]

image_format_opts = [
    cfg.BoolOpt('require_image_format_match', default=True,
                help='Inspect uploads and refuse (415) those whose content '
                     'does not match their disk_format or cannot be '
                     'inspected (Glance\'s option). A failed safety check '
                     'refuses an upload either way.'),
    cfg.ListOpt('gpt_safety_checks_nonfatal', default=[],
                help='Safety checks ("mbr", "gptmbr") that do not refuse an '
                     'upload detected as a GPT disk (Glance\'s option; '
                     'relaxing them is not recommended).'),
    cfg.ListOpt('vmdk_allowed_types',
                default=['streamOptimized', 'monolithicSparse'],
                help='VMDK create types an upload may be; empty refuses '
                     'every VMDK (Glance\'s option, which Glance applies '
                     'to conversions only).'),
]

sharing_opts = [
    cfg.BoolOpt('enabled', default=True,
                help='Serve the sharing extension API under /sharing/v1 '
                     '(inbox, bulk decisions, trusted producers, batch '
                     'share and revoke, expiry, history) beside /v2.'),
    cfg.BoolOpt('verify_members', default=False,
                help='Refuse (400) a new member id that is not an existing, '
                     'enabled project (Keystone, looked up with the '
                     '[keystone_authtoken] credentials; or the static token '
                     'file), on /v2 and in batch. Keystone unreachable is a '
                     '503. Off by default, as Glance accepts any id.'),
    cfg.IntOpt('directory_cache_time', default=30, min=0,
               help='Seconds a project lookup of the recipient check is '
                    'remembered.'),
]

server_opts = [
    cfg.FloatOpt('request_head_timeout', default=30.0, min=1,
                 help='Seconds a client has to send a request line and '
                      'headers, from connecting (or from its first byte '
                      'after a previous response); past it the server '
                      'answers 408 and closes the connection.'),
    cfg.FloatOpt('body_idle_timeout', default=60.0, min=1,
                 help='Seconds a request body may go without a byte '
                      'arriving before the request fails: 408 if the '
                      'application has not started, otherwise the upload '
                      'fails as a client disconnect (400).'),
    cfg.FloatOpt('keepalive_timeout', default=60.0, min=0.5,
                 help='Seconds an idle keep-alive connection stays open '
                      'between requests.'),
    cfg.IntOpt('max_header_size', default=65536, min=1024,
               help='Largest request head (request line and headers) in '
                    'bytes; a larger one is answered 431.'),
    cfg.IntOpt('max_connections', default=4096, min=1,
               help='Open client connections (and requests in flight) '
                    'per worker process; beyond it a request is answered '
                    '503.'),
    cfg.IntOpt('max_streaming_requests', default=64, min=1,
               help='Image uploads and downloads running at once per '
                    'worker, each on a thread of its own; beyond it they '
                    'are answered 503.'),
    cfg.FloatOpt('shutdown_timeout', default=60.0, min=0,
                 help='On SIGTERM (and for the old workers on SIGHUP), '
                      'seconds to let requests in flight, uploads '
                      'included, finish before they are cut.'),
]

GROUPS = (
    (None, default_opts),
    ('image_format', image_format_opts),
    ('database', database_opts),
    ('auth', auth_opts),
    ('static_auth', static_auth_opts),
    ('sharing', sharing_opts),
    ('server', server_opts),
    (console.GROUP, console.console_opts),
    (None, glance.backend_opts),
    (glance.GROUP, glance.glance_opts),
)


def register_opts(conf):
    for group, opts in GROUPS:
        conf.register_opts(opts, group=group)
    # keystoneauth's options of [glance] (the service identity).
    glance.register_keystoneauth_opts(conf)
    # The image store is glance_store's, configured in [glance_store] as in
    # glance-api.conf; the embedded default keeps files under data_dir.
    import glance_store
    glance_store.register_opts(conf)
    conf.set_default('filesystem_store_datadir', None, group='glance_store')
    # /healthcheck: oslo.middleware's options, with our defaults.
    from oslo_middleware.healthcheck import opts as healthcheck_opts
    conf.register_opts(healthcheck_opts.HEALTHCHECK_OPTS, group='healthcheck')
    conf.register_opts(healthcheck_opts.DISABLE_BY_FILE_OPTS,
                       group='healthcheck')
    # Behind a TLS proxy: X-Forwarded-Proto/Host, only where
    # [oslo_middleware] enable_proxy_headers_parsing says so (as Glance).
    from oslo_middleware import http_proxy_to_wsgi
    conf.register_opts(http_proxy_to_wsgi.OPTS, group='oslo_middleware')
    conf.set_default('backends', ['disable_by_file', 'database'],
                     group='healthcheck')
    # Notifications: oslo.messaging's own options ([DEFAULT] transport_url,
    # [oslo_messaging_notifications] driver, ...), as in glance-api.conf.
    with warnings.catch_warnings():
        # oslo.messaging still imports eventlet; we never use it.
        warnings.filterwarnings('ignore', message='.*[Ee]ventlet')
        from oslo_messaging import opts as messaging_opts
    for group, opts in messaging_opts.list_opts():
        if group in (None, 'DEFAULT', 'oslo_messaging_notifications',
                     'oslo_messaging_rabbit'):
            conf.register_opts(opts, group=None if group == 'DEFAULT'
                               else group)
    # A broker that is down must not hold a request (whose write has
    # committed) for ever: oslo.messaging's default is to retry endlessly.
    conf.set_default('retry', 3, group='oslo_messaging_notifications')
    conf.set_default('stores', ['file'], group='glance_store')


def new_conf(args=(), config_file=None, overrides=None):
    """A fresh ConfigOpts with every option registered and files parsed."""
    conf = cfg.ConfigOpts()
    register_opts(conf)
    files = [config_file] if config_file else []
    conf(list(args), project='glance-members', default_config_files=files,
         default_config_dirs=[])
    for key, value in (overrides or {}).items():
        group, _, name = key.rpartition('.')
        conf.set_override(name, value, group=group or None)
    return conf


def check(conf):
    """Read every option of ours once: oslo.config parses values lazily,
    so a bad value would otherwise surface in the first request that
    reads it. Raises oslo_config.cfg.Error."""
    for group, opts in GROUPS:
        section = conf if group is None else getattr(conf, group)
        for opt in opts:
            getattr(section, opt.dest)


def database_url(conf):
    return conf.database.connection or 'sqlite:///' + os.path.join(
        os.path.abspath(conf.data_dir), 'glance-members.sqlite')


def image_dir(conf):
    return conf.glance_store.filesystem_store_datadir or os.path.join(
        os.path.abspath(conf.data_dir), 'images')


def console_state_path(conf):
    return conf.console.state_path or os.path.join(
        os.path.abspath(conf.data_dir), 'console-sessions.sqlite')


def token_file(conf):
    return conf.static_auth.token_file or os.path.join(
        os.path.abspath(conf.data_dir), 'tokens.yaml')


def list_opts():
    listed = {}
    for group, opts in GROUPS + tuple(glance.list_opts()):
        listed.setdefault(group or 'DEFAULT', [])
        listed[group or 'DEFAULT'] += [
            o for o in opts if o not in listed[group or 'DEFAULT']]
    return list(listed.items())
