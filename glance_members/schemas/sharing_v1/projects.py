"""GET /sharing/v1/projects/{project_id}."""

from marshmallow import fields
import marshmallow


class Project(marshmallow.Schema):
    id = fields.String()
    name = fields.String(allow_none=True, metadata={
        'description': 'null when the identity service does not tell it'})
