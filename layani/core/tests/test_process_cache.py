"""The per-process cache of rarely changing rows: reloaded when the version moves or the
entry is too old, bounded in size, cleared on demand."""

from layani.core.process_cache import ProcessCache


class Loader:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


def test_a_value_is_loaded_once_while_its_version_stands():
    cache: ProcessCache[int] = ProcessCache(60)
    load = Loader()
    assert [cache.get("k", load, version=1) for _ in range(3)] == [1, 1, 1]
    assert cache.get("k", load, version=2) == 2  # another process changed the rows
    assert cache.get("other", load, version=2) == 3
    assert load.calls == 3


def test_an_entry_older_than_its_age_is_loaded_again():
    cache: ProcessCache[int] = ProcessCache(60)
    load = Loader()
    assert cache.get("k", load) == 1
    cache.max_age = 0.0
    assert cache.get("k", load) == 2


def test_junk_keys_cannot_grow_it_without_bound_and_clear_forgets():
    cache: ProcessCache[int] = ProcessCache(60, max_entries=3)
    load = Loader()
    for key in range(10):
        cache.get(key, load)
    assert len(cache._entries) <= 3
    cache.clear()
    before = load.calls
    cache.get(9, load)
    assert load.calls == before + 1
