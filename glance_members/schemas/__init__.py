"""Wire formats: marshmallow schemas, request parsers, served JSON Schemas."""
