"""Which image endpoint serves each region: {region name: URL}."""

from glance_members.console import transport

IMAGE_SERVICE = 'image'


def from_catalog(service_catalog, interface):
    """The image endpoints of a Keystone catalog (keystoneauth1's
    ServiceCatalog), by region, sorted by region name."""
    found = service_catalog.get_endpoints_data(
        service_type=IMAGE_SERVICE, interface=interface)
    endpoints = {}
    for data in found.get(IMAGE_SERVICE, []):
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
