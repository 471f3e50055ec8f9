from parrotchat.engine.local.state_cache import SavedState, StateCache, common_prefix


def test_best_match_picks_the_longest_shared_prefix() -> None:
    cache = StateCache()
    cache.put(SavedState((1, 2, 3, 4), b"a"))
    cache.put(SavedState((1, 2, 9), b"b"))
    state, n = cache.best_match([1, 2, 3, 4, 5])
    assert state is not None and state.data == b"a" and n == 4


def test_cache_is_bounded_by_bytes_and_evicts_least_recently_used() -> None:
    cache = StateCache(max_bytes=10)
    cache.put(SavedState((1,), b"x" * 4))
    cache.put(SavedState((2,), b"x" * 4))
    cache.best_match([1])  # touch (1,)
    cache.put(SavedState((3,), b"x" * 4))
    assert cache.bytes_used <= 10
    assert cache.best_match([2])[0] is None
    assert cache.best_match([1])[0] is not None


def test_common_prefix() -> None:
    assert common_prefix([1, 2, 3], [1, 2, 4]) == 2
    assert common_prefix([], [1]) == 0
