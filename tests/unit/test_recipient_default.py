"""Where the recipient check is on by default: with the static token file
(it lists every project there is), not with Keystone (Glance accepts any
id); `[sharing] verify_members` decides when set."""

import pytest

from glance_members import conf as gm_conf


@pytest.mark.parametrize('backend,option,checked', [
    ('static', None, True),
    ('keystone', None, False),
    ('static', False, False),
    ('keystone', True, True),
])
def test_verify_members(tmp_path, backend, option, checked):
    conf = gm_conf.new_conf(overrides={'data_dir': str(tmp_path),
                                       'auth.backend': backend})
    if option is not None:
        conf.set_override('verify_members', option, group='sharing')
    assert gm_conf.verify_members(conf) is checked


def test_a_config_file_sets_it_either_way(tmp_path):
    path = tmp_path / 'gm.conf'
    path.write_text('[sharing]\nverify_members = false\n')
    conf = gm_conf.new_conf(config_file=str(path))
    assert conf.auth.backend == 'static'
    assert gm_conf.verify_members(conf) is False
