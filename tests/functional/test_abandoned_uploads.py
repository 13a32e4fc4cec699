"""An image left in `saving` by a dead upload is queued again, its partial
bytes removed, as soon as anyone reads it; a live upload is never touched.

The dead worker is a real process of this machine that has exited (its
owner record is what a killed gunicorn worker leaves); the killed worker of
a real server is tested in tests/integration/test_image_data_server.py.
"""

import datetime
import os
import time

from glance_members import uploads
from testbed import processes

OCTET = 'application/octet-stream'


def _dead_owner():
    return processes.exited_process_owner(uploads.owner_of)


def _left_in_saving(api, app, images_dir, owner):
    """An image that `owner` was receiving, with its partial bytes."""
    image = api.create_image(disk_format='raw', container_format='bare')
    repo = app.extensions['glance_members'].repo
    assert repo.start_upload(image['id'], owner)
    images_dir.mkdir(parents=True, exist_ok=True)
    (images_dir / image['id']).write_bytes(b'partial')
    return image['id'], repo


def _status(api, image_id, who='producer'):
    return api.get('/v2/images/%s' % image_id, who=who).json['status']


def test_dead_upload_is_taken_back_on_the_next_read(api, app, tmp_path):
    images_dir = tmp_path / 'data' / 'images'
    image_id, _ = _left_in_saving(api, app, images_dir, _dead_owner())
    assert _status(api, image_id) == 'queued'
    assert not (images_dir / image_id).exists()
    r = api.put('/v2/images/%s/file' % image_id, data=b'whole',
                content_type=OCTET)
    assert r.status_code == 204, r.data
    shown = api.get('/v2/images/%s' % image_id).json
    assert (shown['status'], shown['size']) == ('active', 5)


def test_dead_upload_is_taken_back_by_a_list_and_by_an_upload(api, app,
                                                              tmp_path):
    images_dir = tmp_path / 'data' / 'images'
    listed, _ = _left_in_saving(api, app, images_dir, _dead_owner())
    statuses = {i['id']: i['status']
                for i in api.get('/v2/images').json['images']}
    assert statuses[listed] == 'queued'
    uploaded, _ = _left_in_saving(api, app, images_dir, _dead_owner())
    r = api.put('/v2/images/%s/file' % uploaded, data=b'new',
                content_type=OCTET)
    assert r.status_code == 204, r.data


def test_a_live_upload_is_never_disturbed(api, app, tmp_path):
    images_dir = tmp_path / 'data' / 'images'
    alive = uploads.owner_of(os.getpid())
    image_id, _ = _left_in_saving(api, app, images_dir, alive)
    assert _status(api, image_id) == 'saving'
    assert (images_dir / image_id).exists()
    r = api.put('/v2/images/%s/file' % image_id, data=b'x',
                content_type=OCTET)
    assert r.status_code == 409, r.data


def test_another_hosts_upload_lives_while_its_heartbeat_does(api, app,
                                                             tmp_path):
    images_dir = tmp_path / 'data' / 'images'
    remote = 'other-host 0-boot 12 34'
    image_id, repo = _left_in_saving(api, app, images_dir, remote)
    assert _status(api, image_id) == 'saving'
    # Its heartbeat stops: three beats later the image is taken back.
    upload = repo.get_upload(image_id)
    stale = upload.heartbeat_at - uploads.STALE_AFTER - \
        datetime.timedelta(seconds=1)
    repo.database.execute_sql(
        'UPDATE image_uploads SET heartbeat_at = %s WHERE image_id = %s'
        % (repo.database.param, repo.database.param), (stale, image_id))
    assert _status(api, image_id) == 'queued'


def test_a_taken_back_upload_is_not_undone_by_a_late_reclaim(api, app,
                                                             tmp_path):
    """Two readers race to take back the same dead upload; meanwhile a new
    upload started: only the recorded owner's upload may be abandoned."""
    images_dir = tmp_path / 'data' / 'images'
    dead = _dead_owner()
    image_id, repo = _left_in_saving(api, app, images_dir, dead)
    assert repo.abandon_upload(image_id, dead)
    assert repo.start_upload(image_id, uploads.owner_of(os.getpid()))
    assert not repo.abandon_upload(image_id, dead)
    assert _status(api, image_id) == 'saving'


def test_the_heartbeat_renews_uploads_in_flight(api, app, tmp_path,
                                                monkeypatch):
    monkeypatch.setattr(uploads, 'HEARTBEAT_SECONDS', 0.05)
    heartbeat = app.extensions['glance_members'].heartbeat
    image = api.create_image(disk_format='raw', container_format='bare')
    repo = app.extensions['glance_members'].repo
    assert repo.start_upload(image['id'], heartbeat.owner)
    first = repo.get_upload(image['id']).heartbeat_at
    with heartbeat.receiving(image['id']):
        deadline = time.monotonic() + 10
        while repo.get_upload(image['id']).heartbeat_at == first:
            assert time.monotonic() < deadline, 'no heartbeat'
            time.sleep(0.05)
    assert heartbeat.owner == uploads.owner_of(os.getpid())
