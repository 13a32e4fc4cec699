"""The discovery API's bodies (/v2/info/import, /v2/info/stores[/detail])."""

from marshmallow import fields
import marshmallow

IMPORT_METHODS_DESCRIPTION = 'Import methods available.'


class ImportMethodsSchema(marshmallow.Schema):
    description = fields.String(required=True)
    type = fields.Constant('array', required=True)
    value = fields.List(fields.String(), required=True)


class ImportInfoSchema(marshmallow.Schema):
    import_methods = fields.Nested(ImportMethodsSchema, required=True,
                                   data_key='import-methods')


class StoreSchema(marshmallow.Schema):
    """Glance's flags are the string "true", present only when true."""
    id = fields.String(required=True)
    description = fields.String()
    default = fields.Constant('true')
    read_only = fields.Constant('true', data_key='read-only')


class StoreDetailSchema(StoreSchema):
    type = fields.String(required=True)
    properties = fields.Dict(required=True)
    weight = fields.Integer(required=True)


class StoresSchema(marshmallow.Schema):
    stores = fields.List(fields.Nested(StoreSchema), required=True)


class StoresDetailSchema(marshmallow.Schema):
    stores = fields.List(fields.Nested(StoreDetailSchema), required=True)


class UsageSchema(marshmallow.Schema):
    usage = fields.Dict(required=True)


def usage_view(usage):
    return {'usage': dict(usage)}


def import_info_view(methods):
    return {'import-methods': {'description': IMPORT_METHODS_DESCRIPTION,
                               'type': 'array', 'value': list(methods)}}


def _store_view(store):
    view = {'id': store.id}
    if store.default:
        view['default'] = 'true'
    if store.read_only:
        view['read-only'] = 'true'
    return view


def stores_view(stores):
    return {'stores': [_store_view(s) for s in stores]}


def stores_detail_view(stores):
    views = []
    for store in stores:
        view = _store_view(store)
        view.update(type=store.type, properties=dict(store.properties),
                    weight=store.weight)
        views.append(view)
    return {'stores': views}
