"""[console]: the web console for image sharing, at /console/."""

from oslo_config import cfg

GROUP = 'console'

console_opts = [
    cfg.BoolOpt('enabled', default=True,
                help='Serve the web console at /console/ beside the API '
                     '(glance-members serve).'),
    cfg.StrOpt('auth_url',
               help='Keystone URL (with or without /v3) for password '
                    'sign-in. Unset: [keystone_authtoken] '
                    'www_authenticate_uri (or auth_url) when the service '
                    'validates tokens with Keystone; otherwise sign-in '
                    'takes a token of the static token file.'),
    cfg.StrOpt('image_endpoint',
               help='The image API the console calls, overriding the '
                    'Keystone catalog (for `glance-members console` in '
                    'front of a cloud whose tokens carry no catalog).'),
    cfg.StrOpt('region_name', default='RegionOne',
               help='Region name shown for the image API of this process '
                    'or of image_endpoint (the catalog names its own).'),
    cfg.StrOpt('interface', default='public',
               choices=['public', 'internal', 'admin'],
               help='Which catalog endpoints of the image service to use.'),
    cfg.IntOpt('session_idle_timeout', default=1800, min=60,
               help='Seconds without a request after which a console '
                    'session ends.'),
    cfg.IntOpt('session_absolute_timeout', default=43200, min=60,
               help='Seconds after sign-in at which a console session '
                    'ends whatever its use.'),
    cfg.StrOpt('secure_cookies', default='auto',
               choices=['auto', 'always', 'never'],
               help='Mark the session cookie Secure: auto does so when the '
                    'request came over HTTPS (wsgi.url_scheme, as set by '
                    'the server or a proxy middleware).'),
    cfg.StrOpt('state_path',
               help='SQLite file of the console sessions, shared by the '
                    'worker processes of one host. Default: '
                    '<data_dir>/console-sessions.sqlite.'),
    cfg.FloatOpt('api_timeout', default=30.0, min=1,
                 help='Seconds the console waits for the image API or '
                      'Keystone over HTTP.'),
]


def list_opts():
    return [(GROUP, console_opts)]
