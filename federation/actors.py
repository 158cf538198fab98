"""Remote actors and their keys: fetch, read tolerantly, and check who owns which key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from activitypub import keys
from activitypub.jsonld import as_list, get_id
from federation.authorise import ACTOR_TYPES, activity_type, origin
from federation.fetch import Fetched, fetch_object
from federation.http import HttpClient
from federation.ports import RequestSigner


@dataclass(frozen=True)
class RemoteKey:
    key_id: str
    algorithm: str  # "rsa" | "ed25519"
    pem: str


@dataclass(frozen=True)
class RemoteActor:
    ap_id: str
    kind: str
    username: str
    domain: str
    name: str
    summary: str
    url: str | None
    inbox: str
    outbox: str | None
    shared_inbox: str | None
    followers: str | None
    following: str | None
    featured: str | None
    icon: str | None
    image: str | None
    manually_approves: bool
    discoverable: bool
    also_known_as: tuple[str, ...]
    moved_to: str | None
    keys: tuple[RemoteKey, ...]
    document: dict[str, Any]


def read_actor(doc: dict[str, Any]) -> RemoteActor | str:
    """A tolerant reading of an actor document; a string says why it is not usable."""
    kind = activity_type(doc)
    if kind not in ACTOR_TYPES:
        return f"not an actor: {kind or 'no type'}"
    ap_id = get_id(doc)
    inbox = get_id(doc.get("inbox"))
    if not ap_id or not inbox:
        return "actor without id or inbox"
    if origin(inbox) != origin(ap_id):
        return "actor inbox on another origin"
    endpoints = doc.get("endpoints")
    shared = get_id(endpoints.get("sharedInbox")) if isinstance(endpoints, dict) else None
    if shared is not None and origin(shared) != origin(ap_id):
        shared = None
    username = doc.get("preferredUsername")
    host = urlsplit(ap_id).netloc
    return RemoteActor(
        ap_id=ap_id,
        kind=kind,
        username=username if isinstance(username, str) and username else host,
        domain=host,
        name=_text(doc.get("name")),
        summary=_text(doc.get("summary")),
        url=get_id(doc.get("url")),
        inbox=inbox,
        outbox=get_id(doc.get("outbox")),
        shared_inbox=shared,
        followers=get_id(doc.get("followers")),
        following=get_id(doc.get("following")),
        featured=get_id(doc.get("featured")),
        icon=_image_url(doc.get("icon")),
        image=_image_url(doc.get("image")),
        manually_approves=doc.get("manuallyApprovesFollowers") is True,
        discoverable=doc.get("discoverable") is not False,
        also_known_as=tuple(i for i in (get_id(v) for v in as_list(doc.get("alsoKnownAs"))) if i),
        moved_to=get_id(doc.get("movedTo")),
        keys=tuple(actor_keys(doc, ap_id)),
        document=doc,
    )


def actor_keys(doc: dict[str, Any], ap_id: str) -> list[RemoteKey]:
    """RSA keys from `publicKey` and Ed25519 Multikeys from `assertionMethod` (FEP-521a),
    only those whose owner/controller is the actor itself."""
    found: list[RemoteKey] = []
    for entry in as_list(doc.get("publicKey")):
        if not isinstance(entry, dict):
            continue
        key_id, owner, pem = get_id(entry), get_id(entry.get("owner")), entry.get("publicKeyPem")
        if key_id and isinstance(pem, str) and owner in (None, ap_id):
            parsed = _pem_algorithm(pem)
            if parsed:
                found.append(RemoteKey(key_id, parsed, pem))
    for entry in as_list(doc.get("assertionMethod")):
        if not isinstance(entry, dict) or entry.get("type") != "Multikey":
            continue
        key_id, controller = get_id(entry), get_id(entry.get("controller"))
        multibase = entry.get("publicKeyMultibase")
        if key_id and controller == ap_id and isinstance(multibase, str):
            try:
                public = keys.ed25519_public_from_multibase(multibase)
            except (ValueError, TypeError):
                continue
            found.append(RemoteKey(key_id, "ed25519", keys.public_key_to_pem(public)))
    return found


def _pem_algorithm(pem: str) -> str | None:
    try:
        key = keys.load_public_key(pem)
    except (ValueError, TypeError):
        return None
    return "ed25519" if not hasattr(key, "key_size") else "rsa"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _image_url(value: Any) -> str | None:
    item = value[0] if isinstance(value, list) and value else value
    if isinstance(item, dict):
        return get_id(item.get("url")) or get_id(item)
    return get_id(item)


async def fetch_actor(client: HttpClient, url: str, *, signer: RequestSigner | None) -> RemoteActor | str:
    result = await fetch_object(client, url, signer=signer)
    if not isinstance(result, Fetched):
        return f"actor fetch failed: {type(result).__name__} {getattr(result, 'reason', '')}".strip()
    return read_actor(result.document)


async def fetch_key_owner(client: HttpClient, key_id: str, *, signer: RequestSigner | None) -> RemoteActor | str:
    """Fetch the actor that owns `key_id`; the actor must list that key itself."""
    document_url = key_id.split("#", 1)[0]
    result = await fetch_object(client, document_url, signer=signer)
    if not isinstance(result, Fetched):
        return f"key fetch failed: {type(result).__name__}"
    doc = result.document
    actor: RemoteActor | str
    if activity_type(doc) in ACTOR_TYPES:
        actor = read_actor(doc)
    else:
        owner = get_id(doc.get("owner")) or get_id(doc.get("controller"))
        if owner is None or origin(owner) != origin(key_id):
            return "key document without an owner on its origin"
        actor = await fetch_actor(client, owner, signer=signer)
    if isinstance(actor, str):
        return actor
    if key_id not in {k.key_id for k in actor.keys}:
        return "the key's owner does not list the key"
    return actor
