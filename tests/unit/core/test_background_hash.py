"""The download's checksum thread hashes every byte fed to it, in order, whatever happens."""

from __future__ import annotations

import hashlib
import os

import pytest

from parrotchat.core.hub.background_hash import BackgroundHash


def test_every_chunk_is_hashed_in_order() -> None:
    chunks = [os.urandom(n) for n in (1, 4096, 1 << 20, 3, 700_000) * 8]
    h = hashlib.sha256()
    with BackgroundHash(h.update) as hashing:
        for c in chunks:
            hashing.feed(c)
    assert h.hexdigest() == hashlib.sha256(b"".join(chunks)).hexdigest()


def test_a_download_error_still_leaves_the_fed_bytes_hashed() -> None:
    h = hashlib.sha256()
    with pytest.raises(ConnectionError), BackgroundHash(h.update) as hashing:
        hashing.feed(b"kept")
        raise ConnectionError("dropped")
    assert h.hexdigest() == hashlib.sha256(b"kept").hexdigest()


def test_a_hashing_error_reaches_the_downloading_thread() -> None:
    def broken(_chunk: bytes) -> None:
        raise MemoryError("no room")

    with pytest.raises(MemoryError), BackgroundHash(broken) as hashing:
        for _ in range(20):  # more than the queue holds: the feeder must not block forever
            hashing.feed(b"x")
