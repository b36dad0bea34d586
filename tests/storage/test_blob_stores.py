"""Both backends keep the same contract: put/get/exists/delete/list/url and conditional writes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest
from pydantic import BaseModel

from storage import BlobStore, ConflictError, Documents, InvalidKey, KeyNotFound, SyncBlobStore, open_store


def test_put_get_list_delete_round_trip(backend: SyncBlobStore) -> None:
    etag = backend.put("users/a/photos/p1.jpg", b"one", content_type="image/jpeg")
    backend.put("users/a/photos/p2.jpg", b"two")
    backend.put("users/b/photos/p3.jpg", b"three")
    stored = backend.get("users/a/photos/p1.jpg")
    assert stored.data == b"one" and stored.etag == etag
    assert backend.list("users/a/") == ["users/a/photos/p1.jpg", "users/a/photos/p2.jpg"]
    assert backend.exists("users/a/photos/p2.jpg") and not backend.exists("users/a/photos/none.jpg")
    backend.delete("users/a/photos/p1.jpg")
    backend.delete("users/a/photos/p1.jpg")  # idempotent
    with pytest.raises(KeyNotFound):
        backend.get("users/a/photos/p1.jpg")
    assert backend.list("users/") == ["users/a/photos/p2.jpg", "users/b/photos/p3.jpg"]


def test_conditional_writes_detect_the_other_writer(backend: SyncBlobStore) -> None:
    first = backend.put("doc.json", b"v1", if_none_match=True)
    with pytest.raises(ConflictError):
        backend.put("doc.json", b"again", if_none_match=True)
    second = backend.put("doc.json", b"v2", if_match=first)
    with pytest.raises(ConflictError):
        backend.put("doc.json", b"stale", if_match=first)
    assert backend.get("doc.json").data == b"v2"
    assert backend.get("doc.json").etag == second


@pytest.mark.parametrize(
    "key", ["../escape", "/abs", "a//b", "a/../b", "a\\b", "", ".hidden", "a/.locks/x", "a/b/"]
)
def test_keys_that_could_escape_the_root_are_refused(backend: SyncBlobStore, key: str) -> None:
    with pytest.raises(InvalidKey):
        backend.put(key, b"x")


def test_urls_open_the_object(backend: SyncBlobStore) -> None:
    backend.put("images/x.png", b"\x89PNG-bytes")
    url = backend.url("images/x.png", 300)
    if url.startswith("file://"):
        assert Path(url.removeprefix("file://")).read_bytes() == b"\x89PNG-bytes"
    else:
        assert "Expires=300" in url or "X-Amz-Expires=300" in url
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.read() == b"\x89PNG-bytes"


class Counter(BaseModel):
    value: int = 0
    writers: list[str] = []


async def test_documents_update_applies_every_change(store_url: str, moto_endpoint: str) -> None:
    docs = Documents(open_store(store_url, s3_endpoint_url=moto_endpoint))
    for _ in range(3):
        await docs.update("counter.json", Counter, lambda c: Counter(value=(c.value if c else 0) + 1))
    assert (await docs.read("counter.json", Counter)) == Counter(value=3)


WRITER = textwrap.dedent(
    """
    import sys, anyio
    from pydantic import BaseModel
    from storage import Documents, open_store

    class Counter(BaseModel):
        value: int = 0
        writers: list[str] = []

    url, endpoint, name, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

    async def main():
        docs = Documents(open_store(url, s3_endpoint_url=endpoint))
        for i in range(rounds):
            await docs.update("shared/counter.json", Counter,
                              lambda c: Counter(value=(c.value if c else 0) + 1,
                                                writers=[*(c.writers if c else []), f"{name}-{i}"]))
    anyio.run(main)
    """
)


def test_two_server_processes_never_lose_an_update(store_url: str, moto_endpoint: str) -> None:
    rounds = 25
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, store_url, moto_endpoint, name, str(rounds)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    for writer in writers:
        _, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
    stored = Counter.model_validate_json(
        open_store(store_url, s3_endpoint_url=moto_endpoint).backend.get("shared/counter.json").data
    )
    assert stored.value == 2 * rounds
    assert sorted(stored.writers) == sorted(f"{n}-{i}" for n in "ab" for i in range(rounds))


async def test_a_change_that_raises_writes_nothing(tmp_path: Path) -> None:
    docs = Documents(BlobStore(open_store(str(tmp_path)).backend))
    await docs.update("c.json", Counter, lambda _: Counter(value=1))

    def refuse(_: Counter | None) -> Counter:
        raise ValueError("no")

    with pytest.raises(ValueError):
        await docs.update("c.json", Counter, refuse)
    assert (await docs.read("c.json", Counter)) == Counter(value=1)


@pytest.mark.parametrize("key", ["users/alice\n/profile.json", "users/alice/profile.json\n", "a\n"])
def test_a_key_with_a_trailing_newline_is_refused(backend: SyncBlobStore, key: str) -> None:
    with pytest.raises(InvalidKey):
        backend.put(key, b"x")
