"""Our rows → ActivityStreams documents (pure functions; no I/O).

Actor types by kind: the instance actor is an `Application` (FEP-2677), a neighbourhood a
`Group`, a resident a `Person`, an organisation an `Organization`.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, Protocol

import nh3
from cryptography.hazmat.primitives.asymmetric import ed25519

from activitypub import keys, terms
from activitypub.audience import is_public
from activitypub.vocab import Image, build_actor, build_tombstone
from server.config import Settings
from server.storage.actors import ActorRow
from server.storage.objects import ObjectRow
from server.urls import Urls

JSON = dict[str, Any]
# What a summary may keep: inline formatting, links and paragraphs; no scripts or styles.
SUMMARY_TAGS = frozenset({"p", "br", "a", "span", "strong", "em", "b", "i", "u", "ul", "ol", "li"})
SUMMARY_ATTRIBUTES = {"a": {"href", "class"}, "span": {"class"}}


class PublishedKey(Protocol):
    """A key row as it is published: `KeyRow` or `PublicKeyRow` (storage.actors)."""

    @property
    def key_id(self) -> str: ...

    @property
    def algorithm(self) -> str: ...

    @property
    def public_pem(self) -> str: ...


def sanitise_html(text: str) -> str:
    """Untrusted HTML reduced to a small safe subset (links get rel=nofollow noopener)."""
    if not text:
        return ""
    attributes = {tag: set(names) for tag, names in SUMMARY_ATTRIBUTES.items()}
    return nh3.clean(text, tags=set(SUMMARY_TAGS), attributes=attributes, link_rel="nofollow noopener noreferrer")


@lru_cache(maxsize=1024)
def _multibase(public_pem: str) -> str | None:
    """The Multikey form of an Ed25519 public key PEM (cached: PEMs do not change)."""
    try:
        key = keys.load_public_key(public_pem)
    except ValueError:
        return None
    if not isinstance(key, ed25519.Ed25519PublicKey):
        return None
    return keys.ed25519_public_to_multibase(key)


def area_place(area_name: str, boundary: Mapping[str, Any] | None) -> JSON | None:
    """A neighbourhood's area as the Group's `location`: a Place with the place name and,
    when set, the GeoJSON geometry in our own `boundary` term."""
    if not area_name and not boundary:
        return None
    place: JSON = {"type": "Place"}
    if area_name:
        place["name"] = area_name
    if boundary:
        place["boundary"] = dict(boundary)
    return place


def actor_document(
    actor: ActorRow, actor_keys: Sequence[PublishedKey], settings: Settings, *, place: JSON | None = None
) -> JSON:
    """The AS2 document of a local actor: RSA `publicKey` (#main-key) and, when the actor has
    one, an Ed25519 `assertionMethod` Multikey (#ed25519-key). A neighbourhood's `place`
    (area_place) is its `location`."""
    urls = Urls(settings)
    rsa = next((k for k in actor_keys if k.algorithm == "rsa"), None)
    if rsa is None:
        raise ValueError(f"local actor {actor.ap_id} has no RSA key")
    ed = next((k for k in actor_keys if k.algorithm == "ed25519"), None)
    is_application = actor.kind == "Application"
    document = build_actor(
        actor_id=actor.ap_id,
        actor_type=actor.kind,
        preferred_username=actor.username,
        inbox=urls.inbox(actor.username),
        outbox=urls.outbox(actor.username),
        followers=urls.followers(actor.username),
        following=urls.following(actor.username),
        featured=None if is_application else urls.featured(actor.username),
        shared_inbox=urls.shared_inbox(),
        public_key_pem=rsa.public_pem,
        public_key_id=rsa.key_id,
        ed25519_multibase=_multibase(ed.public_pem) if ed else None,
        ed25519_key_id=ed.key_id if ed else None,
        name=actor.name or None,
        summary=sanitise_html(actor.summary) or None,
        url=actor.url or urls.profile(actor.username),
        icon=Image(url=(actor.icon_url,)) if actor.icon_url else None,
        image=Image(url=(actor.image_url,)) if actor.image_url else None,
        also_known_as=actor.also_known_as,
        moved_to=actor.moved_to,
        manually_approves_followers=actor.manually_approves,
        discoverable=actor.discoverable and not is_application,
        indexable=actor.discoverable and not is_application,
        published=actor.created_at,
    )
    if actor.kind == "Group":  # FEP-1b12: the moderators, as a collection (Lemmy reads it so)
        document["attributedTo"] = urls.moderators(actor.username)
        if place:
            document["location"] = place
    return document


def tombstone_document(ap_id: str, *, former_type: str | None, deleted: datetime | None) -> JSON:
    return build_tombstone(ap_id, former_type=former_type, deleted=deleted)


def with_context(document: JSON) -> JSON:
    """A stored document as served: top-level `@context` present, `bto`/`bcc` never shown."""
    out = {k: v for k, v in document.items() if k not in ("bto", "bcc")}
    if "@context" not in out:
        out = {"@context": copy.deepcopy(terms.OUR_CONTEXT), **out}
    return out


def object_document(obj: ObjectRow) -> JSON:
    """The document served at a local object's id (the stored AS2 form)."""
    if obj.document:
        return with_context(obj.document)
    return {
        "@context": copy.deepcopy(terms.OUR_CONTEXT),
        "id": obj.ap_id,
        "type": obj.type,
        "attributedTo": obj.attributed_to,
        "content": obj.content,
    }


def create_for(obj: ObjectRow) -> JSON:
    """The `Create` that wraps a public object in an outbox page (no @context: embedded)."""
    inner = {k: v for k, v in object_document(obj).items() if k not in ("@context", "bto", "bcc")}
    create: JSON = {
        "id": f"{obj.ap_id}#create",
        "type": "Create",
        "actor": obj.attributed_to,
        "object": inner,
    }
    for key in ("to", "cc", "published"):
        if key in inner:
            create[key] = inner[key]
    return create


def is_public_activity(document: JSON) -> bool:
    """Public in `to` or `cc` (the only outgoing activities served at their ids)."""
    return is_public(document.get("to")) or is_public(document.get("cc"))
