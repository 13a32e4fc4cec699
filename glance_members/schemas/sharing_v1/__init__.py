"""Wire format of /sharing/v1: one module per resource, as api/sharing_v1/.

Request bodies and query strings are parsed by webargs from these schemas
(so the served OpenAPI document describes exactly what is checked); a
refusal is Glance's 400 with the fields and their problems in the message.
"""
