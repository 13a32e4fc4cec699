"""python-openstackclient's plugin interface: the client for the image
sharing API, on OSC's own session, found through the catalog: its
`image-sharing` endpoint when there is one (glance-members beside an
existing Glance), else the `image` endpoint (glance-members is the image
service, the sharing API beside its /v2)."""

from keystoneauth1 import exceptions as ksa_exceptions
from osc_lib import utils

API_NAME = 'image_sharing'
API_VERSION_OPTION = 'os_image_sharing_api_version'
DEFAULT_API_VERSION = '1'
API_VERSIONS = {'1': 'glance_members.osc.client.SharingClient'}
SHARING_SERVICE = 'image-sharing'
NO_CATALOG = ('admin_token', 'token_endpoint', 'none', 'noauth')


def make_client(instance):
    client_class = utils.get_client_class(
        API_NAME, instance._api_version[API_NAME], API_VERSIONS)
    endpoint = instance.get_endpoint_for_service_type(
        'image', region_name=instance.region_name,
        interface=instance.interface)
    sharing = None
    # A token with no catalog (admin_token, none) answers its one endpoint
    # for every service type: there the image endpoint serves both.
    if getattr(instance, 'auth_plugin_name', None) not in NO_CATALOG:
        try:
            sharing = instance.get_endpoint_for_service_type(
                SHARING_SERVICE, region_name=instance.region_name,
                interface=instance.interface)
        except ksa_exceptions.EndpointNotFound:
            pass
    return client_class(instance.session, endpoint, sharing)


def build_option_parser(parser):
    parser.add_argument(
        '--os-image-sharing-api-version', metavar='<version>',
        default=utils.env('OS_IMAGE_SHARING_API_VERSION',
                          default=DEFAULT_API_VERSION),
        help='Image sharing API version, default=%s '
             '(Env: OS_IMAGE_SHARING_API_VERSION)' % DEFAULT_API_VERSION)
    return parser
