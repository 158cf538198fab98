"""Typed models of ActivityStreams objects, links, keys and collections.

Field declarations drive reading and writing (see `activitypub.vocab_base`).
Specs: AS2 vocabulary https://www.w3.org/TR/activitystreams-vocabulary/ ,
FEP-521a (Multikey), schema.org PostalAddress/GeoCoordinates, Mobilizon
https://docs.mobilizon.org/5.%20Interoperability/1.activity_pub/ .
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from activitypub import jsonld, terms
from activitypub.vocab_base import REGISTRY, Node, Ref, prop


@dataclass(frozen=True, kw_only=True)
class Link(Node):
    TYPE = "Link"
    href: str | None = prop("href", "id")
    rel: tuple[str, ...] = prop("rel", "ids")
    media_type: str | None = prop("mediaType")
    name: str | None = prop("name")
    hreflang: str | None = prop("hreflang")
    width: int | None = prop("width", "int")
    height: int | None = prop("height", "int")


class Mention(Link):
    TYPE = "Mention"


class Hashtag(Link):
    TYPE = "Hashtag"


@dataclass(frozen=True, kw_only=True)
class PropertyValue(Node):
    TYPE = "PropertyValue"
    name: str | None = prop("name")
    value: str | None = prop("value")


@dataclass(frozen=True, kw_only=True)
class PostalAddress(Node):
    TYPE = "PostalAddress"
    street_address: str | None = prop("streetAddress")
    locality: str | None = prop("addressLocality")
    region: str | None = prop("addressRegion")
    postal_code: str | None = prop("postalCode")
    country: str | None = prop("addressCountry")


@dataclass(frozen=True, kw_only=True)
class GeoCoordinates(Node):
    TYPE = "GeoCoordinates"
    latitude: float | None = prop("latitude", "num")
    longitude: float | None = prop("longitude", "num")


@dataclass(frozen=True, kw_only=True)
class PublicKey(Node):
    """security-v1 key (`publicKey`): untyped on the wire, so it has no TYPE."""

    owner: str | None = prop("owner", "id")
    public_key_pem: str | None = prop("publicKeyPem")


@dataclass(frozen=True, kw_only=True)
class Multikey(Node):
    """FEP-521a verification method in `assertionMethod`."""

    TYPE = "Multikey"
    controller: str | None = prop("controller", "id")
    public_key_multibase: str | None = prop("publicKeyMultibase")


@dataclass(frozen=True, kw_only=True)
class ASObject(Node):
    TYPE = "Object"
    attributed_to: tuple[str, ...] = prop("attributedTo", "ids", single=True)
    name: str | None = prop("name")
    name_map: Mapping[str, Any] = prop("nameMap", "map")
    summary: str | None = prop("summary")
    summary_map: Mapping[str, Any] = prop("summaryMap", "map")
    content: str | None = prop("content")
    content_map: Mapping[str, Any] = prop("contentMap", "map")
    media_type: str | None = prop("mediaType")
    source: Mapping[str, Any] = prop("source", "map")
    url: tuple[Ref, ...] = prop("url", "nodes", "Link", single=True)
    published: str | None = prop("published")
    updated: str | None = prop("updated")
    start_time: str | None = prop("startTime")
    end_time: str | None = prop("endTime")
    to: tuple[str, ...] = prop("to", "ids")
    cc: tuple[str, ...] = prop("cc", "ids")
    bto: tuple[str, ...] = prop("bto", "ids")
    bcc: tuple[str, ...] = prop("bcc", "ids")
    audience: tuple[str, ...] = prop("audience", "ids", single=True)
    in_reply_to: str | None = prop("inReplyTo", "id")
    context: str | None = prop("context", "id")
    sensitive: bool | None = prop("sensitive", "bool")
    tag: tuple[Ref, ...] = prop("tag", "nodes", "Link")
    attachment: tuple[Ref, ...] = prop("attachment", "nodes", "Document")
    icon: Ref | None = prop("icon", "node", "Image")  # noqa: RUF009
    image: Ref | None = prop("image", "node", "Image")  # noqa: RUF009
    location: tuple[Ref, ...] = prop("location", "nodes", "Place", single=True)
    replies: Ref | None = prop("replies", "node", "Collection")  # noqa: RUF009

    @property
    def href(self) -> str | None:
        """The first URL for humans: a plain `url` string or a text/html Link's href."""
        links = [u for u in self.url if isinstance(u, Link) and u.href]
        html = [u.href for u in links if (u.media_type or "text/html") == "text/html"]
        plain = [u for u in self.url if isinstance(u, str)]
        return (plain or html or [u.href for u in links] or [None])[0]

    def text(self, key: str = "content", lang: str | None = None) -> str | None:
        """`content`, `name` or `summary`, or its language-map form (see jsonld)."""
        maps = {"content": self.content_map, "name": self.name_map, "summary": self.summary_map}
        doc = {key: getattr(self, key, None), key + "Map": maps.get(key)}
        return jsonld.language_map_value(doc, key, lang)


class Note(ASObject):
    TYPE = "Note"


class Article(ASObject):
    TYPE = "Article"


class Page(ASObject):
    TYPE = "Page"


@dataclass(frozen=True, kw_only=True)
class Document(ASObject):
    TYPE = "Document"
    width: int | None = prop("width", "int")
    height: int | None = prop("height", "int")
    blurhash: str | None = prop("blurhash")


class Image(Document):
    TYPE = "Image"


@dataclass(frozen=True, kw_only=True)
class Place(ASObject):
    TYPE = "Place"
    latitude: float | None = prop("latitude", "num")
    longitude: float | None = prop("longitude", "num")
    address: Ref | None = prop("address", "node", "PostalAddress")  # noqa: RUF009
    geo: Ref | None = prop("geo", "node", "GeoCoordinates")  # noqa: RUF009

    @property
    def coordinates(self) -> tuple[float, float] | None:
        geo = self.geo if isinstance(self.geo, GeoCoordinates) else self
        if geo.latitude is None or geo.longitude is None:
            return None
        return (geo.latitude, geo.longitude)


class VirtualLocation(ASObject):
    TYPE = "VirtualLocation"


@dataclass(frozen=True, kw_only=True)
class Event(ASObject):
    TYPE = "Event"
    join_mode: str | None = prop("joinMode")
    timezone: str | None = prop("timezone")
    status: str | None = prop(terms.ICAL_STATUS)
    is_online: bool | None = prop("isOnline", "bool")

    @property
    def place(self) -> Place | None:
        return next((p for p in self.location if isinstance(p, Place)), None)

    @property
    def virtual_location(self) -> VirtualLocation | None:
        return next((p for p in self.location if isinstance(p, VirtualLocation)), None)


@dataclass(frozen=True)
class PollOption:
    name: str
    votes: int


@dataclass(frozen=True, kw_only=True)
class Question(ASObject):
    TYPE = "Question"
    one_of: tuple[Ref, ...] = prop("oneOf", "nodes", "Note")
    any_of: tuple[Ref, ...] = prop("anyOf", "nodes", "Note")
    closed: str | None = prop("closed")
    voters_count: int | None = prop("votersCount", "int")

    @property
    def multiple(self) -> bool:
        return bool(self.any_of) and not self.one_of

    @property
    def options(self) -> tuple[PollOption, ...]:
        return tuple(
            PollOption(o.name, _total(o.replies))
            for o in self.one_of or self.any_of
            if isinstance(o, ASObject) and o.name is not None
        )


@dataclass(frozen=True, kw_only=True)
class Tombstone(ASObject):
    TYPE = "Tombstone"
    former_type: str | None = prop("formerType")
    deleted: str | None = prop("deleted")


@dataclass(frozen=True, kw_only=True)
class Collection(ASObject):
    TYPE = "Collection"
    total_items: int | None = prop("totalItems", "int")
    first: Ref | None = prop("first", "node", "CollectionPage")  # noqa: RUF009
    last: Ref | None = prop("last", "node", "CollectionPage")  # noqa: RUF009
    items: tuple[Ref, ...] = prop("items", "nodes", "Object")
    ordered_items: tuple[Ref, ...] = prop("orderedItems", "nodes", "Object")

    @property
    def all_items(self) -> tuple[Ref, ...]:
        return self.ordered_items or self.items


class OrderedCollection(Collection):
    TYPE = "OrderedCollection"


@dataclass(frozen=True, kw_only=True)
class CollectionPage(Collection):
    TYPE = "CollectionPage"
    part_of: str | None = prop("partOf", "id")
    next: str | None = prop("next", "id")
    prev: str | None = prop("prev", "id")


class OrderedCollectionPage(CollectionPage):
    TYPE = "OrderedCollectionPage"


def _total(replies: Ref | None) -> int:
    return (replies.total_items or 0) if isinstance(replies, Collection) else 0


@dataclass(frozen=True, kw_only=True)
class Actor(ASObject):
    preferred_username: str | None = prop("preferredUsername")
    inbox: str | None = prop("inbox", "id")
    outbox: str | None = prop("outbox", "id")
    followers: str | None = prop("followers", "id")
    following: str | None = prop("following", "id")
    featured: str | None = prop("featured", "id")
    endpoints: Mapping[str, Any] = prop("endpoints", "map")
    also_known_as: tuple[str, ...] = prop("alsoKnownAs", "ids")
    moved_to: str | None = prop("movedTo", "id")
    manually_approves_followers: bool | None = prop("manuallyApprovesFollowers", "bool")
    discoverable: bool | None = prop("discoverable", "bool")
    indexable: bool | None = prop("indexable", "bool")
    public_key: tuple[Ref, ...] = prop("publicKey", "nodes", "PublicKey", single=True)
    assertion_method: tuple[Ref, ...] = prop("assertionMethod", "nodes", "Multikey")

    @property
    def shared_inbox(self) -> str | None:
        return jsonld.get_id(self.endpoints.get("sharedInbox"))

    @property
    def public_keys(self) -> tuple[PublicKey, ...]:
        return tuple(k for k in self.public_key if isinstance(k, PublicKey))

    @property
    def main_key(self) -> PublicKey | None:
        """The first `publicKey` carrying a PEM (publicKey may be an object or a list)."""
        return next((k for k in self.public_keys if k.public_key_pem), None)

    @property
    def public_key_id(self) -> str | None:
        return self.main_key.id if self.main_key else None

    @property
    def public_key_owner(self) -> str | None:
        return self.main_key.owner if self.main_key else None

    @property
    def public_key_pem(self) -> str | None:
        return self.main_key.public_key_pem if self.main_key else None

    @property
    def multikeys(self) -> tuple[Multikey, ...]:
        return tuple(k for k in self.assertion_method if isinstance(k, Multikey))


class Application(Actor):
    TYPE = "Application"


class Group(Actor):
    TYPE = "Group"


class Organization(Actor):
    TYPE = "Organization"


class Person(Actor):
    TYPE = "Person"


class Service(Actor):
    TYPE = "Service"


REGISTRY["Key"] = REGISTRY["CryptographicKey"] = REGISTRY["PublicKey"] = PublicKey
REGISTRY["Actor"] = Actor
