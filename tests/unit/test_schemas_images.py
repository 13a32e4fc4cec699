"""The image schema validator is built once, yet judges bodies exactly as
jsonschema.validate(document, schema) did: same validator class, no format
checking, and the best match of the errors, byte for byte."""

import jsonschema
import pytest

from glance_members import exception
from glance_members.schemas import documents
from glance_members.schemas import images

UUID = '1b9a1c3e-0000-4000-8000-000000000002'

VALID = [
    {},
    {'name': 'x', 'disk_format': 'raw', 'container_format': 'bare',
     'visibility': 'shared', 'tags': ['a'], 'foo': 'bar'},
    {'name': None, 'disk_format': None, 'container_format': None},
    {'id': UUID, 'min_ram': 0, 'min_disk': 2 ** 40, 'protected': True,
     'os_hidden': False, 'kernel_id': None, 'ramdisk_id': UUID.upper()},
    # "format" keywords, if any, are not checked: no format checker.
    {'description': 'not a uri', 'architecture': 'x86_64'},
]

INVALID = [
    {'name': 5},
    {'name': 'n' * 256},
    {'visibility': 'everyone'},
    {'disk_format': 'floppy'},
    {'container_format': 7},
    {'tags': 'a'},
    {'tags': ['a', 5, 't' * 256]},
    {'min_ram': '1'},
    {'min_ram': 1.5},
    {'protected': 'yes'},
    {'os_hidden': 1},
    {'id': 'not-a-uuid'},
    {'kernel_id': 'nope'},
    {'foo': 5},
    {'foo': None},
    {'foo': ['a']},
    {'cinder_encryption_key_deletion_policy': 'sometimes'},
    {'locations': [{'url': 'http://x'}]},
    {'locations': [{'url': 5, 'metadata': {},
                    'validation_data': {'checksum': 'short', 'x': 1}}]},
    {'locations': 'x'},
    # Several errors at once: which is reported is best_match's choice.
    {'name': 5, 'visibility': 'everyone', 'tags': [1], 'foo': 2},
    {'min_ram': 'a', 'min_disk': 'b', 'protected': 'c'},
    {'tags': [1, 2, 3], 'kernel_id': 5, 'bar': {}},
    {'status': 'lost', 'size': 'big', 'checksum': 'c' * 33},
]


def _old_message(document):
    try:
        jsonschema.validate(document, documents.parsed('image'))
    except jsonschema.ValidationError as e:
        return "Provided object does not match schema 'image': %s" % e
    return None


def _new_message(document):
    try:
        images._validate(document)
    except exception.Invalid as e:
        return e.message
    return None


# The schema has no top-level type: non-objects pass (parse_create
# rejects them itself).
@pytest.mark.parametrize('document', VALID + [[], 'x', 5, None])
def test_valid_documents_pass_as_before(document):
    assert _old_message(document) is None
    assert _new_message(document) is None


@pytest.mark.parametrize('document', INVALID)
def test_messages_are_jsonschema_validates(document):
    old = _old_message(document)
    assert old is not None
    assert _new_message(document) == old
    # And again, from the cached validator.
    assert _new_message(document) == old


@pytest.mark.parametrize('name,value', [
    ('name', 5), ('tags', ['ok', 7]), ('visibility', 'x'), ('min_disk', '1'),
    ('color', 1), ('color', 'blue'), ('kernel_id', UUID), ('id', 'x'),
])
def test_patch_values_are_judged_as_before(name, value):
    assert _new_message({name: value}) == _old_message({name: value})


def test_validator_is_built_once_like_jsonschema_validate():
    schema = documents.parsed('image')
    validator = images._image_validator()
    assert images._image_validator() is validator
    assert type(validator) is jsonschema.validators.validator_for(schema)
    assert validator.schema is schema
    assert validator.format_checker is None
