"""Which image endpoint serves each region: {region name: URL}; and,
beside an existing Glance, which image-sharing endpoint (/sharing/v1)."""

from glance_members.console import transport

IMAGE_SERVICE = 'image'
# glance-members beside an existing Glance: its own service type.
SHARING_SERVICE = 'image-sharing'


def from_catalog(service_catalog, interface, service_type=IMAGE_SERVICE):
    """The endpoints of a service type (image by default) in a Keystone
    catalog (keystoneauth1's ServiceCatalog), by region, sorted by region
    name."""
    found = service_catalog.get_endpoints_data(
        service_type=service_type, interface=interface)
    endpoints = {}
    for data in found.get(service_type, []):
        region = data.region_name or 'RegionOne'
        endpoints.setdefault(region, data.catalog_url or data.url)
    return dict(sorted(endpoints.items()))


def resolve(conf, catalog_endpoints=None, local=False):
    """The regions a console session works with: [console] image_endpoint
    when set, else the token's catalog, else (inside `glance-members
    serve`) this process's own API as one region."""
    section = conf.console
    if section.image_endpoint:
        return {section.region_name: section.image_endpoint}
    if catalog_endpoints:
        return dict(catalog_endpoints)
    if local:
        return {section.region_name: transport.LOCAL_ENDPOINT}
    return {}


def local_prefixes(conf):
    """URLs of this process's own API: catalog endpoints equal to one of
    them are called in-process too."""
    prefixes = [transport.LOCAL_ENDPOINT,
                'http://%s:%d' % (conf.bind_host, conf.bind_port)]
    if conf.bind_host in ('0.0.0.0', '::', '127.0.0.1'):
        prefixes.append('http://localhost:%d' % conf.bind_port)
        prefixes.append('http://127.0.0.1:%d' % conf.bind_port)
    if conf.public_endpoint:
        prefixes.append(conf.public_endpoint)
    return list(dict.fromkeys(p.rstrip('/') for p in prefixes))
