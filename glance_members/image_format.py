"""What uploaded bytes really are: Glance 33's in-flight format inspection.

A producer's bytes land on the consumer's hypervisors, so an upload is
inspected as it streams, with the library Glance uses
(oslo_utils.imageutils.format_inspector), and judged by Glance's rules
(glance/location.py, ImageProxy.set_data):
- only `container_format` `bare` is inspected (Glance cannot see inside the
  others); a payload that matched nothing is `raw`;
- the detected format must be the claimed `disk_format`, except: ISO with a
  GPT in front is an ISO (bootable ISOs carry one); a claimed format the
  library cannot inspect (ami, aki, ari, ploop, ...) takes any payload it did
  not recognise; a claimed `raw` takes a recognised format too (its
  virtual_size is then the byte count) but still runs that format's safety
  checks, so a qcow2 with a backing file cannot pass as raw;
- the detected format's safety checks must pass (backing file, data file,
  VMDK extents, GPT/MBR sanity, ...); `[image_format]
  gpt_safety_checks_nonfatal` relaxes GPT's, and aki/ari never fail on
  their intentionally odd MBR;
- with `require_image_format_match` off, a mismatch or an uninspectable
  payload is logged and accepted, a failed safety check never is.
Beyond Glance, `vmdk_allowed_types` (there only used when converting) also
limits which VMDK create types an upload may be, and a virtual size past
what the API can record is refused (Glance fails on it in its database).

No Flask and no store here: the caller wraps its reader, streams it, and
asks for the verdict before it makes the image active.
"""

import logging

from oslo_utils.imageutils import format_inspector

from glance_members import exception

LOG = logging.getLogger(__name__)

INSPECTED_CONTAINER = 'bare'
# Glance's messages (glance/location.py), as the client sees them.
SAFETY_CHECKS_FAILED = 'Image failed safety checks'
INSPECTION_FAILED = 'Image format inspection failed'
MISMATCH = 'Image disk_format %s does not match stream data %s'
# virtual_size is a signed 64-bit integer in the API and every database;
# a header may claim up to 2**64-1.
MAX_VIRTUAL_SIZE = 2 ** 63 - 1
# Disk formats whose payloads may carry an intentionally invalid MBR.
_KERNEL_FORMATS = ('aki', 'ari')


class Options:
    """The `[image_format]` options the verdict reads."""

    def __init__(self, require_image_format_match=True,
                 gpt_safety_checks_nonfatal=(),
                 vmdk_allowed_types=('streamOptimized', 'monolithicSparse')):
        self.require_image_format_match = require_image_format_match
        self.gpt_safety_checks_nonfatal = frozenset(gpt_safety_checks_nonfatal)
        self.vmdk_allowed_types = frozenset(
            t.lower() for t in vmdk_allowed_types)

    @classmethod
    def from_conf(cls, conf):
        group = conf.image_format
        return cls(group.require_image_format_match,
                   group.gpt_safety_checks_nonfatal,
                   group.vmdk_allowed_types)


def inspecting(reader, container_format):
    """`reader` wrapped for inspection, or None when Glance would not
    inspect this container format. The wrapper reads through: it keeps only
    the few header regions each format needs, never the image."""
    if container_format != INSPECTED_CONTAINER:
        return None
    return format_inspector.InspectWrapper(reader)


def verdict(wrapper, disk_format, options):
    """The virtual size to record (None: unknown) once the whole stream went
    through `wrapper`; raises exception.UnsupportedMediaType (Glance's 415)
    when the bytes may not become this image."""
    if wrapper is None:
        return None
    wrapper.close()
    inspector = None
    try:
        inspector = _detected(wrapper, disk_format)
        detected = str(inspector)
        virtual_size = _virtual_size(inspector, detected, disk_format)
        inspector.safety_check()
    except format_inspector.ImageFormatError as e:
        if options.require_image_format_match:
            raise exception.UnsupportedMediaType(detail=str(e))
        LOG.warning('Image format %s did not match; unable to calculate '
                    'virtual size (%s)', disk_format, e)
        return None
    except format_inspector.SafetyCheckFailed as e:
        _judge_safety_failures(inspector, disk_format, e, options)
    except Exception as e:  # noqa: BLE001 - a parser bug must not pass bytes
        LOG.error('Unable to determine stream format because: %s', e)
        if options.require_image_format_match:
            raise exception.UnsupportedMediaType(detail=INSPECTION_FAILED)
        return None
    _check_vmdk_type(inspector, options)
    if virtual_size and virtual_size > MAX_VIRTUAL_SIZE:
        LOG.warning('Image %s claims a virtual size of %d bytes', inspector,
                    virtual_size)
        raise exception.UnsupportedMediaType(detail=SAFETY_CHECKS_FAILED)
    return virtual_size or None


def _detected(wrapper, disk_format):
    """The one format the bytes are. ISO with a GPT in front counts as ISO,
    except under a raw claim: there Glance's mismatch warning asks the
    wrapper for its single format, which refuses the pair."""
    matches = {str(i): i for i in wrapper.formats}
    if matches.keys() == {'iso', 'gpt'} and disk_format != 'raw':
        return matches['iso']
    if len(matches) > 1:
        raise format_inspector.ImageFormatError(
            'Multiple formats detected: %s' % ','.join(sorted(matches)))
    return next(iter(matches.values()))


def _virtual_size(inspector, detected, disk_format):
    if detected == disk_format:
        return inspector.virtual_size
    if detected == 'raw' and disk_format not in format_inspector.ALL_FORMATS:
        return None  # ami, aki, ...: not inspectable, nothing recognised
    if disk_format == 'raw':
        LOG.warning('Image claims raw disk_format but is actually %s',
                    detected)
        return inspector.actual_size
    raise format_inspector.ImageFormatError(
        MISMATCH % (disk_format, detected))


def _check_vmdk_type(inspector, options):
    if str(inspector) != 'vmdk':
        return
    create_type = getattr(inspector, 'vmdktype', '').lower()
    if create_type not in options.vmdk_allowed_types:
        LOG.warning('VMDK create type %r is not in vmdk_allowed_types',
                    create_type)
        raise exception.UnsupportedMediaType(detail=SAFETY_CHECKS_FAILED)


def _judge_safety_failures(inspector, disk_format, error, options):
    fatal = set(error.failures) - options.gpt_safety_checks_nonfatal
    if disk_format in _KERNEL_FORMATS:
        fatal.discard('mbr')
    if str(inspector) == 'gpt' and not fatal:
        LOG.warning('Non-fatal %s', error)
        return
    LOG.warning('Image %s %s', inspector, error)
    raise exception.UnsupportedMediaType(detail=SAFETY_CHECKS_FAILED)
