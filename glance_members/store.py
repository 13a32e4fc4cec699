"""Image bytes through glance_store, the OpenStack store library.

The filesystem backend is the default (files under data_dir/images); any
backend glance_store offers (Swift, Ceph RBD, S3, ...) is configured in
[glance_store] exactly as in glance-api.conf.
"""

import logging
import os

import glance_store

from glance_members import conf as gm_conf
from glance_members import exception
from glance_members import records

LOG = logging.getLogger(__name__)
CHUNK_SIZE = 64 * 1024


class SizeCapExceeded(Exception):
    pass


class CappedReader:
    """A file-like view of the request body that refuses to read past the
    cap (an oversized upload stops at cap + 1 bytes, not at its end) and
    that calls a body shorter than its Content-Length a broken upload,
    not a complete image."""

    def __init__(self, stream, cap, expected_length=None):
        self.stream = stream
        self.cap = cap
        self.expected_length = expected_length
        self.read_so_far = 0

    def read(self, size=CHUNK_SIZE):
        if size is None or size < 0:
            size = CHUNK_SIZE
        chunk = self.stream.read(min(size, self.cap + 1 - self.read_so_far))
        self.read_so_far += len(chunk)
        if self.read_so_far > self.cap:
            raise SizeCapExceeded()
        if not chunk and self.expected_length is not None and \
                self.read_so_far < self.expected_length:
            raise IOError('the client sent %d of %d bytes'
                          % (self.read_so_far, self.expected_length))
        return chunk


class ImageStore:

    def __init__(self, conf):
        self.conf = conf
        if not conf.glance_store.filesystem_store_datadir:
            conf.set_override('filesystem_store_datadir',
                              gm_conf.image_dir(conf), group='glance_store')
        glance_store.create_stores(conf)
        # glance_store.verify_default_store() reads the library's global
        # CONF; check our own conf's default store instead.
        glance_store.get_store_from_scheme(conf.glance_store.default_store)

    def add(self, image_id, reader):
        """Store what `reader` reads (a CappedReader, or a wrapper around
        one); (location, size, md5, algo, hash). Partial data is removed by
        the store when reading fails."""
        algo = self.conf.hashing_algorithm
        try:
            try:
                location, size, checksum, multihash, _ = \
                    glance_store.add_to_backend_with_multihash(
                        self.conf, image_id, reader, 0, algo)
            except glance_store.Duplicate:
                # Only the upload that moved the image to `saving` gets
                # here: existing bytes are the leftover of an upload whose
                # worker died. Drop them and store afresh.
                if not self.discard_partial(image_id):
                    raise
                location, size, checksum, multihash, _ = \
                    glance_store.add_to_backend_with_multihash(
                        self.conf, image_id, reader, 0, algo)
        except glance_store.Duplicate:
            raise exception.Conflict('Image data for %s exists already.'
                                     % image_id)
        except glance_store.StorageFull as e:
            raise exception.OverLimit('Image storage media is full: %s' % e)
        except glance_store.StorageWriteDenied as e:
            raise exception.ServiceUnavailable(
                'Insufficient permissions on image storage media: %s' % e)
        return location, size, checksum, algo, multihash

    def discard_partial(self, image_id):
        """Remove bytes a dead upload left behind (filesystem store)."""
        if self.conf.glance_store.default_store != 'file':
            return False
        path = os.path.join(self.conf.glance_store.filesystem_store_datadir,
                            image_id)
        try:
            os.unlink(path)
        except FileNotFoundError:
            return False
        LOG.warning('Removed leftover data of an interrupted upload: %s',
                    path)
        return True

    def get(self, location, offset=0, length=None):
        try:
            data, _ = glance_store.get_from_backend(
                location, offset=offset, chunk_size=length)
        except glance_store.NotFound:
            return None
        return data

    def delete(self, location):
        try:
            glance_store.delete_from_backend(location)
        except glance_store.NotFound:
            pass


# What GET /v2/info/stores/detail shows of each kind of store, read from the
# driver as Glance 33's discovery API reads it.
def _file_properties(driver):
    return {'data_dir': driver.datadir, 'chunk_size': driver.chunk_size,
            'thin_provisioning': driver.thin_provisioning}


def _rbd_fsid(url_prefix):
    """The cluster id of an 'rbd://<fsid>/<pool>/' prefix, else None."""
    scheme = 'rbd://'
    if not url_prefix or not url_prefix.startswith(scheme):
        return None
    rest = url_prefix[len(scheme):]
    pieces = (rest[:-1] if rest.endswith('/') else rest).split('/')
    return pieces[0] if rest and len(pieces) == 2 else None


def _rbd_properties(driver):
    return {'chunk_size': driver.chunk_size, 'pool': driver.pool,
            'thin_provisioning': driver.thin_provisioning,
            'fsid': _rbd_fsid(getattr(driver, 'url_prefix', None))}


def _cinder_properties(driver):
    return {'volume_type': driver.store_conf.cinder_volume_type,
            'use_multipath': driver.store_conf.cinder_use_multipath}


def _swift_properties(driver):
    return {'container': getattr(driver, 'container', None),
            'large_object_size': driver.large_object_size,
            'large_object_chunk_size': driver.large_object_chunk_size}


def _s3_properties(driver):
    return {'s3_store_large_object_size': driver.s3_store_large_object_size,
            's3_store_large_object_chunk_size':
                driver.s3_store_large_object_chunk_size,
            's3_store_thread_pools': driver.s3_store_thread_pools}


_PROPERTIES = {'file': _file_properties, 'rbd': _rbd_properties,
               'cinder': _cinder_properties, 'swift': _swift_properties,
               's3': _s3_properties, 'http': lambda driver: {}}


def describe_stores(conf):
    """[records.StoreInfo] of the stores [glance_store] `stores` enables,
    by their short names (one store per kind: glance_store's single-store
    configuration, so a store's id is its kind)."""
    infos = []
    for kind in conf.glance_store.stores:
        if kind not in _PROPERTIES:
            continue  # a driver class path: no kind to show it by
        try:
            driver = glance_store.get_store_from_scheme(kind)
        except glance_store.UnknownScheme:
            continue
        infos.append(records.StoreInfo(
            id=kind, type=kind,
            default=kind == conf.glance_store.default_store,
            read_only=kind == 'http', properties=_PROPERTIES[kind](driver)))
    return infos
