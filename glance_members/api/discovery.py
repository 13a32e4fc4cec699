"""/v2/info/import, /v2/info/stores[/detail]: parse, one call, render."""

import flask_smorest

from glance_members.api import common
from glance_members import discovery
from glance_members.schemas import discovery as schemas
from glance_members import store

blp = flask_smorest.Blueprint('discovery', __name__, url_prefix='/v2/info',
                              description='Discovery: import methods and '
                                          'image stores')


@blp.route('/import', methods=['GET'], strict_slashes=True)
@blp.response(200, schemas.ImportInfoSchema)
def get_image_import():
    return common.render(schemas.import_info_view(discovery.import_methods()))


@blp.route('/stores', methods=['GET'], strict_slashes=True)
@blp.response(200, schemas.StoresSchema)
def get_stores():
    return common.render(schemas.stores_view(
        store.describe_stores(common.services().conf)))


@blp.route('/stores/detail', methods=['GET'], strict_slashes=True)
@blp.response(200, schemas.StoresDetailSchema)
def get_stores_detail():
    s = common.services()
    return common.render(schemas.stores_detail_view(discovery.stores_detail(
        common.context(), s.authz, store.describe_stores(s.conf))))


@blp.route('/usage', methods=['GET'], strict_slashes=True)
@blp.response(200, schemas.UsageSchema)
def get_usage():
    return common.render(schemas.usage_view(discovery.project_usage()))
