"""The archive format: round trip; truncated, tampered, newer-version and too-large archives
are refused with a clear message; a refused import leaves nothing behind."""

from __future__ import annotations

import io
import tarfile
from datetime import UTC, datetime

import orjson
import pytest

from server.portability.archive import (
    FORMAT_VERSION,
    ArchiveRefused,
    build_archive,
    read_archive,
)
from server.portability.import_ import ImportRefused, import_neighbourhood
from server.storage import actors as actor_store
from tests.harness import Instance

WHEN = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
OLD = "https://old.example/actors/oosterpark"
LIMIT = 1024 * 1024


def sample(**files: bytes) -> bytes:
    base = {
        "profile.json": orjson.dumps({"ap_id": OLD, "kind": "Group", "username": "oosterpark"}),
        "posts.json": b"[]",
    }
    base.update(files)
    return build_archive(kind="neighbourhood", source_domain="old.example", actor=OLD, created_at=WHEN, files=base)


def repack(data: bytes, change: dict[str, bytes]) -> bytes:
    """The same archive with some members' bytes replaced (the manifest left as it was)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as src, tarfile.open(fileobj=out, mode="w:gz") as dst:
        for member in src:
            handle = src.extractfile(member)
            assert handle is not None
            body = change.get(member.name, handle.read())
            member.size = len(body)
            dst.addfile(member, io.BytesIO(body))
    return out.getvalue()


def test_round_trip_keeps_files_and_manifest() -> None:
    archive = read_archive(sample(**{"media/a.png": b"\x89PNG"}), max_bytes=LIMIT)
    assert archive.manifest.format_version == FORMAT_VERSION
    assert archive.manifest.actor == OLD and archive.manifest.source_domain == "old.example"
    assert archive.manifest.created_at == WHEN
    assert archive.files["media/a.png"] == b"\x89PNG"
    assert archive.json("profile.json")["username"] == "oosterpark"
    assert archive.names_under("media") == ["media/a.png"]


def test_truncated_archive_is_refused() -> None:
    data = sample(**{"posts.json": b"[" + b'"x",' * 5000 + b'"x"]'})
    with pytest.raises(ArchiveRefused, match="truncated"):
        read_archive(data[: len(data) // 2], max_bytes=LIMIT)


def test_tampered_file_is_refused() -> None:
    data = repack(sample(), {"posts.json": b'[{"ap_id": "evil"}]'})
    with pytest.raises(ArchiveRefused, match="checksum"):
        read_archive(data, max_bytes=LIMIT)


def test_file_not_in_manifest_is_refused() -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=io.BytesIO(sample()), mode="r:gz") as src, tarfile.open(fileobj=out, mode="w:gz") as dst:
        for member in src:
            dst.addfile(member, src.extractfile(member))
        extra = tarfile.TarInfo("extra.json")
        extra.size = 2
        dst.addfile(extra, io.BytesIO(b"{}"))
    with pytest.raises(ArchiveRefused, match="does not list"):
        read_archive(out.getvalue(), max_bytes=LIMIT)


def test_newer_format_version_is_refused() -> None:
    data = sample()
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        handle = tar.extractfile("manifest.json")
        assert handle is not None
        manifest = orjson.loads(handle.read())
    manifest["format_version"] = FORMAT_VERSION + 1
    with pytest.raises(ArchiveRefused, match="newer"):
        read_archive(repack(data, {"manifest.json": orjson.dumps(manifest)}), max_bytes=LIMIT)


def test_too_large_archive_is_refused_packed_and_unpacked() -> None:
    data = sample(**{"media/big.bin": b"\0" * 200_000})
    with pytest.raises(ArchiveRefused, match="too large"):
        read_archive(data, max_bytes=len(data) - 1)
    with pytest.raises(ArchiveRefused, match="unpacks to more"):
        read_archive(data, max_bytes=100_000)  # compresses well: only the unpacked size is over


def test_unsafe_member_name_is_refused() -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        info = tarfile.TarInfo("../../etc/passwd")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(ArchiveRefused, match="unsafe"):
        read_archive(out.getvalue(), max_bytes=LIMIT)


def test_not_an_archive_is_refused() -> None:
    with pytest.raises(ArchiveRefused):
        read_archive(b"hello, I am not a tar.gz", max_bytes=LIMIT)


async def test_failing_import_leaves_nothing_behind(instance: Instance) -> None:
    """The third post has no publication date: the actor and the first posts are not kept."""
    posts = [
        {
            "ap_id": f"https://old.example/objects/{i}",
            "type": "Note",
            "visibility": "public",
            "content": "hoi",
            "document": {"id": f"https://old.example/objects/{i}", "type": "Note"},
            "published_at": "2023-01-01T00:00:00Z" if i < 2 else None,
        }
        for i in range(3)
    ]
    archive = read_archive(sample(**{"posts.json": orjson.dumps(posts)}), max_bytes=LIMIT)
    with pytest.raises(ImportRefused, match="publication date"):
        await import_neighbourhood(instance.pool, instance.settings, archive)
    assert await actor_store.local_actor(instance.pool, "oosterpark") is None
    assert await instance.pool.fetchval("SELECT count(*) FROM imported_objects") == 0


async def test_import_failing_inside_the_transaction_rolls_back(instance: Instance) -> None:
    """A setting this host refuses (a CHECK constraint) fails after the actor, its posts and
    the move record were written: all of it is rolled back, and the error is clear."""
    posts = [
        {
            "ap_id": "https://old.example/objects/1",
            "type": "Note",
            "visibility": "public",
            "content": "hoi",
            "document": {"id": "https://old.example/objects/1", "type": "Note"},
            "published_at": "2023-01-01T00:00:00Z",
        }
    ]
    files = {"posts.json": orjson.dumps(posts), "settings.json": orjson.dumps({"membership_mode": "bogus"})}
    archive = read_archive(sample(**files), max_bytes=LIMIT)
    with pytest.raises(ImportRefused, match="membership_mode"):
        await import_neighbourhood(instance.pool, instance.settings, archive)
    assert await actor_store.local_actor(instance.pool, "oosterpark") is None
    assert await instance.pool.fetchval("SELECT count(*) FROM objects WHERE is_local") == 0
    assert await instance.pool.fetchval("SELECT count(*) FROM actor_moves") == 0
