"""ActivityStreams vocabulary: activities, tolerant parsing and strict builders.

Reading (`parse_object`, `parse_activity`) accepts what real servers send: a value
may be a string, an object or a list; `type` may be a list or an `as:`/IRI form;
unmodelled keys are kept in `extra`; an unknown type gives a generic model carrying
that type name. Writing (`to_json`, `build_*`) emits compacted JSON-LD under
`terms.OUR_CONTEXT` with only defined terms and no None values.
Spec: https://www.w3.org/TR/activitystreams-vocabulary/#activity-types
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from activitypub import terms
from activitypub.errors import MalformedActivity, MalformedObject, UnsupportedType
from activitypub.jsonld import format_datetime
from activitypub.vocab_base import JSON, REGISTRY, Node, Ref, embed, prop, read_node, ref_id
from activitypub.vocab_objects import (
    Actor,
    Application,
    Article,
    ASObject,
    Collection,
    CollectionPage,
    Document,
    Event,
    GeoCoordinates,
    Group,
    Hashtag,
    Image,
    Link,
    Mention,
    Multikey,
    Note,
    OrderedCollection,
    OrderedCollectionPage,
    Organization,
    Page,
    Person,
    Place,
    PollOption,
    PostalAddress,
    PropertyValue,
    PublicKey,
    Question,
    Service,
    Tombstone,
    VirtualLocation,
)

__all__ = [
    "ASObject", "Accept", "Activity", "Actor", "Add", "Announce", "Application", "Article",
    "Block", "Collection", "CollectionPage", "Create", "Delete", "Document", "Event", "Flag",
    "Follow", "GeoCoordinates", "Group", "Hashtag", "Image", "Invite", "Join", "Leave", "Like",
    "Link", "Mention", "Move", "Multikey", "Node", "Note", "OrderedCollection",
    "OrderedCollectionPage", "Organization", "Page", "Person", "Place", "PollOption",
    "PostalAddress", "PropertyValue", "PublicKey", "Question", "Ref", "Reject", "Remove",
    "Service", "TentativeAccept", "Tombstone", "Undo", "Update", "VirtualLocation",
    "build_activity", "build_actor", "build_note", "build_tombstone", "parse_activity",
    "parse_object", "ref_id",
]  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class Activity(ASObject):
    """Any activity. `actors`/`objects`/... keep every value; the singular
    properties give the first one (or its id)."""

    TYPE = "Activity"
    actors: tuple[Ref, ...] = prop("actor", "nodes", single=True)
    objects: tuple[Ref, ...] = prop("object", "nodes", single=True)
    targets: tuple[Ref, ...] = prop("target", "nodes", single=True)
    origins: tuple[Ref, ...] = prop("origin", "nodes", single=True)
    results: tuple[Ref, ...] = prop("result", "nodes", single=True)
    instruments: tuple[Ref, ...] = prop("instrument", "nodes", single=True)

    @property
    def actor(self) -> str | None:
        return ref_id(self.actors[0]) if self.actors else None

    @property
    def object(self) -> Ref | None:
        return self.objects[0] if self.objects else None

    @property
    def object_id(self) -> str | None:
        return ref_id(self.object)

    @property
    def object_ids(self) -> tuple[str, ...]:
        return tuple(i for i in map(ref_id, self.objects) if i)

    @property
    def target(self) -> str | None:
        return ref_id(self.targets[0]) if self.targets else None

    @property
    def origin(self) -> str | None:
        return ref_id(self.origins[0]) if self.origins else None


class Create(Activity):
    TYPE = "Create"


class Update(Activity):
    TYPE = "Update"


class Delete(Activity):
    TYPE = "Delete"


class Follow(Activity):
    TYPE = "Follow"


class Accept(Activity):
    TYPE = "Accept"


class Reject(Activity):
    TYPE = "Reject"


class TentativeAccept(Accept):
    TYPE = "TentativeAccept"


class Undo(Activity):
    TYPE = "Undo"


class Announce(Activity):
    TYPE = "Announce"


class Like(Activity):
    TYPE = "Like"


class Block(Activity):
    TYPE = "Block"


class Flag(Activity):
    TYPE = "Flag"


class Move(Activity):
    TYPE = "Move"


class Join(Activity):
    TYPE = "Join"


class Leave(Activity):
    TYPE = "Leave"


class Add(Activity):
    TYPE = "Add"


class Remove(Activity):
    TYPE = "Remove"


class Invite(Activity):
    TYPE = "Invite"


def parse_object(data: Mapping[str, Any]) -> ASObject:
    """Any object, actor, collection or activity. Activities are checked as in
    `parse_activity`; a bare Link/key/address at top level is UnsupportedType."""
    if not isinstance(data, Mapping):
        raise MalformedObject("object is not a JSON object", public_message="expected an object")
    node = read_node(data, "Object")
    if isinstance(node, Activity):
        _check_activity(node)
    if not isinstance(node, ASObject):
        raise UnsupportedType(f"top-level {node.type or 'untyped'} node is not an object")
    return node


def parse_activity(data: Mapping[str, Any]) -> Activity:
    """An activity; an unknown type (Dislike, Lock, EmojiReact...) gives a generic
    Activity. MalformedActivity without id, type or actor; UnsupportedType for a
    non-activity such as a bare Note."""
    if not isinstance(data, Mapping):
        raise MalformedActivity("activity is not a JSON object", public_message="expected an object")
    node = read_node(data, "Activity")
    if not isinstance(node, Activity):
        detail = f"{node.type or 'untyped'} is not an activity"
        raise UnsupportedType(detail, public_message="not an activity")
    _check_activity(node)
    return node


def _check_activity(activity: Activity) -> None:
    for missing, problem in ((not activity.types, "type"), (not activity.id, "id"),
                             (not activity.actor, "actor")):  # fmt: skip
        if missing:
            raise MalformedActivity(
                f"{activity.type or 'untyped'} activity {activity.id or ''} has no {problem}",
                public_message=f"activity has no {problem}",
            )


def _time(moment: datetime | None) -> str | None:
    return format_datetime(moment) if moment else None


def build_actor(
    *,
    actor_id: str,
    actor_type: str = "Person",
    preferred_username: str,
    inbox: str,
    outbox: str,
    followers: str,
    following: str,
    public_key_pem: str,
    ed25519_multibase: str | None = None,
    name: str | None = None,
    summary: str | None = None,
    url: str | None = None,
    featured: str | None = None,
    shared_inbox: str | None = None,
    icon: Image | None = None,
    image: Image | None = None,
    also_known_as: Sequence[str] = (),
    moved_to: str | None = None,
    manually_approves_followers: bool = False,
    discoverable: bool = True,
    indexable: bool = False,
    published: datetime | None = None,
    fields: Sequence[tuple[str, str]] = (),
    public_key_id: str | None = None,
    ed25519_key_id: str | None = None,
) -> JSON:
    """An actor document with `publicKey` (default id <actor>#main-key, RSA PEM) and, given
    an Ed25519 key, an FEP-521a `assertionMethod` Multikey (default <actor>#ed25519-key).
    Rotated keys carry their own ids, so receivers fetch them instead of trusting a cache."""
    cls = REGISTRY.get(actor_type)
    if actor_type not in terms.ACTOR_TYPES or cls is None or not issubclass(cls, Actor):
        raise ValueError(f"not an actor type: {actor_type!r}")
    key = PublicKey(id=public_key_id or f"{actor_id}#main-key", owner=actor_id, public_key_pem=public_key_pem)
    multikeys: tuple[Multikey, ...] = ()
    if ed25519_multibase:
        multikeys = (Multikey(id=ed25519_key_id or f"{actor_id}#ed25519-key", controller=actor_id,
                              public_key_multibase=ed25519_multibase),)  # fmt: skip
    actor = cls(
        id=actor_id, preferred_username=preferred_username, name=name, summary=summary,
        url=(url,) if url else (), inbox=inbox, outbox=outbox, followers=followers,
        following=following, featured=featured,
        endpoints={"sharedInbox": shared_inbox} if shared_inbox else {},
        icon=icon, image=image, also_known_as=tuple(also_known_as), moved_to=moved_to,
        manually_approves_followers=manually_approves_followers, discoverable=discoverable,
        indexable=indexable, published=_time(published), public_key=(key,),
        assertion_method=multikeys,
        attachment=tuple(PropertyValue(name=n, value=v) for n, v in fields),
    )  # fmt: skip
    return actor.to_json()


def build_activity(
    type: str,
    id: str,
    actor: str,
    object: Ref | Mapping[str, Any] | Sequence[Ref] | None,
    to: Sequence[str] = (),
    cc: Sequence[str] = (),
    published: datetime | None = None,
    **extra: Any,
) -> JSON:
    """An activity document. `object` may be an id, a model or a JSON object (its
    @context is dropped). `extra` keys must be terms OUR_CONTEXT defines (e.g.
    target, origin, content, audience, summary); None values are skipped."""
    undefined = sorted(k for k in extra if not terms.is_defined_term(k))
    if undefined:
        raise ValueError(f"terms not defined by OUR_CONTEXT: {undefined}")
    doc: JSON = {"@context": copy.deepcopy(terms.OUR_CONTEXT), "id": id, "type": type,
                 "actor": actor}  # fmt: skip
    optional = {"object": object, "to": list(to), "cc": list(cc), "published": _time(published)}
    for key, value in {**optional, **extra}.items():
        if value is not None and value != []:
            doc[key] = embed(value)
    return doc


def build_note(
    *,
    id: str,
    attributed_to: str,
    content: str,
    published: datetime,
    to: Sequence[str] = (),
    cc: Sequence[str] = (),
    language: str | None = None,
    in_reply_to: str | None = None,
    url: str | None = None,
    summary: str | None = None,
    name: str | None = None,
    sensitive: bool = False,
    tags: Sequence[Node] = (),
    attachments: Sequence[Node] = (),
    context: str | None = None,
    audience: Sequence[str] = (),
    replies: Ref | None = None,
    updated: datetime | None = None,
    note_type: str = "Note",
) -> JSON:
    """A Note (or Article/Page via `note_type`); `language` adds `contentMap`."""
    cls = {"Note": Note, "Article": Article, "Page": Page}.get(note_type)
    if cls is None:
        raise ValueError(f"not a note type: {note_type!r}")
    note = cls(
        id=id, attributed_to=(attributed_to,), content=content,
        content_map={language: content} if language else {}, published=_time(published),
        updated=_time(updated), to=tuple(to), cc=tuple(cc), in_reply_to=in_reply_to,
        url=(url,) if url else (), summary=summary, name=name, sensitive=sensitive,
        tag=tuple(tags), attachment=tuple(attachments), context=context,
        audience=tuple(audience), replies=replies,
    )  # fmt: skip
    return note.to_json()


def build_tombstone(id: str, *, former_type: str | None = None, deleted: datetime | None = None) -> JSON:
    """What a deleted object's id serves (and what Delete activities embed)."""
    return Tombstone(id=id, former_type=former_type, deleted=_time(deleted)).to_json()
