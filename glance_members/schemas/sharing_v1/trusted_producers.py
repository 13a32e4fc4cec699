"""/sharing/v1/trusted-producers[/{project_id}]."""

from marshmallow import fields
import marshmallow

from glance_members.schemas.sharing_v1 import common


class TrustsQuery(common.PageQuery):
    marker = fields.String(metadata={'description': 'The project_id of the '
                                     'last producer of the previous page.'})


class Trust(marshmallow.Schema):
    project_id = fields.String(attribute='producer')
    project_name = fields.String(allow_none=True, metadata={
        'description': "The producer's project name (null when the "
                       "identity service does not tell it)."})
    created_at = common.UtcDateTime()


def trusts_view(trusts, names):
    return [{'producer': t.producer, 'project_name': names.get(t.producer),
             'created_at': t.created_at} for t in trusts]


class Trusts(marshmallow.Schema):
    trusted_producers = fields.List(fields.Nested(Trust))
    next = fields.String()


class TrustAdd(marshmallow.Schema):
    class Meta:
        unknown = marshmallow.RAISE

    accept_pending = fields.Boolean(load_default=False)


class TrustAdded(Trust):
    created = fields.Boolean(metadata={'description': 'False when the '
                                       'producer was trusted already.'})
    accepted = fields.List(fields.String(), metadata={
        'description': 'The images whose pending shares were accepted.'})


def trust_added_view(trust, created, accepted, name=None):
    return {'producer': trust.producer, 'created_at': trust.created_at,
            'project_name': name, 'created': created,
            'accepted': [s.image_id for s in accepted]}
