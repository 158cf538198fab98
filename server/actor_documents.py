"""Local actors as their documents and WebFinger answers need them, kept per process and
checked against the database on every lookup.

A lookup reads only each actor's id and document version (a stamp the database changes
with any change to the actor, its keys or its neighbourhood's area: migration 0018) and
fetches the full rows of the actors whose version this process has not seen, in a second
statement. So an answer is never older than the database at the time of the request,
while the steady state costs one small query, and each answer (the actor document, the
WebFinger JRD) is rendered once per version (`Entry.rendered`)."""

from __future__ import annotations

from collections.abc import Callable

from server.storage import actors as actor_store
from server.storage.actors import ActorDocumentRow, Db

MAX_ENTRIES = 2048  # ~8 KB each with both renderings: ~16 MB at most per process


class Entry:
    """One local actor at one version, and what has been rendered of it."""

    __slots__ = ("_rendered", "row")

    def __init__(self, row: ActorDocumentRow) -> None:
        self.row = row
        self._rendered: dict[str, bytes] = {}

    def rendered(self, kind: str, render: Callable[[ActorDocumentRow], bytes]) -> bytes:
        """The answer of one kind ("actor", "jrd"), serialised; render runs once per kind."""
        body = self._rendered.get(kind)
        if body is None:
            # an exact-size copy: orjson's own result keeps a buffer of ~16 KB however
            # short the document, and these are kept for as long as the version lasts
            body = self._rendered[kind] = bytes(memoryview(render(self.row)))
        return body


class LocalActorDocuments:
    """fetch(usernames): the current Entry of each local actor found, by lower-cased
    username; at most `limit` entries are kept (the oldest go first)."""

    def __init__(self, db: Callable[[], Db], limit: int = MAX_ENTRIES) -> None:
        self._db = db
        self._limit = limit
        self._by_id: dict[int, Entry] = {}

    async def fetch(self, usernames: list[str]) -> dict[str, Entry]:
        db = self._db()
        versions = await actor_store.local_actor_versions(db, usernames)
        found: dict[str, Entry] = {}
        stale: dict[int, str] = {}
        for name, (actor_id, version) in versions.items():
            entry = self._by_id.get(actor_id)
            if entry is not None and entry.row.version == version:
                found[name] = entry
            else:
                stale[actor_id] = name
        if stale:
            # these rows may be newer still than the versions just read; an actor deleted
            # in between is not found
            for actor_id, row in (await actor_store.local_actors_for_document(db, list(stale))).items():
                found[stale[actor_id]] = self._keep(actor_id, Entry(row))
        return found

    def _keep(self, actor_id: int, entry: Entry) -> Entry:
        self._by_id.pop(actor_id, None)
        while len(self._by_id) >= self._limit:
            del self._by_id[next(iter(self._by_id))]
        self._by_id[actor_id] = entry
        return entry

    def __len__(self) -> int:
        return len(self._by_id)
