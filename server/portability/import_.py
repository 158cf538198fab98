"""Import a neighbourhood archive: recreate it under this host's domain in ONE transaction.

The new actor lists the old one in `alsoKnownAs` (so the old host may send Move); every
object gets a new id here, keeps its original publication date and visibility, and keeps a
pointer to its original id (table imported_objects). Rows of installed feature tables
(members, events and RSVPs, polls, media) are recreated where what they point at exists
here; the others are counted as left behind. Media files are written under data_dir/media
and removed again when the transaction fails. Nothing is sent to anyone: followers come
with the Move (server/portability/move.py).
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nh3

from activitypub.jsonld import parse_datetime
from server.config import Settings
from server.domain.actors import InvalidName, NameTaken, generate_keys, insert_local_actor, validate_username
from server.portability.archive import Archive, ArchiveRefused
from server.portability.rewrite import IdMap, rewrite_document
from server.storage import actors as actor_store
from server.storage import feature_rows
from server.storage import portability as store
from server.storage.actors import ActorRow
from server.storage.pool import Connection, Pool
from server.urls import Urls

CONTENT_TYPES = ("Note", "Article", "Page", "Event", "Question")
VISIBILITIES = ("public", "unlisted", "followers", "members", "direct")


class ImportRefused(ValueError):
    """The archive cannot be imported here; the message says why. Nothing was changed."""


@dataclass
class ImportResult:
    actor: ActorRow
    original_ap_id: str
    objects: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    rows_left_behind: dict[str, int] = field(default_factory=dict)
    media_files: int = 0
    followers_in_archive: int = 0


def _clean(html: str) -> str:
    return nh3.clean(html[:100_000], link_rel="nofollow noopener noreferrer")


def _profile(archive: Archive) -> dict[str, Any]:
    if archive.manifest.kind != "neighbourhood":
        raise ImportRefused("this is a resident's archive, not a neighbourhood's")
    profile = archive.json("profile.json")
    if not isinstance(profile, dict) or profile.get("ap_id") != archive.manifest.actor:
        raise ImportRefused("profile.json is missing or does not belong to the archive's actor")
    if not isinstance(profile.get("username"), str):
        raise ImportRefused("profile.json has no username")
    return profile


def validated_posts(archive: Archive) -> list[dict[str, Any]]:
    posts = archive.json("posts.json", [])
    if not isinstance(posts, list) or not all(isinstance(p, dict) for p in posts):
        raise ImportRefused("posts.json is not a list of objects")
    if len({p.get("ap_id") for p in posts}) != len(posts):
        raise ImportRefused("posts.json lists an object twice")
    for post in posts:
        if not isinstance(post.get("ap_id"), str) or post.get("type") not in CONTENT_TYPES:
            raise ImportRefused("posts.json holds an object without an id or of an unknown type")
        if post.get("visibility") not in VISIBILITIES or not isinstance(post.get("document"), dict):
            raise ImportRefused(f"post {post['ap_id'][:100]} has no valid visibility or document")
        if parse_datetime(post.get("published_at")) is None:
            raise ImportRefused(f"post {post['ap_id'][:100]} has no publication date")
    return posts


async def import_neighbourhood(
    pool: Pool, settings: Settings, archive: Archive, *, username: str | None = None
) -> ImportResult:
    """Recreate the archive's neighbourhood here (as `username`, default its old name)."""
    profile = _profile(archive)
    posts = validated_posts(archive)
    old_ap_id = archive.manifest.actor
    if Urls(settings).is_local(old_ap_id):
        raise ImportRefused("this archive was made on this host: import it on the new host")
    try:
        name = validate_username(username or profile["username"])
    except InvalidName as exc:
        raise ImportRefused(str(exc)) from None
    generated = await asyncio.to_thread(generate_keys)
    written: list[Path] = []
    try:
        written = await asyncio.to_thread(write_media, settings.data_dir, archive)
        async with pool.acquire() as conn, conn.transaction():
            return await _recreate(conn, settings, archive, profile, posts, name, generated, len(written))
    except BaseException:
        await asyncio.to_thread(remove_files, written)
        raise


async def _recreate(
    conn: Connection,
    settings: Settings,
    archive: Archive,
    profile: dict[str, Any],
    posts: list[dict[str, Any]],
    name: str,
    generated: Any,
    media_count: int,
) -> ImportResult:
    old_ap_id = archive.manifest.actor
    urls = Urls(settings)
    try:
        actor = await insert_local_actor(
            conn,
            settings,
            generated,
            kind="Group",
            username=name,
            name=str(profile.get("name") or name)[:500],
            summary=str(profile.get("summary") or "")[:5000],
            manually_approves=bool(profile.get("manually_approves")),
        )
    except NameTaken:
        raise ImportRefused(f"the name {name!r} is taken on this host: import under another name") from None
    if await store.was_imported(conn, old_ap_id):
        raise ImportRefused(f"{old_ap_id} was imported here before")
    await store.record_move(conn, "imported", old_ap_id, actor.ap_id)
    ids = IdMap.for_actor(archive, urls, old_ap_id, actor)
    for post in posts:
        ids.objects[post["ap_id"]] = urls.object(uuid.uuid4().hex)
    aliases = [old_ap_id, *[a for a in profile.get("also_known_as") or [] if isinstance(a, str)]][:10]
    await store.set_also_known_as(conn, actor.id, list(dict.fromkeys(aliases)))
    created = parse_datetime(profile.get("created_at"))
    if created is not None:
        await store.set_created_at(conn, actor.id, created)
    result = ImportResult(actor=actor, original_ap_id=old_ap_id, media_files=media_count)
    object_ids = {}
    for post in posts:
        object_ids[post["ap_id"]] = await insert_post(conn, actor, post, ids)
    result.objects = len(posts)
    try:
        await feature_rows.update_settings(conn, actor.id, _dict(archive.json("settings.json", {})))
    except feature_rows.RowRefused as exc:
        raise ImportRefused(f"settings.json does not fit this host: {exc}") from None
    await recreate_rows(conn, archive, result, old_ap_id, actor.id, object_ids, ids.objects)
    followers = archive.json("followers.json", [])
    result.followers_in_archive = len(followers) if isinstance(followers, list) else 0
    refreshed = await actor_store.actor_by_id(conn, actor.id)
    assert refreshed is not None
    result.actor = refreshed
    return result


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


async def insert_post(conn: Connection, actor: ActorRow, post: dict[str, Any], ids: IdMap) -> int:
    new_id = ids.objects[post["ap_id"]]
    document = rewrite_document(post["document"], ids)
    document["id"] = new_id
    document["url"] = new_id
    document["attributedTo"] = actor.ap_id
    for key in ("content", "summary"):
        if isinstance(document.get(key), str):
            document[key] = _clean(document[key])
    document.pop("contentMap", None)
    in_reply_to = post.get("in_reply_to")
    return await store.insert_imported_object(
        conn,
        {
            "ap_id": new_id,
            "type": post["type"],
            "actor_id": actor.id,
            "attributed_to": actor.ap_id,
            "in_reply_to": ids.objects.get(in_reply_to, in_reply_to) if isinstance(in_reply_to, str) else None,
            "visibility": post["visibility"],
            "is_local": True,
            "content": _clean(str(post.get("content") or "")),
            "document": document,
            "published_at": parse_datetime(post["published_at"]),
            "updated_at": parse_datetime(post.get("updated_at")),
        },
        post["ap_id"],
    )


async def recreate_rows(
    conn: Connection,
    archive: Archive,
    result: ImportResult,
    old_ap_id: str,
    actor_id: int,
    object_ids: dict[str, int],
    new_object_ap_ids: dict[str, str] | None = None,
) -> None:
    """Feature-table rows, parents first; references remapped through ap_ids (also the text
    columns of feature_rows.OBJECT_ID_COLUMNS, through `new_object_ap_ids`)."""
    tables = await feature_rows.installed_tables(conn, feature_rows.FEATURE_TABLES)
    wanted: list[str] = []
    for table in tables:
        for row in _rows(archive, table):
            wanted += [v for k, v in row.items() if k.endswith("@ap_id") and isinstance(v, str)]
    actors = await store.actor_ids_by_ap_id(conn, sorted(set(wanted)))
    actors[old_ap_id] = actor_id
    remapped: dict[tuple[str, str], dict[Any, Any]] = {}
    for table in tables:
        columns = set(await feature_rows.columns_of(conn, table))
        keys = await feature_rows.foreign_keys(conn, table)
        for row in _rows(archive, table):
            values = {k: v for k, v in row.items() if k in columns and k != "id"}
            for column in feature_rows.OBJECT_ID_COLUMNS.get(table, ()):
                if isinstance(values.get(column), str):
                    values[column] = (new_object_ap_ids or {}).get(values[column], values[column])
            for fk in keys:
                if row.get(fk.column) is None:
                    continue
                if fk.parent in ("actors", "objects"):
                    names = actors if fk.parent == "actors" else object_ids
                    values[fk.column] = names.get(str(row.get(f"{fk.column}@ap_id")))
                else:
                    values[fk.column] = remapped.get((fk.parent, fk.parent_column), {}).get(row[fk.column])
            inserted = None
            if all(values.get(fk.column) is not None for fk in keys if row.get(fk.column) is not None):
                inserted = await feature_rows.try_insert_row(conn, table, values)
            if inserted is None:
                result.rows_left_behind[table] = result.rows_left_behind.get(table, 0) + 1
                continue
            result.rows[table] = result.rows.get(table, 0) + 1
            for column in columns:
                remapped.setdefault((table, column), {})[row.get(column)] = inserted.get(column)


def _rows(archive: Archive, table: str) -> list[dict[str, Any]]:
    rows = archive.json(f"tables/{table}.json", [])
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ArchiveRefused(f"tables/{table}.json is not a list of rows")
    return rows


def write_media(data_dir: Path, archive: Archive) -> list[Path]:
    """Write the archive's media files; refuse to overwrite a different file."""
    folder = data_dir / "media"
    written: list[Path] = []
    try:
        for name in archive.names_under("media"):
            rest = name.removeprefix("media/")
            if "/" in rest:
                raise ImportRefused(f"media files may not be in sub-folders: {name[:100]}")
            path = folder / rest
            body = archive.files[name]
            if path.exists():
                if path.read_bytes() != body:
                    raise ImportRefused(f"a different file called {path.name} exists here already")
                continue
            folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
            written.append(path)
    except BaseException:
        remove_files(written)
        raise
    return written


def remove_files(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
