"""Vocabulary constants: the terms we read and emit, grouped by namespace.

Every term Buurtplein emits must be defined by `OUR_CONTEXT` (checked in
tests/activitypub/test_terms.py against the bundled context documents).
"""

from __future__ import annotations

from typing import Any, Final

# --- ActivityStreams 2.0 — https://www.w3.org/TR/activitystreams-vocabulary/ ----------
AS2_CONTEXT: Final = "https://www.w3.org/ns/activitystreams"
AS2_CONTEXT_HTTP: Final = "http://www.w3.org/ns/activitystreams"
AS2_NS: Final = AS2_CONTEXT + "#"
PUBLIC: Final = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_SPELLINGS: Final = frozenset({PUBLIC, "http://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"})

ACTOR_TYPES: Final = frozenset({"Application", "Group", "Organization", "Person", "Service"})
ACTIVITY_TYPES: Final = frozenset(
    {
        "Accept", "Add", "Announce", "Arrive", "Block", "Create", "Delete", "Dislike",
        "Flag", "Follow", "Ignore", "Invite", "Join", "Leave", "Like", "Listen", "Move",
        "Offer", "Question", "Read", "Reject", "Remove", "TentativeAccept",
        "TentativeReject", "Travel", "Undo", "Update", "View",
    }
)  # fmt: skip

# AS2 properties we emit (all defined by the AS2 context document).
AS2_TERMS: Final = frozenset(
    {
        "id", "type", "actor", "object", "target", "origin", "result", "instrument",
        "to", "cc", "bto", "bcc", "audience", "attributedTo", "content", "contentMap",
        "name", "nameMap", "summary", "summaryMap", "mediaType", "published", "updated",
        "startTime", "endTime", "url", "href", "rel", "inReplyTo", "tag", "attachment",
        "icon", "image", "location", "latitude", "longitude", "altitude", "radius",
        "units", "replies", "inbox", "outbox", "followers", "following", "liked",
        "endpoints", "sharedInbox", "preferredUsername", "alsoKnownAs", "formerType",
        "deleted", "totalItems", "items", "orderedItems", "first", "last", "next",
        "prev", "partOf", "current", "oneOf", "anyOf", "closed", "width", "height",
        "source", "context", "duration", "hreflang", "describes", "subject",
        "relationship", "accuracy",
    }
)  # fmt: skip

# --- Security vocabulary — https://w3id.org/security/v1, FEP-521a, VC Data Integrity --
SECURITY_V1_CONTEXT: Final = "https://w3id.org/security/v1"
DATA_INTEGRITY_V1_CONTEXT: Final = "https://w3id.org/security/data-integrity/v1"
SEC_NS: Final = "https://w3id.org/security#"
SECURITY_TERMS: Final = frozenset({"publicKey", "publicKeyPem", "owner", "proof"})

# --- Mastodon extensions (toot:) — https://docs.joinmastodon.org/spec/activitypub/ ----
TOOT_NS: Final = "http://joinmastodon.org/ns#"

# --- Mobilizon extensions (mz:) — https://docs.mobilizon.org/5.%20Interoperability/1.activity_pub/
MOBILIZON_NS: Final = "https://joinmobilizon.org/ns#"
JOIN_MODE_FREE: Final = "free"
JOIN_MODE_RESTRICTED: Final = "restricted"
JOIN_MODE_INVITE: Final = "invite"

# --- schema.org — https://schema.org/ (PostalAddress, PropertyValue, VirtualLocation) --
SCHEMA_NS: Final = "http://schema.org#"

# --- iCalendar RDF (event status) — https://www.w3.org/2002/12/cal/ical --------------
ICAL_NS: Final = "http://www.w3.org/2002/12/cal/ical#"
ICAL_STATUS: Final = "ical:status"
EVENT_STATUSES: Final = frozenset({"TENTATIVE", "CONFIRMED", "CANCELLED"})

# --- Buurtplein's own terms --------------------------------------------------------------
# `boundary` on a neighbourhood's `location` (a Place): its area as a GeoJSON geometry,
# kept as a JSON literal (docs/FEDERATION.md).
BUURTPLEIN_NS: Final = "https://buurtplein.org/ns#"

# --- LitePub / Pleroma — https://litepub.social/ -------------------------------------
LITEPUB_NS: Final = "http://litepub.social/ns#"
LITEPUB_CONTEXT: Final = "https://litepub.social/litepub/context.jsonld"
LITEPUB_CHAT_MESSAGE: Final = "ChatMessage"
LITEPUB_EMOJI_REACT: Final = "EmojiReact"
LITEPUB_DIRECT_MESSAGE: Final = "directMessage"

# --- Media types — https://www.w3.org/TR/activitypub/#retrieving-objects --------------
ACTIVITY_JSON: Final = "application/activity+json"
LD_JSON_AS2: Final = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
ACCEPT_AS2: Final = f"{ACTIVITY_JSON}, {LD_JSON_AS2}"


def _sec(term: str, **extra: str) -> dict[str, str]:
    return {"@id": SEC_NS + term, **extra}


# The inline map: every non-AS2, non-security-v1 term we emit.
OUR_TERMS: Final[dict[str, Any]] = {
    "toot": TOOT_NS,
    "schema": SCHEMA_NS,
    "mz": MOBILIZON_NS,
    "ical": ICAL_NS,
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "sensitive": "as:sensitive",
    "movedTo": {"@id": "as:movedTo", "@type": "@id"},
    "Hashtag": "as:Hashtag",
    "discoverable": "toot:discoverable",
    "indexable": "toot:indexable",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
    "blurhash": "toot:blurhash",
    "focalPoint": {"@id": "toot:focalPoint", "@container": "@list"},
    "votersCount": "toot:votersCount",
    "Emoji": "toot:Emoji",
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
    "PostalAddress": "schema:PostalAddress",
    "address": {"@id": "schema:address", "@type": "schema:PostalAddress"},
    "streetAddress": "schema:streetAddress",
    "addressLocality": "schema:addressLocality",
    "addressRegion": "schema:addressRegion",
    "postalCode": "schema:postalCode",
    "addressCountry": "schema:addressCountry",
    "geo": "schema:geo",
    "GeoCoordinates": "schema:GeoCoordinates",
    "VirtualLocation": "schema:VirtualLocation",
    "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
    "timezone": {"@id": "mz:timezone", "@type": "schema:Text"},
    "isOnline": {"@id": "mz:isOnline", "@type": "schema:Boolean"},
    "buurtplein": BUURTPLEIN_NS,
    "boundary": {"@id": "buurtplein:boundary", "@type": "@json"},
    "Multikey": SEC_NS + "Multikey",
    "assertionMethod": _sec("assertionMethod", **{"@type": "@id", "@container": "@set"}),
    "controller": _sec("controller", **{"@type": "@id"}),
    "publicKeyMultibase": _sec("publicKeyMultibase", **{"@type": SEC_NS + "multibase"}),
}

OUR_CONTEXT: Final[list[Any]] = [
    AS2_CONTEXT,
    SECURITY_V1_CONTEXT,
    DATA_INTEGRITY_V1_CONTEXT,
    OUR_TERMS,
]

# Compact IRIs with these prefixes (e.g. "ical:status") are defined by OUR_TERMS.
OUR_PREFIXES: Final = frozenset(k for k, v in OUR_TERMS.items() if isinstance(v, str)
                                and v.endswith(("#", "/")))  # fmt: skip
DEFINED_TERMS: Final = AS2_TERMS | SECURITY_TERMS | frozenset(OUR_TERMS)


def is_defined_term(key: str) -> bool:
    """True if `key` is a term or compact IRI that OUR_CONTEXT defines."""
    if key in DEFINED_TERMS:
        return True
    prefix, sep, suffix = key.partition(":")
    return bool(sep) and bool(suffix) and prefix in OUR_PREFIXES


def is_as2_media_type(content_type: str) -> bool:
    """True for `application/activity+json` and AS2-profiled `application/ld+json`.

    `application/ld+json` without any profile is accepted too (several servers send it);
    with a profile, one of its URIs must be the AS2 context (http or https).
    """
    main, *params = content_type.split(";")
    media = main.strip().lower()
    if media == ACTIVITY_JSON:
        return True
    if media != "application/ld+json":
        return False
    profiles = [
        value.strip().strip('"')
        for name, _, value in (p.partition("=") for p in params)
        if name.strip().lower() == "profile"
    ]
    if not profiles:
        return True
    uris = " ".join(profiles).split()
    return any(uri.rstrip("/") in (AS2_CONTEXT, AS2_CONTEXT_HTTP) for uri in uris)
