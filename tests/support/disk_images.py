"""Deterministic disk-image files for upload-inspection tests.

``build(directory)`` creates a fixed set of small image files (each < 5 MiB)
and returns ``{name: path}``.  Well-formed images are made by the real tool,
``qemu-img`` (Debian's ``qemu-utils``); the few it cannot make (ISO 9660, GPT
and MBR disks, hostile headers) are written in plain Python.

Random fields that qemu-img puts in some formats (VMDK CID, VHD timestamp and
UUID, VHDX GUIDs, VDI UUIDs) are overwritten with fixed values (checksums
recomputed), so that the same qemu-img version produces byte-identical files.
The file names are part of the content (VMDK descriptors name their extent
files), so do not rename them.

Only the standard library and the ``qemu-img`` executable are used.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import struct
import subprocess
import uuid
import zlib

import pytest

from testbed import debian

MiB = 1024 * 1024
SECTOR = 512
ISO_BLOCK = 2048

# Names of every file build() returns, in a stable order.
NAMES = (
    "raw",
    "qcow2",
    "qcow2_backing_file",
    "qcow2_data_file",
    "qcow2_v2",
    "vmdk_monolithic_sparse",
    "vmdk_stream_optimized",
    "vmdk_two_gb_max_extent_sparse",
    "vmdk_monolithic_flat",
    "vmdk_descriptor_abs_path",
    "vhd",
    "vhdx",
    "vdi",
    "iso",
    "iso_hybrid_gpt",
    "iso_hybrid_mbr",
    "gpt",
    "mbr",
    "qcow2_truncated_16",
    "qcow2_truncated_300",
    "vmdk_truncated_16",
    "vmdk_truncated_400",
    "vhdx_truncated_8",
    "vhdx_truncated_300",
    "qcow2_corrupt_header",
    "qcow2_unknown_feature",
    "qcow2_huge_virtual_size",
    "vmdk_descriptor_huge_text",
    "vmdk_descriptor_huge_size_field",
    "zero_bytes",
)


def qemu_img(*args: str, cwd: str | None = None) -> None:
    subprocess.run(
        ["qemu-img", *args],
        cwd=cwd,
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _pseudo_random(seed: bytes, n: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(seed + counter.to_bytes(8, "big")).digest()
        counter += 1
    return bytes(out[:n])


def _patch(path: str, offset: int, data: bytes) -> None:
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


def _fixed_guid(label: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, "glance-members-test:" + label)


# ------------------------------------------------------------ qemu-img fixups
def _fix_vmdk_cid(path: str) -> None:
    """Replace the random CID (``%x``, variable length) of a VMDK."""
    with open(path, "rb") as f:
        head = f.read(SECTOR)
    if head[:4] == b"KDMV":
        desc_sec, desc_num = struct.unpack("<QQ", head[28:44])
        offset, length = desc_sec * SECTOR, desc_num * SECTOR
    else:  # text-only descriptor file
        offset, length = 0, os.path.getsize(path)
    with open(path, "r+b") as f:
        f.seek(offset)
        desc = f.read(length)
        text = desc.split(b"\0", 1)[0]
        fixed = re.sub(rb"\nCID=[0-9a-fA-F]+\n", b"\nCID=1badcafe\n", text,
                       count=1)
        sparse = head[:4] == b"KDMV"
        f.seek(offset)
        f.write(fixed.ljust(length, b"\0") if sparse else fixed)
        if not sparse:
            f.truncate()


def _vhd_checksum(footer: bytes) -> int:
    total = sum(footer[:64]) + sum(footer[68:])
    return (~total) & 0xFFFFFFFF


def _fix_vhd(path: str) -> None:
    """Fix timestamp and UUID of the VHD footer (copy at 0 and at the end)."""
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        for offset in sorted({0, size - SECTOR}):
            f.seek(offset)
            footer = bytearray(f.read(SECTOR))
            if footer[:8] != b"conectix":
                continue
            footer[24:28] = struct.pack(">I", 0x2D000000)  # fixed timestamp
            footer[68:84] = _fixed_guid("vhd").bytes
            footer[64:68] = struct.pack(">I", _vhd_checksum(bytes(footer)))
            f.seek(offset)
            f.write(footer)


_CRC32C_TABLE: list[int] = []


def _crc32c(data: bytes) -> int:
    if not _CRC32C_TABLE:
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            _CRC32C_TABLE.append(c)
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


_VHDX_METADATA_REGION = uuid.UUID("8B7CA206-4790-4B9A-B8FE-575F050F886E")
_VHDX_PAGE83 = uuid.UUID("BECA12AB-B2E6-4523-93EF-C309E000C746")


def _fix_vhdx(path: str) -> None:
    """Fix the header GUIDs and sequence numbers (recomputing CRC-32C) and the
    virtual disk id; cut the file after its last region (qemu-img pads a 1 MiB
    disk to 8 MiB of zeros; ``qemu-img check`` is clean at 4 MiB)."""
    with open(path, "r+b") as f:
        seqs = []
        for offset in (64 * 1024, 128 * 1024):
            f.seek(offset + 8)
            seqs.append(struct.unpack("<Q", f.read(8))[0])
        base = min(seqs)
        for n, offset in enumerate((64 * 1024, 128 * 1024)):
            f.seek(offset)
            head = bytearray(f.read(4096))
            if head[:4] != b"head":
                continue
            head[8:16] = struct.pack("<Q", seqs[n] - base + 1)
            head[16:32] = _fixed_guid("vhdx-file-write").bytes_le
            head[32:48] = _fixed_guid("vhdx-data-write").bytes_le
            if any(head[48:64]):
                head[48:64] = _fixed_guid("vhdx-log").bytes_le
            head[4:8] = b"\0\0\0\0"
            head[4:8] = struct.pack("<I", _crc32c(bytes(head)))
            f.seek(offset)
            f.write(head)
        f.seek(192 * 1024)
        regions = f.read(64 * 1024)
        (count,) = struct.unpack("<I", regions[8:12])
        for i in range(min(count, 2047)):
            entry = regions[16 + 32 * i:48 + 32 * i]
            guid = uuid.UUID(bytes_le=entry[:16])
            if guid != _VHDX_METADATA_REGION:
                continue
            (meta_off,) = struct.unpack("<Q", entry[16:24])
            f.seek(meta_off)
            table = f.read(64 * 1024)
            (entries,) = struct.unpack("<H", table[10:12])
            for j in range(entries):
                item = table[32 + 32 * j:64 + 32 * j]
                if uuid.UUID(bytes_le=item[:16]) == _VHDX_PAGE83:
                    (item_off,) = struct.unpack("<I", item[16:20])
                    f.seek(meta_off + item_off)
                    f.write(_fixed_guid("vhdx-page83").bytes_le)
        end = 0
        for i in range(min(count, 2047)):
            entry = regions[16 + 32 * i:48 + 32 * i]
            off, length = struct.unpack("<QI", entry[16:28])
            end = max(end, off + length)
        if end:
            f.truncate(max(end, 4 * MiB))


def _fix_vdi(path: str) -> None:
    _patch(path, 0x188, _fixed_guid("vdi-create").bytes)
    _patch(path, 0x198, _fixed_guid("vdi-modify").bytes)


# ----------------------------------------------------------- partition tables
def _mbr_entry(boot: int, chs_start: tuple[int, int, int], ostype: int,
               chs_end: tuple[int, int, int], lba: int, sectors: int) -> bytes:
    return struct.pack("<B3BB3BII", boot, *chs_start, ostype, *chs_end, lba,
                       sectors)


def _mbr(entries: list[bytes], boot_code: bytes = b"") -> bytes:
    mbr = bytearray(SECTOR)
    mbr[: len(boot_code)] = boot_code
    for i, e in enumerate(entries):
        mbr[446 + 16 * i:462 + 16 * i] = e
    mbr[510:512] = b"\x55\xaa"
    return bytes(mbr)


def _protective_mbr(total_sectors: int) -> bytes:
    return _mbr([_mbr_entry(0x00, (0x00, 0x02, 0x00), 0xEE, (0xFF, 0xFF, 0xFF),
                            1, min(total_sectors - 1, 0xFFFFFFFF))])


_LINUX_FS = uuid.UUID("0FC63DAF-8483-4772-8E79-3D69D8477DE4")
_EFI_SYSTEM = uuid.UUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")


def _gpt_structures(total_sectors: int,
                    parts: list[tuple[uuid.UUID, int, int, str]],
                    label: str) -> tuple[bytes, bytes, bytes, bytes]:
    """Return (primary header, entries, backup entries, backup header)."""
    entries = bytearray(128 * 128)
    for i, (ptype, first, last, name) in enumerate(parts):
        e = (ptype.bytes_le + _fixed_guid(f"{label}-part{i}").bytes_le
             + struct.pack("<QQQ", first, last, 0)
             + name.encode("utf-16-le").ljust(72, b"\0"))
        entries[128 * i:128 * (i + 1)] = e
    entries_crc = zlib.crc32(entries) & 0xFFFFFFFF
    first_usable = 34
    last_usable = total_sectors - 34

    def header(my_lba: int, alt_lba: int, entries_lba: int) -> bytes:
        h = bytearray(struct.pack(
            "<8sIIIIQQQQ16sQIII", b"EFI PART", 0x00010000, 92, 0, 0,
            my_lba, alt_lba, first_usable, last_usable,
            _fixed_guid(f"{label}-disk").bytes_le, entries_lba, 128, 128,
            entries_crc))
        h[16:20] = struct.pack("<I", zlib.crc32(h) & 0xFFFFFFFF)
        return bytes(h).ljust(SECTOR, b"\0")

    primary = header(1, total_sectors - 1, 2)
    backup = header(total_sectors - 1, 1, total_sectors - 33)
    return primary, bytes(entries), bytes(entries), backup


def _write_gpt_disk(path: str, total_sectors: int, first_lba: int = 2048,
                    content: bytes | None = None) -> None:
    parts = [(_LINUX_FS, first_lba, total_sectors - 34, "data")]
    primary, ents, bents, backup = _gpt_structures(total_sectors, parts, "gpt")
    with open(path, "wb") as f:
        f.truncate(total_sectors * SECTOR)
        f.write(_protective_mbr(total_sectors))
        f.write(primary)
        f.write(ents)
        if content:
            f.seek(first_lba * SECTOR)
            f.write(content)
        f.seek((total_sectors - 33) * SECTOR)
        f.write(bents)
        f.write(backup)


# --------------------------------------------------------------- ISO 9660
def _both16(v: int) -> bytes:
    return struct.pack("<H", v) + struct.pack(">H", v)


def _both32(v: int) -> bytes:
    return struct.pack("<I", v) + struct.pack(">I", v)


_ISO_DATE = b"2025010100000000" + b"\x00"  # 17-byte dec-datetime, fixed
_DIR_DATE = bytes([125, 1, 1, 0, 0, 0, 0])  # 7-byte dir datetime, fixed


def _iso_dir_record(name: bytes, extent: int, size: int,
                    is_dir: bool) -> bytes:
    length = 33 + len(name)
    if length % 2:
        length += 1
    rec = bytearray(length)
    rec[0] = length
    rec[2:10] = _both32(extent)
    rec[10:18] = _both32(size)
    rec[18:25] = _DIR_DATE
    rec[25] = 0x02 if is_dir else 0x00
    rec[28:32] = _both16(1)
    rec[32] = len(name)
    rec[33:33 + len(name)] = name
    return bytes(rec)


def _iso_image(total_blocks: int = 64, system_area: bytes = b"") -> bytes:
    """A minimal but valid ISO 9660 image with one file, README.TXT."""
    pvd_lba, term_lba, lpt_lba, mpt_lba, root_lba, file_lba = 16, 17, 18, 19, \
        20, 21
    content = b"glance-members test ISO 9660 image\n"
    img = bytearray(total_blocks * ISO_BLOCK)
    img[: len(system_area)] = system_area
    root_self = _iso_dir_record(b"\x00", root_lba, ISO_BLOCK, True)
    # Primary volume descriptor
    pvd = bytearray(ISO_BLOCK)
    pvd[0] = 1
    pvd[1:6] = b"CD001"
    pvd[6] = 1
    pvd[8:40] = b"LINUX".ljust(32)
    pvd[40:72] = b"GM_TEST_ISO".ljust(32)
    pvd[80:88] = _both32(total_blocks)
    pvd[120:124] = _both16(1)
    pvd[124:128] = _both16(1)
    pvd[128:132] = _both16(ISO_BLOCK)
    pvd[132:140] = _both32(10)  # path table size
    pvd[140:144] = struct.pack("<I", lpt_lba)
    pvd[148:152] = struct.pack(">I", mpt_lba)
    pvd[156:190] = root_self
    for off, length in ((190, 128), (318, 128), (446, 128), (574, 128),
                        (702, 37), (739, 37), (776, 37)):
        pvd[off:off + length] = b" " * length
    for off in (813, 830):
        pvd[off:off + 17] = _ISO_DATE
    for off in (847, 864):
        pvd[off:off + 17] = b"0" * 16 + b"\x00"
    pvd[881] = 1
    img[pvd_lba * ISO_BLOCK:(pvd_lba + 1) * ISO_BLOCK] = pvd
    # Volume descriptor set terminator
    term = bytearray(ISO_BLOCK)
    term[0] = 255
    term[1:6] = b"CD001"
    term[6] = 1
    img[term_lba * ISO_BLOCK:(term_lba + 1) * ISO_BLOCK] = term
    # Path tables (root only)
    img[lpt_lba * ISO_BLOCK:lpt_lba * ISO_BLOCK + 10] = (
        bytes([1, 0]) + struct.pack("<I", root_lba) + struct.pack("<H", 1)
        + b"\x00\x00")
    img[mpt_lba * ISO_BLOCK:mpt_lba * ISO_BLOCK + 10] = (
        bytes([1, 0]) + struct.pack(">I", root_lba) + struct.pack(">H", 1)
        + b"\x00\x00")
    # Root directory
    root = (root_self + _iso_dir_record(b"\x01", root_lba, ISO_BLOCK, True)
            + _iso_dir_record(b"README.TXT;1", file_lba, len(content), False))
    img[root_lba * ISO_BLOCK:root_lba * ISO_BLOCK + len(root)] = root
    img[file_lba * ISO_BLOCK:file_lba * ISO_BLOCK + len(content)] = content
    return bytes(img)


def _iso_hybrid_gpt(total_blocks: int = 64) -> bytes:
    """ISO whose system area carries a protective MBR and a GPT (isohybrid)."""
    sectors = total_blocks * ISO_BLOCK // SECTOR
    parts = [(_EFI_SYSTEM, 64, 127, "EFI boot")]
    primary, ents, bents, backup = _gpt_structures(sectors, parts, "isohybrid")
    system_area = _protective_mbr(sectors) + primary + ents
    img = bytearray(_iso_image(total_blocks, system_area))
    img[(sectors - 33) * SECTOR:(sectors - 1) * SECTOR] = bents
    img[(sectors - 1) * SECTOR:] = backup
    return bytes(img)


def _iso_hybrid_mbr(total_blocks: int = 64) -> bytes:
    """ISO whose system area carries a plain MBR (isohybrid style, no GPT)."""
    sectors = total_blocks * ISO_BLOCK // SECTOR
    mbr = _mbr([
        _mbr_entry(0x80, (0, 1, 0), 0x17, (63, 32, 0), 0, sectors),
        _mbr_entry(0x00, (0, 1, 0), 0xEF, (63, 32, 0), 64, 64),
    ], boot_code=b"\x33\xed\x90\x90")
    return _iso_image(total_blocks, mbr)


# --------------------------------------------------------------- hostile files
def _qcow2_with(path: str, src: str, offset: int, data: bytes) -> None:
    shutil.copyfile(src, path)
    _patch(path, offset, data)


def _vmdk_huge_text_descriptor(size: int = 3 * MiB) -> bytes:
    head = (b"# Disk DescriptorFile\nversion=1\nCID=1badcafe\n"
            b"parentCID=ffffffff\ncreateType=\"monolithicSparse\"\n")
    tail = b"# Extent description\nRW 2048 SPARSE \"extent.vmdk\"\n"
    pad_line = b"#" + b"x" * 62 + b"\n"
    n = (size - len(head) - len(tail)) // len(pad_line)
    return head + pad_line * n + tail


def build(directory: str) -> dict[str, str]:
    """Create every test image under ``directory``; return {name: path}."""
    d = os.path.abspath(directory)
    os.makedirs(d, exist_ok=True)
    p = {name: os.path.join(d, name + _EXT.get(name, ".img"))
         for name in NAMES}

    # raw: 1 MiB of a fixed, non-zero pattern (zeros would be trivial)
    with open(p["raw"], "wb") as f:
        f.write(_pseudo_random(b"raw", MiB))

    qemu_img("create", "-q", "-f", "qcow2", p["qcow2"], "1M")
    qemu_img("create", "-q", "-f", "qcow2", "-o", "compat=0.10", p["qcow2_v2"],
             "1M")
    qemu_img("create", "-q", "-f", "qcow2", "-u", "-b", "/etc/passwd", "-F",
             "raw", p["qcow2_backing_file"], "1M")
    data_file = os.path.join(d, "qcow2_data_file.data")
    qemu_img("create", "-q", "-f", "qcow2", "-o",
             f"data_file={os.path.basename(data_file)}",
             os.path.basename(p["qcow2_data_file"]), "1M", cwd=d)

    qemu_img("create", "-q", "-f", "vmdk", p["vmdk_monolithic_sparse"], "1M")
    _fix_vmdk_cid(p["vmdk_monolithic_sparse"])
    qemu_img("convert", "-q", "-f", "raw", "-O", "vmdk", "-o",
             "subformat=streamOptimized", p["raw"], p["vmdk_stream_optimized"])
    _fix_vmdk_cid(p["vmdk_stream_optimized"])
    qemu_img("create", "-q", "-f", "vmdk", "-o",
             "subformat=twoGbMaxExtentSparse",
             p["vmdk_two_gb_max_extent_sparse"], "1M")
    _fix_vmdk_cid(p["vmdk_two_gb_max_extent_sparse"])
    qemu_img("create", "-q", "-f", "vmdk", "-o", "subformat=monolithicFlat",
             p["vmdk_monolithic_flat"], "1M")
    _fix_vmdk_cid(p["vmdk_monolithic_flat"])
    with open(p["vmdk_descriptor_abs_path"], "wb") as f:
        f.write(b"# Disk DescriptorFile\nversion=1\nCID=1badcafe\n"
                b"parentCID=ffffffff\ncreateType=\"monolithicSparse\"\n"
                b"RW 2048 SPARSE \"/etc/passwd\"\n")

    qemu_img("create", "-q", "-f", "vpc", "-o", "force_size=on", p["vhd"],
             "1M")
    _fix_vhd(p["vhd"])
    qemu_img("create", "-q", "-f", "vhdx", p["vhdx"], "1M")
    _fix_vhdx(p["vhdx"])
    qemu_img("create", "-q", "-f", "vdi", p["vdi"], "1M")
    _fix_vdi(p["vdi"])

    with open(p["iso"], "wb") as f:
        f.write(_iso_image())
    with open(p["iso_hybrid_gpt"], "wb") as f:
        f.write(_iso_hybrid_gpt())
    with open(p["iso_hybrid_mbr"], "wb") as f:
        f.write(_iso_hybrid_mbr())
    _write_gpt_disk(p["gpt"], MiB // SECTOR, first_lba=64,
                    content=_pseudo_random(b"gpt", 4096))
    with open(p["mbr"], "wb") as f:
        f.truncate(MiB)
        f.write(_mbr([_mbr_entry(0x80, (0, 33, 0), 0x83, (0, 40, 0), 2048 // 8,
                                 (MiB // SECTOR) - 2048 // 8)]))

    # truncated headers
    for name, src, n in (("qcow2_truncated_16", "qcow2", 16),
                         ("qcow2_truncated_300", "qcow2", 300),
                         ("vmdk_truncated_16", "vmdk_monolithic_sparse", 16),
                         ("vmdk_truncated_400", "vmdk_monolithic_sparse", 400),
                         ("vhdx_truncated_8", "vhdx", 8),
                         ("vhdx_truncated_300", "vhdx", 300)):
        with open(p[src], "rb") as f:
            head = f.read(n)
        with open(p[name], "wb") as f:
            f.write(head)

    # qcow2 magic followed by garbage
    with open(p["qcow2_corrupt_header"], "wb") as f:
        f.write(b"QFI\xfb" + _pseudo_random(b"corrupt", 64 * 1024 - 4))
    # qcow2 v3 with an unknown incompatible-feature bit (bit 40)
    _qcow2_with(p["qcow2_unknown_feature"], p["qcow2"], 0x48,
                struct.pack(">Q", 1 << 40))
    # qcow2 whose header claims a 2**62-byte disk
    _qcow2_with(p["qcow2_huge_virtual_size"], p["qcow2"], 24,
                struct.pack(">Q", 1 << 62))

    with open(p["vmdk_descriptor_huge_text"], "wb") as f:
        f.write(_vmdk_huge_text_descriptor())
    # monolithicSparse with descriptor size field = 2**40 sectors
    shutil.copyfile(p["vmdk_monolithic_sparse"],
                    p["vmdk_descriptor_huge_size_field"])
    _patch(p["vmdk_descriptor_huge_size_field"], 36,
           struct.pack("<Q", 1 << 40))

    with open(p["zero_bytes"], "wb"):
        pass
    return p


_EXT = {
    "qcow2": ".qcow2",
    "qcow2_backing_file": ".qcow2",
    "qcow2_data_file": ".qcow2",
    "qcow2_v2": ".qcow2",
    "vmdk_monolithic_sparse": ".vmdk",
    "vmdk_stream_optimized": ".vmdk",
    "vmdk_two_gb_max_extent_sparse": ".vmdk",
    "vmdk_monolithic_flat": ".vmdk",
    "vmdk_descriptor_abs_path": ".vmdk",
    "vmdk_descriptor_huge_text": ".vmdk",
    "vmdk_descriptor_huge_size_field": ".vmdk",
    "vhd": ".vhd",
    "vhdx": ".vhdx",
    "vdi": ".vdi",
    "iso": ".iso",
    "iso_hybrid_gpt": ".iso",
    "iso_hybrid_mbr": ".iso",
}


if __name__ == "__main__":  # pragma: no cover - manual use
    import sys

    for k, v in build(sys.argv[1] if len(sys.argv) > 1 else ".").items():
        print(f"{os.path.getsize(v):>9} {k} {v}")


@pytest.fixture(scope='session')
def disk_files(tmp_path_factory):
    """{name: path} of the test disk images (tests/disk_images.py), made
    once per run with Debian's qemu-img, installed here when missing."""
    if shutil.which('qemu-img') is None:
        try:
            debian.install('qemu-utils')
        except debian.Unavailable as e:
            pytest.fail(str(e))
    return build(str(tmp_path_factory.mktemp('disk-images')))
