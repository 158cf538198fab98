"""Export a neighbourhood or a resident into an archive (server/portability/archive.py).

A neighbourhood's archive: profile.json, settings.json, posts.json (every own object:
notes, events, polls, with their original ids and dates), followers.json, following.json,
tables/<table>.json (members and roles, events with RSVPs, polls, media rows — for the
features installed here) and media/<file>. A resident's archive adds follows.csv and
blocks.csv in Mastodon's formats, and blocks.json.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from server.config import Settings
from server.portability.archive import build_archive, is_safe_path
from server.portability.mastodon_csv import FollowEntry, blocks_csv, follows_csv
from server.storage import actors as actor_store
from server.storage import feature_rows as rows_store
from server.storage import portability as store
from server.storage.actors import ActorRow, Db

KIND_OF_ARCHIVE = {"Group": "neighbourhood", "Person": "resident"}


class NothingToExport(LookupError):
    """No local actor of that name and kind."""


def _json(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS)


def profile_of(actor: ActorRow) -> dict[str, Any]:
    return {
        "ap_id": actor.ap_id,
        "kind": actor.kind,
        "username": actor.username,
        "name": actor.name,
        "summary": actor.summary,
        "url": actor.url,
        "icon_url": actor.icon_url,
        "image_url": actor.image_url,
        "manually_approves": actor.manually_approves,
        "discoverable": actor.discoverable,
        "also_known_as": list(actor.also_known_as),
        "moved_to": actor.moved_to,
        "created_at": actor.created_at,
    }


async def feature_rows(db: Db, actor_id: int) -> dict[str, list[dict[str, Any]]]:
    """Rows of installed feature tables that belong to the actor or its objects, or to rows
    collected before them; every actor or object reference also given as `<column>@ap_id`."""
    object_ids = await store.object_ids_of(db, actor_id)
    collected: dict[str, list[dict[str, Any]]] = {}
    for table in await rows_store.installed_tables(db, rows_store.FEATURE_TABLES):
        keys = await rows_store.foreign_keys(db, table)
        found: dict[bytes, dict[str, Any]] = {}
        for fk in keys:
            if fk.parent == "actors":
                ids: list[Any] = [actor_id]
            elif fk.parent == "objects":
                ids = object_ids
            elif fk.parent in collected:
                ids = [r[fk.parent_column] for r in collected[fk.parent] if r.get(fk.parent_column) is not None]
            else:
                continue
            for row in await rows_store.rows_pointing_at(db, table, fk.column, ids):
                found[orjson.dumps(row, option=orjson.OPT_SORT_KEYS)] = row
        rows = list(found.values())
        for fk in keys:
            if fk.parent in ("actors", "objects"):
                wanted = sorted({int(r[fk.column]) for r in rows if r.get(fk.column) is not None})
                names = await store.ap_ids_of(db, fk.parent, wanted)
                for row in rows:
                    if row.get(fk.column) is not None:
                        row[f"{fk.column}@ap_id"] = names.get(int(row[fk.column]))
        if rows:
            collected[table] = rows
    return collected


def media_files(data_dir: Path, media_rows: list[dict[str, Any]]) -> dict[str, bytes]:
    """The files of the actor's media rows that exist under data_dir/media."""
    folder = data_dir / "media"
    files: dict[str, bytes] = {}
    for row in media_rows:
        name = row.get("file_name")
        if not isinstance(name, str) or not is_safe_path(name) or "/" in name:
            continue
        path = folder / name
        if path.is_file():
            files[f"media/{name}"] = path.read_bytes()
    return files


async def collect_files(db: Db, settings: Settings, actor: ActorRow) -> dict[str, bytes]:
    files: dict[str, bytes] = {
        "profile.json": _json(profile_of(actor)),
        "posts.json": _json(await store.own_objects(db, actor.id)),
        "followers.json": _json(await store.followers(db, actor.id)),
        "following.json": _json(await store.following(db, actor.id)),
    }
    if actor.kind == "Group":
        files["settings.json"] = _json(await store.neighbourhood_settings(db, actor.id) or {})
    tables = await feature_rows(db, actor.id)
    for table, rows in tables.items():
        files[f"tables/{table}.json"] = _json(rows)
    files.update(await asyncio.to_thread(media_files, settings.data_dir, tables.get("media", [])))
    if actor.kind == "Person":
        files.update(await resident_lists(db, actor.id))
    return files


async def resident_lists(db: Db, actor_id: int) -> dict[str, bytes]:
    """Mastodon-compatible follows.csv and blocks.csv, and blocks.json."""
    follows = [r for r in await store.following(db, actor_id) if r["state"] == "accepted"]
    blocks = await store.blocked(db, actor_id)
    return {
        "follows.csv": follows_csv(FollowEntry(address=f"{r['username']}@{r['domain']}") for r in follows).encode(),
        "blocks.csv": blocks_csv(f"{r['username']}@{r['domain']}" for r in blocks).encode(),
        "blocks.json": _json(blocks),
    }


async def export_actor(db: Db, settings: Settings, username: str, kind: str) -> bytes:
    """The archive of local actor `username` of `kind` ("Group" or "Person")."""
    actor = await actor_store.local_actor(db, username)
    if actor is None or actor.kind != kind:
        what = "neighbourhood" if kind == "Group" else "resident"
        raise NothingToExport(f"there is no {what} called {username!r} here")
    files = await collect_files(db, settings, actor)
    return await asyncio.to_thread(
        build_archive,
        kind=KIND_OF_ARCHIVE[kind],
        source_domain=settings.domain,
        actor=actor.ap_id,
        created_at=datetime.now(UTC).replace(microsecond=0),
        files=files,
    )


async def export_neighbourhood(db: Db, settings: Settings, username: str) -> bytes:
    return await export_actor(db, settings, username, "Group")


async def export_resident(db: Db, settings: Settings, username: str) -> bytes:
    return await export_actor(db, settings, username, "Person")
