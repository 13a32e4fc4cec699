"""Names beside ids (auth.projects, sharing.names): the directory's
cache is bounded in size and time, and the static token file names only
what it names."""

from glance_members.auth import projects
from glance_members.sharing import names


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_cache_answers_are_remembered_for_their_time_only():
    clock = Clock()
    cache = projects._Cache(30, clock)
    asked = []

    def ask():
        asked.append(1)
        return 'name'
    assert cache.get('k', ask) == cache.get('k', ask) == 'name'
    assert len(asked) == 1
    clock.now = 31
    cache.get('k', ask)
    assert len(asked) == 2


def test_cache_holds_a_bounded_number_of_answers(monkeypatch):
    monkeypatch.setattr(projects._Cache, 'LIMIT', 3)
    cache = projects._Cache(30, Clock())
    for key in range(10):
        cache.get(key, lambda: None)
        assert len(cache.entries) <= 3


def test_static_directory_names_only_what_the_file_names(tmp_path):
    path = tmp_path / 'tokens.yaml'
    path.write_text(
        'a: {user_id: u1, user_name: alice, project_id: p1, '
        'project_name: dept-a}\n'
        'b: {user_id: u2, project_id: p2}\n')
    directory = projects.StaticDirectory(str(path))
    assert names.project_names(directory, ['p1', 'p2', 'p3', None]) == {
        'p1': 'dept-a', 'p2': None, 'p3': None}
    assert names.user_names(directory, ['u1', 'u2']) == {
        'u1': 'alice', 'u2': None}
    assert directory.exists('p2') and not directory.exists('p3')
    assert directory.find('p2', 'Default') == 'p2'  # no name: its id


def test_a_directory_that_cannot_answer_leaves_ids(tmp_path):
    """The token file gone: the recipient check says 503, names say
    nothing (a name is a courtesy, never an error)."""
    directory = projects.StaticDirectory(str(tmp_path / 'missing.yaml'))
    assert names.project_names(directory, ['p1']) == {'p1': None}
    assert names.project_names(None, ['p1']) == {}
