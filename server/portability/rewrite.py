"""Rewriting an imported document from the old host's ids to ours (pure).

Exact string values are replaced: the old actor and its collections become the new ones,
old object ids become the new object ids; links to the old host's media become links to
the same file here. Other strings (other people, other servers) are left as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from server.portability.archive import Archive
from server.storage.actors import ActorRow
from server.urls import Urls

COLLECTIONS = ("inbox", "outbox", "followers", "following", "featured", "members")


@dataclass
class IdMap:
    exact: dict[str, str]
    old_media_prefix: str
    new_media_prefix: str
    objects: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_actor(cls, archive: Archive, urls: Urls, old_ap_id: str, actor: ActorRow) -> IdMap:
        exact = {old_ap_id: actor.ap_id}
        for name in COLLECTIONS:
            exact[f"{old_ap_id}/{name}"] = f"{actor.ap_id}/{name}"
        profile = archive.json("profile.json", {})
        old_url = profile.get("url") if isinstance(profile, dict) else None
        if isinstance(old_url, str):
            exact[old_url] = actor.url or urls.profile(actor.username)
        old_base = old_ap_id.split("/", 3)
        old_origin = "/".join(old_base[:3]) if len(old_base) >= 3 else old_ap_id
        return cls(exact=exact, old_media_prefix=f"{old_origin}/media/", new_media_prefix=f"{urls.base}/media/")

    def replace(self, value: str) -> str:
        if value in self.objects:
            return self.objects[value]
        if value in self.exact:
            return self.exact[value]
        if value.startswith(self.old_media_prefix):
            return self.new_media_prefix + value.removeprefix(self.old_media_prefix)
        return value


def rewrite_document(document: Any, ids: IdMap) -> Any:
    """A copy of `document` with every string value mapped through `ids` (iterative)."""
    if isinstance(document, str):
        return ids.replace(document)
    if not isinstance(document, dict | list):
        return document
    root: Any = {} if isinstance(document, dict) else []
    stack: list[tuple[Any, Any]] = [(document, root)]
    while stack:
        source, target = stack.pop()
        items = source.items() if isinstance(source, dict) else enumerate(source)
        for key, value in items:
            if isinstance(value, dict | list):
                copy: Any = {} if isinstance(value, dict) else []
                stack.append((value, copy))
                value = copy
            elif isinstance(value, str):
                value = ids.replace(value)
            if isinstance(target, dict):
                target[key] = value
            else:
                target.append(value)
    return root
