"""NodeInfo discovery and documents (pure).

Spec: https://nodeinfo.diaspora.software/protocol and schemas 2.0 / 2.1;
the instance actor link follows FEP-2677 (https://codeberg.org/fediverse/fep/src/branch/main/fep/2677/fep-2677.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

SCHEMA_20 = "http://nodeinfo.diaspora.software/ns/schema/2.0"
SCHEMA_21 = "http://nodeinfo.diaspora.software/ns/schema/2.1"
REL_APPLICATION_ACTOR = "https://www.w3.org/ns/activitystreams#Application"
SOFTWARE_NAME = "buurtplein"
_SCHEMAS = {"2.0": SCHEMA_20, "2.1": SCHEMA_21}


def media_type(version: str) -> str:
    """The profiled JSON media type of a NodeInfo document."""
    return f'application/json; profile="{_SCHEMAS[version]}#"'


@dataclass(frozen=True)
class Usage:
    users_total: int
    users_active_month: int
    users_active_halfyear: int
    local_posts: int
    local_comments: int | None = None


def build_nodeinfo_links(
    *, nodeinfo_20_url: str, nodeinfo_21_url: str, instance_actor_url: str | None = None
) -> dict[str, Any]:
    """`/.well-known/nodeinfo`: both schema versions and the instance actor (FEP-2677)."""
    links = [
        {"rel": SCHEMA_20, "href": nodeinfo_20_url},
        {"rel": SCHEMA_21, "href": nodeinfo_21_url},
    ]
    if instance_actor_url:
        links.append({"rel": REL_APPLICATION_ACTOR, "href": instance_actor_url})
    return {"links": links}


def build_nodeinfo(
    version: str,
    *,
    software_version: str,
    usage: Usage,
    open_registrations: bool,
    node_name: str,
    neighbourhoods: Sequence[str] = (),
    metadata: Mapping[str, Any] | None = None,
    repository: str | None = None,
    homepage: str | None = None,
) -> dict[str, Any]:
    """A NodeInfo 2.0 or 2.1 document (2.1 may add software.repository/homepage).

    `metadata` is merged under `nodeName` and `neighbourhoods`, which always win."""
    if version not in _SCHEMAS:
        raise ValueError(f"unsupported NodeInfo version {version!r}")
    counts = (usage.users_total, usage.users_active_month, usage.users_active_halfyear,
              usage.local_posts, usage.local_comments or 0)  # fmt: skip
    if min(counts) < 0:
        raise ValueError("negative usage count")
    software: dict[str, str] = {"name": SOFTWARE_NAME, "version": software_version}
    if version == "2.1":
        extra = {"repository": repository, "homepage": homepage}
        software |= {k: v for k, v in extra.items() if v}
    stats: dict[str, Any] = {
        "users": {
            "total": usage.users_total,
            "activeMonth": usage.users_active_month,
            "activeHalfyear": usage.users_active_halfyear,
        },
        "localPosts": usage.local_posts,
    }
    if usage.local_comments is not None:
        stats["localComments"] = usage.local_comments
    meta = {**(metadata or {}), "nodeName": node_name, "neighbourhoods": list(neighbourhoods)}
    return {
        "version": version,
        "software": software,
        "protocols": ["activitypub"],
        "services": {"inbound": [], "outbound": []},
        "openRegistrations": open_registrations,
        "usage": stats,
        "metadata": meta,
    }
