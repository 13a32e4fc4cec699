"""When an upload in flight counts as abandoned (glance_members.uploads)."""

import datetime
import os

from glance_members import records
from glance_members import uploads
from testbed import processes

NOW = datetime.datetime(2026, 12, 3, 12, 0, 0)
FRESH = NOW - datetime.timedelta(seconds=1)
STALE = NOW - uploads.STALE_AFTER - datetime.timedelta(seconds=1)


def _image(updated_at=FRESH):
    return records.Image(id='i', owner='p', status='saving',
                         updated_at=updated_at)


def _dead_owner():
    return processes.exited_process_owner(uploads.owner_of)


def test_a_live_process_of_this_machine_keeps_its_upload():
    upload = records.Upload('i', uploads.owner_of(os.getpid()), STALE)
    # Even with an old heartbeat: the process is known to be alive.
    assert not uploads.is_abandoned(upload, _image(), NOW)


def test_a_dead_process_of_this_machine_loses_it_at_once():
    upload = records.Upload('i', _dead_owner(), FRESH)
    assert uploads.is_abandoned(upload, _image(), NOW)


def test_a_reused_pid_is_not_the_recorded_process():
    host, boot, pid, start = uploads.owner_of(os.getpid()).split(' ')
    upload = records.Upload('i', ' '.join((host, boot, pid, start + '0')),
                            FRESH)
    assert uploads.is_abandoned(upload, _image(), NOW)


def test_another_machine_is_judged_by_its_heartbeat():
    remote = 'elsewhere 00000000-boot 4242 1'
    assert not uploads.is_abandoned(records.Upload('i', remote, FRESH),
                                    _image(), NOW)
    assert uploads.is_abandoned(records.Upload('i', remote, STALE),
                                _image(), NOW)


def test_an_unrecorded_upload_is_judged_by_the_image_update():
    assert not uploads.is_abandoned(None, _image(FRESH), NOW)
    assert uploads.is_abandoned(None, _image(STALE), NOW)
