"""Uploads inspected as real Glance 33 inspects them, file by file.

tests/data/glance33_inspection.json holds what a real Glance 33 (with its
default [image_format] options) answered when each file of
tests/support/disk_images.py was uploaded under its own and under wrong
disk_format/container_format pairs: code, body, final status, virtual_size
(recorded with tests/record_glance_inspection.py). Here the same files go
through this service and must get the same code, the same message, the
same status and the same virtual_size.

Where we are deliberately better than Glance, the test says so: a refused
upload leaves nothing in the store and no checksum on the image (Glance
keeps both, and then answers 500 to the next upload of that image).
"""

import json
import os

import pytest

OCTET = 'application/octet-stream'
RECORDING = os.path.join(os.path.dirname(os.path.dirname(__file__)), 'data',
                         'glance33_inspection.json')
with open(RECORDING) as f:
    GLANCE = json.load(f)


MULTIPLE = 'Multiple formats detected: '


def _normalized(message):
    """Glance lists several detected formats in set order, which changes
    from run to run; ours are sorted."""
    head, found, formats = message.partition(MULTIPLE)
    return head + found + ','.join(sorted(formats.split(','))) if found \
        else message


def _files_in(path):
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def _upload(api, path, case):
    image = api.create_image(disk_format=case['disk_format'],
                             container_format=case['container_format'])
    with open(path, 'rb') as f:
        r = api.put('/v2/images/%s/file' % image['id'], data=f.read(),
                    content_type=OCTET)
    shown = api.get('/v2/images/%s' % image['id']).json
    return r, shown


@pytest.mark.parametrize('name', sorted(GLANCE['results']))
def test_upload_gets_glances_answer(name, api, disk_files, tmp_path):
    images_dir = tmp_path / 'data' / 'images'
    for key, case in sorted(GLANCE['results'][name]['cases'].items()):
        expected = case['upload']
        before = _files_in(images_dir)
        r, shown = _upload(api, disk_files[name], case)
        where = '%s as %s' % (name, key)
        assert r.status_code == expected['code'], (where, r.data)
        assert shown['status'] == case['image']['status'], where
        if r.status_code == 204:
            assert shown['virtual_size'] == case['image']['virtual_size'], \
                where
            assert shown['size'] == case['file_size'], where
            continue
        assert r.json['message'] == _normalized(expected['body']['message']), \
            where
        # Better than Glance: nothing of a refused upload is kept.
        assert _files_in(images_dir) == before, where
        assert shown['size'] is None and shown['checksum'] is None, where


def test_a_refused_image_takes_a_good_upload_afterwards(api, disk_files):
    """Glance answers 500 here (it kept the refused bytes, so the store
    reports a duplicate); the image must simply take the good file."""
    steps = GLANCE['refused_then_reupload_same_image']['steps']
    assert [s['code'] for s in steps] == [415, 500]  # what Glance did
    image = api.create_image(disk_format='qcow2', container_format='bare')
    for name, code in (('qcow2_backing_file', 415), ('qcow2', 204)):
        with open(disk_files[name], 'rb') as f:
            r = api.put('/v2/images/%s/file' % image['id'], data=f.read(),
                        content_type=OCTET)
        assert r.status_code == code, r.data
    shown = api.get('/v2/images/%s' % image['id']).json
    assert shown['status'] == 'active'
    assert shown['virtual_size'] == 1024 * 1024


def test_a_virtual_size_no_database_can_hold_is_refused(api, disk_files,
                                                        tmp_path):
    """A qcow2 header may claim up to 2**64-1 bytes; the image API's
    virtual_size is a signed 64-bit integer. Glance accepts 2**62 (so do
    we); past 2**63-1 the upload is refused cleanly, not a database error."""
    header = bytearray(open(disk_files['qcow2'], 'rb').read())
    header[24:32] = (2 ** 64 - 1).to_bytes(8, 'big')
    image = api.create_image(disk_format='qcow2', container_format='bare')
    r = api.put('/v2/images/%s/file' % image['id'], data=bytes(header),
                content_type=OCTET)
    assert r.status_code == 415, r.data
    assert r.json['message'].endswith('Image failed safety checks')
    shown = api.get('/v2/images/%s' % image['id']).json
    assert shown['status'] == 'queued' and shown['virtual_size'] is None
    assert _files_in(tmp_path / 'data' / 'images') == []
