"""The upload verdict (glance_members.image_format) on real image files.

The files are made by qemu-img (tests/support/disk_images.py). What real
Glance 33 answers for each under its default options is checked end to end in
tests/functional/test_image_inspection.py; here are the rules that hang on
options Glance's defaults never exercise, and the ones no HTTP test isolates.
"""

import io
import os

import pytest

from glance_members import exception
from glance_members import image_format

MiB = 1024 * 1024


def judge(path, disk_format, container_format='bare', **options):
    """Stream the file through the inspector as an upload does, in the
    store's chunk size, and return the verdict."""
    with open(path, 'rb') as f:
        wrapper = image_format.inspecting(f, container_format)
        while wrapper is not None and wrapper.read(64 * 1024):
            pass
        return image_format.verdict(wrapper, disk_format,
                                    image_format.Options(**options))


def refusal(path, disk_format, **options):
    with pytest.raises(exception.UnsupportedMediaType) as caught:
        judge(path, disk_format, **options)
    return caught.value.detail


def test_matching_formats_give_their_virtual_size(disk_files):
    assert judge(disk_files['qcow2'], 'qcow2') == MiB
    assert judge(disk_files['vmdk_monolithic_sparse'], 'vmdk') == MiB
    assert judge(disk_files['vhdx'], 'vhdx') == MiB
    assert judge(disk_files['raw'], 'raw') == MiB


def test_a_backing_file_is_refused_whatever_the_claim(disk_files):
    for claimed in ('qcow2', 'raw'):
        assert refusal(disk_files['qcow2_backing_file'], claimed) == \
            image_format.SAFETY_CHECKS_FAILED
    # Switching the format match off never lets an unsafe image through.
    assert refusal(disk_files['qcow2_backing_file'], 'raw',
                   require_image_format_match=False) == \
        image_format.SAFETY_CHECKS_FAILED


def test_a_recognised_format_claimed_raw_is_sized_by_its_bytes(disk_files):
    # Glance: "pretending this is really raw" keeps the byte count.
    assert judge(disk_files['qcow2'], 'raw') == os.path.getsize(
        disk_files['qcow2'])


def test_mismatch_is_refused_unless_the_match_is_not_required(disk_files):
    assert refusal(disk_files['qcow2'], 'vmdk') == \
        image_format.MISMATCH % ('vmdk', 'qcow2')
    assert judge(disk_files['qcow2'], 'vmdk',
                 require_image_format_match=False) is None


def test_uninspectable_claims_take_unrecognised_bytes_only(disk_files):
    assert judge(disk_files['raw'], 'ami') is None
    assert judge(disk_files['raw'], 'ploop') is None
    assert refusal(disk_files['qcow2'], 'ami') == \
        image_format.MISMATCH % ('ami', 'qcow2')


def test_only_bare_containers_are_inspected(disk_files):
    assert image_format.inspecting(io.BytesIO(b''), 'ovf') is None
    assert judge(disk_files['qcow2_backing_file'], 'qcow2', 'ovf') is None
    assert judge(disk_files['qcow2'], 'vmdk', 'docker') is None


def test_iso_with_a_gpt_in_front_is_an_iso(disk_files):
    assert judge(disk_files['iso_hybrid_gpt'], 'iso') > 0


def test_vmdk_allowed_types_limit_uploads(disk_files):
    sparse = disk_files['vmdk_monolithic_sparse']
    assert judge(sparse, 'vmdk', vmdk_allowed_types=['monolithicSparse'])
    assert refusal(sparse, 'vmdk', vmdk_allowed_types=[]) == \
        image_format.SAFETY_CHECKS_FAILED
    assert refusal(sparse, 'vmdk',
                   vmdk_allowed_types=['streamOptimized']) == \
        image_format.SAFETY_CHECKS_FAILED
    assert judge(disk_files['vmdk_stream_optimized'], 'vmdk',
                 vmdk_allowed_types=['streamoptimized'])


def test_a_vmdk_naming_other_files_is_refused(disk_files):
    for name in ('vmdk_monolithic_flat', 'vmdk_descriptor_abs_path',
                 'vmdk_two_gb_max_extent_sparse'):
        assert refusal(disk_files[name], 'vmdk'), name


def _gpt_with_bad_mbr(path, tmp_path):
    """The GPT test disk with a boot flag no MBR may have on its protective
    partition, so that the `mbr` safety check fails."""
    data = bytearray(open(path, 'rb').read())
    data[446] = 0x42  # first MBR entry's boot flag: only 0x00 or 0x80
    bad = tmp_path / 'gpt-bad-mbr.img'
    bad.write_bytes(bytes(data))
    return str(bad)


def test_gpt_checks_can_be_made_nonfatal(disk_files, tmp_path):
    bad = _gpt_with_bad_mbr(disk_files['gpt'], tmp_path)
    assert refusal(bad, 'raw') == image_format.SAFETY_CHECKS_FAILED
    assert judge(bad, 'raw', gpt_safety_checks_nonfatal=['mbr', 'gptmbr'])


def test_hostile_headers_never_raise_anything_but_a_refusal(disk_files):
    for name in ('qcow2_truncated_16', 'qcow2_truncated_300',
                 'vmdk_truncated_400', 'vhdx_truncated_300',
                 'qcow2_corrupt_header', 'qcow2_huge_virtual_size',
                 'vmdk_descriptor_huge_text',
                 'vmdk_descriptor_huge_size_field', 'zero_bytes'):
        for claimed in ('raw', 'qcow2', 'vmdk', 'vhdx', 'iso'):
            try:
                judge(disk_files[name], claimed)
            except exception.UnsupportedMediaType:
                pass
