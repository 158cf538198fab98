"""The Buurtplein archive (format version 1): a tar.gz whose first member is
`manifest.json`, followed by JSON, CSV and media files. docs/portability.md describes it.

    manifest.json  {"format": "buurtplein-archive", "format_version": 1,
                    "kind": "neighbourhood" | "resident", "created_at": "…Z",
                    "source_domain": "old.example", "actor": "https://old.example/actors/x",
                    "files": {"profile.json": {"sha256": "…", "bytes": 123}, …}}

Reading refuses, with a message that says why: a truncated or corrupt file, a member that
is not a plain file or has an unsafe path, a newer format version, more than `max_bytes`
(compressed or unpacked), a file missing from or not listed in the manifest, a file whose
SHA-256 differs from the manifest's. Pure: bytes in, values out; no database.
"""

from __future__ import annotations

import hashlib
import io
import re
import tarfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from activitypub.jsonld import format_datetime, parse_datetime

FORMAT_NAME = "buurtplein-archive"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
KINDS = ("neighbourhood", "resident")
MAX_FILES = 50_000
_PATH_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}(/[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}){0,3}$")


class ArchiveRefused(ValueError):
    """The archive cannot be used; the message says why (safe to show)."""


@dataclass(frozen=True)
class Manifest:
    format_version: int
    kind: str
    created_at: datetime
    source_domain: str
    actor: str
    checksums: Mapping[str, str]


@dataclass(frozen=True)
class Archive:
    manifest: Manifest
    files: Mapping[str, bytes]

    def json(self, name: str, default: Any = None) -> Any:
        """A JSON file of the archive (`default` when absent); refused when not JSON."""
        body = self.files.get(name)
        if body is None:
            return default
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            raise ArchiveRefused(f"{name} in the archive is not valid JSON") from None

    def names_under(self, folder: str) -> list[str]:
        return sorted(n for n in self.files if n.startswith(folder.rstrip("/") + "/"))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_safe_path(name: str) -> bool:
    return bool(_PATH_RE.match(name)) and ".." not in name.split("/")


def build_archive(
    *, kind: str, source_domain: str, actor: str, created_at: datetime, files: Mapping[str, bytes]
) -> bytes:
    """Pack `files` (name → bytes) with a manifest into a tar.gz (deterministic order)."""
    if kind not in KINDS:
        raise ValueError(f"unknown archive kind {kind}")
    for name in files:
        if not is_safe_path(name) or name == MANIFEST:
            raise ValueError(f"unusable file name in an archive: {name!r}")
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "created_at": format_datetime(created_at),
        "source_domain": source_domain,
        "actor": actor,
        "files": {name: {"sha256": sha256(body), "bytes": len(body)} for name, body in sorted(files.items())},
    }
    out = io.BytesIO()
    mtime = int(created_at.timestamp())
    with tarfile.open(fileobj=out, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, MANIFEST, orjson.dumps(manifest, option=orjson.OPT_INDENT_2), mtime)
        for name, body in sorted(files.items()):
            _add(tar, name, body, mtime)
    return out.getvalue()


def _add(tar: tarfile.TarFile, name: str, body: bytes, mtime: int) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(body)
    info.mtime = mtime
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(body))


def read_archive(data: bytes, *, max_bytes: int) -> Archive:
    """Unpack and verify an archive in memory; raises ArchiveRefused."""
    if len(data) > max_bytes:
        raise ArchiveRefused(f"the archive is too large: {len(data)} bytes, the limit is {max_bytes}")
    files = _unpack(data, max_bytes)
    if MANIFEST not in files:
        raise ArchiveRefused("the archive has no manifest.json: not a Buurtplein archive")
    manifest = parse_manifest(files.pop(MANIFEST))
    _verify(manifest, files)
    return Archive(manifest=manifest, files=files)


def _unpack(data: bytes, max_bytes: int) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member in tar:
                if not member.isfile():
                    raise ArchiveRefused(f"the archive holds {member.name!r}, which is not a plain file")
                if not is_safe_path(member.name):
                    raise ArchiveRefused(f"the archive holds a file with an unsafe name: {member.name[:100]!r}")
                if member.name in files:
                    raise ArchiveRefused(f"the archive holds {member.name} twice")
                total += member.size
                if total > max_bytes:
                    raise ArchiveRefused(f"the archive unpacks to more than the limit of {max_bytes} bytes")
                if len(files) >= MAX_FILES:
                    raise ArchiveRefused(f"the archive holds more than {MAX_FILES} files")
                handle = tar.extractfile(member)
                assert handle is not None
                body = handle.read()
                if len(body) != member.size:
                    raise ArchiveRefused("the archive is truncated")
                files[member.name] = body
    except (tarfile.TarError, EOFError, zlib.error, OSError) as exc:
        raise ArchiveRefused(f"the archive is truncated or not a tar.gz file ({type(exc).__name__})") from None
    return files


def parse_manifest(body: bytes) -> Manifest:
    try:
        raw = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise ArchiveRefused("manifest.json is not valid JSON") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT_NAME:
        raise ArchiveRefused("manifest.json does not describe a Buurtplein archive")
    version = raw.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ArchiveRefused("manifest.json has no valid format_version")
    if version > FORMAT_VERSION:
        raise ArchiveRefused(
            f"the archive has format version {version}, newer than this Buurtplein reads "
            f"(version {FORMAT_VERSION}): upgrade Buurtplein on this host first"
        )
    kind, actor, domain = raw.get("kind"), raw.get("actor"), raw.get("source_domain")
    created_at = parse_datetime(raw.get("created_at"))
    if kind not in KINDS or not isinstance(actor, str) or not isinstance(domain, str) or created_at is None:
        raise ArchiveRefused("manifest.json lacks kind, actor, source_domain or created_at")
    listed = raw.get("files")
    if not isinstance(listed, dict):
        raise ArchiveRefused("manifest.json lists no files")
    checksums: dict[str, str] = {}
    for name, entry in listed.items():
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        if not isinstance(digest, str):
            raise ArchiveRefused(f"manifest.json gives no checksum for {name}")
        checksums[name] = digest
    return Manifest(
        format_version=version,
        kind=str(kind),
        created_at=created_at,
        source_domain=domain,
        actor=actor,
        checksums=checksums,
    )


def _verify(manifest: Manifest, files: Mapping[str, bytes]) -> None:
    missing = sorted(set(manifest.checksums) - set(files))
    if missing:
        raise ArchiveRefused(f"the archive is incomplete: {', '.join(missing[:5])} listed but missing")
    unlisted = sorted(set(files) - set(manifest.checksums))
    if unlisted:
        raise ArchiveRefused(f"the archive holds files the manifest does not list: {', '.join(unlisted[:5])}")
    for name, body in files.items():
        if sha256(body) != manifest.checksums[name]:
            raise ArchiveRefused(f"{name} does not match its checksum: the archive was changed or damaged")
