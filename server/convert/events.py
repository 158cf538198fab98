"""ActivityStreams Event ⇄ our EventFields: tolerant reading, strict writing.

Reading accepts what Mobilizon, Gancio, Friendica and FEP-8a8e send: keys with a `sc:`,
`schema:` or `mz:` prefix (or the full IRI), `address` as a schema.org PostalAddress or as
text, `location` as one Place, a VirtualLocation or a list of both, coordinates on the
Place or in `geo`, status as `ical:status`, `status` or schema.org `eventStatus`.
Writing emits one shape (see docs/events.md) with every term defined in its @context.
"""

from __future__ import annotations

import copy
import html
import re
import zoneinfo
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from activitypub import jsonld, terms
from server.storage.events import EventFields

JSON = dict[str, Any]
MAX_NAME = 500
MAX_TEXT = 500
MAX_URL = 2048
MAX_IMAGE_ALT = 1500
SCHEMA_ORG = "https://schema.org/"
# Terms our Event uses beyond terms.OUR_TERMS.
EVENT_TERMS: dict[str, Any] = {
    "maximumAttendeeCapacity": "schema:maximumAttendeeCapacity",
    "remainingAttendeeCapacity": "schema:remainingAttendeeCapacity",
    "participantCount": "mz:participantCount",
    "anonymousParticipationEnabled": "mz:anonymousParticipationEnabled",
    "repliesModerationOption": {"@id": "mz:repliesModerationOption", "@type": "mz:repliesModerationOptionType"},
    "eventStatus": {"@id": "schema:eventStatus", "@type": "@id"},
    "status": "ical:status",
}
EVENT_CONTEXT: list[Any] = [*terms.OUR_CONTEXT[:-1], {**terms.OUR_TERMS, **EVENT_TERMS}]

_PREFIXES = (
    "sc:",
    "schema:",
    "mz:",
    "http://schema.org#",
    "http://schema.org/",
    "https://schema.org/",
    "https://joinmobilizon.org/ns#",
)
_ICAL_KEYS = ("ical:status", terms.ICAL_NS + "status")
_TAGS = re.compile(r"<[^>]*>")
# what each dialect's status value means here
_STATUS_WORDS = {
    "cancelled": "cancelled",
    "canceled": "cancelled",
    "eventcancelled": "cancelled",
    "postponed": "postponed",
    "eventpostponed": "postponed",
}
_ICAL_STATUS = {"scheduled": "CONFIRMED", "cancelled": "CANCELLED", "postponed": "TENTATIVE"}
_SCHEMA_STATUS = {"scheduled": "EventScheduled", "cancelled": "EventCancelled", "postponed": "EventPostponed"}
_WRITTEN_JOIN_MODE = {"free": "free", "restricted": "restricted", "invite": "invite", "external": "external"}


def unprefixed(data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` with schema.org / Mobilizon prefixes removed from its keys (a plain key wins)."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        short = key
        for prefix in _PREFIXES:
            if key.startswith(prefix):
                short = key[len(prefix) :]
                break
        if short not in out or short == key:
            out[short] = value
    return out


def plain_text(value: Any, limit: int = MAX_TEXT) -> str | None:
    """A short text value without markup; None if absent or not text."""
    if not isinstance(value, str):
        return None
    text = html.unescape(_TAGS.sub(" ", value))
    text = " ".join(text.split())
    return text[:limit] or None


def _number(value: Any, low: float, high: float) -> float | None:
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if low <= value <= high else None


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _url(value: Any) -> str | None:
    found = jsonld.get_id(jsonld.first(value)) if not isinstance(value, str) else value
    if isinstance(found, str) and found.startswith(("https://", "http://")) and len(found) <= MAX_URL:
        return found
    return None


def valid_timezone(name: Any) -> str | None:
    """An IANA time zone name we can use, else None."""
    if not isinstance(name, str) or not 0 < len(name) <= 64 or name.startswith(("/", ".")):
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return name


def _type_of(node: Mapping[str, Any]) -> str:
    kinds = [str(k).rsplit("#", 1)[-1].rsplit(":", 1)[-1] for k in jsonld.as_list(node.get("type"))]
    return kinds[0] if kinds else ""


def _locations(obj: Mapping[str, Any]) -> tuple[dict[str, Any] | None, str | None]:
    """(the first physical place, the first online URL) from `location`."""
    place: dict[str, Any] | None = None
    online: str | None = None
    for item in jsonld.as_list(obj.get("location")):
        if isinstance(item, str):
            if place is None and not item.startswith(("https://", "http://")):
                place = {"name": item}
            continue
        if not isinstance(item, Mapping):
            continue
        node = unprefixed(item)
        if _type_of(node) == "VirtualLocation":
            online = online or _url(node.get("url"))
        elif place is None:
            place = node
    return place, online


def _address_fields(place: Mapping[str, Any]) -> dict[str, Any]:
    address = place.get("address")
    if isinstance(address, list):
        address = jsonld.first(address)
    if isinstance(address, str):
        return {"street_address": plain_text(address)}
    if not isinstance(address, Mapping):
        return {}
    node = unprefixed(address)
    country = node.get("addressCountry")
    if isinstance(country, Mapping):
        country = country.get("name")
    return {
        "street_address": plain_text(node.get("streetAddress")),
        "locality": plain_text(node.get("addressLocality")),
        "region": plain_text(node.get("addressRegion")),
        "postal_code": plain_text(node.get("postalCode"), 32),
        "country": plain_text(country),
    }


def _place_fields(place: Mapping[str, Any] | None) -> dict[str, Any]:
    if place is None:
        return {}
    geo = place.get("geo")
    coordinates = unprefixed(geo) if isinstance(geo, Mapping) else place
    latitude = _number(coordinates.get("latitude"), -90, 90)
    longitude = _number(coordinates.get("longitude"), -180, 180)
    if latitude is None or longitude is None:
        latitude = longitude = None
    return {
        "place_name": plain_text(jsonld.language_map_value(place, "name")),
        "latitude": latitude,
        "longitude": longitude,
        **_address_fields(place),
    }


def read_status(obj: Mapping[str, Any]) -> str:
    """scheduled, cancelled or postponed; any dialect saying "cancelled" wins."""
    values = [obj.get(k) for k in (*_ICAL_KEYS, "status", "eventStatus")]
    words = set()
    for value in values:
        text = jsonld.get_id(jsonld.first(value))
        if text:
            words.add(_STATUS_WORDS.get(text.rsplit("/", 1)[-1].rsplit("#", 1)[-1].split(":")[-1].lower(), ""))
    for status in ("cancelled", "postponed"):
        if status in words:
            return status
    return "scheduled"


def _join_mode(value: Any) -> str:
    return value if value in ("free", "restricted", "invite", "external") else "free"


def _online_from_attachment(obj: Mapping[str, Any]) -> str | None:
    """Gancio and Mobilizon put an online event's address in a Link attachment."""
    for item in jsonld.as_list(obj.get("attachment")):
        if isinstance(item, Mapping) and _type_of(item) == "Link":
            return _url(item.get("href"))
    return None


def _image_url(value: Any) -> str | None:
    """A URL given as a string, a Link (`href`) or a list of these (the first usable)."""
    for item in jsonld.as_list(value)[:10]:
        found = _url(item.get("href") if isinstance(item, Mapping) else item)
        if found is not None:
            return found
    return None


def event_image_from_as(obj: Mapping[str, Any]) -> tuple[str, str | None, str | None] | None:
    """(url, media type, alt text) of a received event's picture: the first Document or
    Image attachment with an image media type (Mobilizon: a Document named "Banner";
    Gancio and Buurtplein: a Document whose `name` is the alt text), else `image`."""
    candidates = [i for i in jsonld.as_list(obj.get("attachment"))[:20] if isinstance(i, Mapping)]
    for item in candidates:
        media_type = item.get("mediaType")
        if _type_of(item) not in ("Document", "Image"):
            continue
        if media_type is not None and not (isinstance(media_type, str) and media_type.startswith("image/")):
            continue
        url = _image_url(item.get("url"))
        if url is not None:
            return url, media_type[:100] if isinstance(media_type, str) else None, _alt(item)
    image = obj.get("image")
    url = _image_url(image.get("url") if isinstance(image, Mapping) else image)
    if url is None:
        return None
    media_type = image.get("mediaType") if isinstance(image, Mapping) else None
    media_type = media_type[:100] if isinstance(media_type, str) and media_type.startswith("image/") else None
    return url, media_type, _alt(image) if isinstance(image, Mapping) else None


def _alt(item: Mapping[str, Any]) -> str | None:
    return plain_text(jsonld.language_map_value(item, "name") or item.get("summary"), MAX_IMAGE_ALT)


def event_from_as(document: Mapping[str, Any]) -> EventFields | None:
    """Our fields of a received Event; None when it has no usable `startTime`."""
    obj = unprefixed(document)
    starts_at = jsonld.parse_datetime(obj.get("startTime"))
    if starts_at is None:
        return None
    ends_at = jsonld.parse_datetime(obj.get("endTime"))
    place, online = _locations(obj)
    if online is None and obj.get("isOnline") is True:
        online = _online_from_attachment(obj)
    capacity = _count(obj.get("maximumAttendeeCapacity"))
    image = event_image_from_as(obj) or (None, None, None)
    return EventFields(
        name=plain_text(jsonld.language_map_value(obj, "name"), MAX_NAME) or "",
        starts_at=starts_at,
        ends_at=ends_at if ends_at is not None and ends_at >= starts_at else None,
        timezone=valid_timezone(obj.get("timezone")),
        online_url=online,
        join_mode=_join_mode(obj.get("joinMode")),
        capacity=capacity or None,
        status=read_status(obj),
        reported_participants=_count(obj.get("participantCount")),
        image_url=image[0],
        image_media_type=image[1],
        image_alt=image[2],
        **_place_fields(place),
    )


def takes_join(document: Mapping[str, Any]) -> bool:
    """True for events that expect Mobilizon's Join/Leave (they say how one joins, or count
    participants); others get Friendica's Accept/TentativeAccept/Reject."""
    obj = unprefixed(document)
    return "joinMode" in obj or "participantCount" in obj


# --- writing --------------------------------------------------------------------------


def _time(moment: datetime) -> str:
    return jsonld.format_datetime(moment)


def place_document(event: EventFields) -> JSON:
    address = {
        "type": "PostalAddress",
        "streetAddress": event.street_address,
        "addressLocality": event.locality,
        "addressRegion": event.region,
        "postalCode": event.postal_code,
        "addressCountry": event.country,
    }
    place: JSON = {"type": "Place", "name": event.place_name or event.street_address or event.locality or ""}
    if any(v for k, v in address.items() if k != "type"):
        place["address"] = {k: v for k, v in address.items() if v}
    if event.latitude is not None and event.longitude is not None:
        place["latitude"] = event.latitude
        place["longitude"] = event.longitude
    return place


def location_document(event: EventFields) -> JSON | list[JSON] | None:
    found: list[JSON] = []
    if event.has_place:
        found.append(place_document(event))
    if event.online_url:
        found.append({"type": "VirtualLocation", "url": event.online_url})
    if not found:
        return None
    return found[0] if len(found) == 1 else found


def event_fields_document(event: EventFields, going: int) -> JSON:
    """The event-specific properties of our Event (merged into the object by the caller)."""
    doc: JSON = {
        "name": event.name,
        # plain text; receivers read `summary` as HTML, so it goes out escaped
        "summary": html.escape(plain_summary(event), quote=False),
        "startTime": _time(event.starts_at),
        "timezone": event.timezone or "UTC",
        "joinMode": _WRITTEN_JOIN_MODE.get(event.join_mode, "invite"),
        "participantCount": going,
        "isOnline": event.online_url is not None and not event.has_place,
        "anonymousParticipationEnabled": False,
        "repliesModerationOption": "allow_all",
        "ical:status": _ICAL_STATUS[event.status],
        "status": _ICAL_STATUS[event.status],
        "eventStatus": SCHEMA_ORG + _SCHEMA_STATUS[event.status],
    }
    if event.ends_at is not None:
        doc["endTime"] = _time(event.ends_at)
    location = location_document(event)
    if location is not None:
        doc["location"] = location
    if event.capacity is not None:
        doc["maximumAttendeeCapacity"] = event.capacity
        doc["remainingAttendeeCapacity"] = max(event.capacity - going, 0)
    if event.image_url is not None:
        doc["attachment"] = [image_document(event)]
    return doc


def image_document(event: EventFields) -> JSON:
    """The event's picture as Mobilizon, Gancio and Mastodon read it: a Document with
    `mediaType`, `url` and the alt text in `name`."""
    image: JSON = {"type": "Document", "mediaType": event.image_media_type or "image/jpeg", "url": event.image_url}
    if event.image_alt:
        image["name"] = event.image_alt
    return image


def event_context() -> list[Any]:
    return copy.deepcopy(EVENT_CONTEXT)


# --- the plain-text summary Mastodon shows -------------------------------------------


def _local(moment: datetime, timezone: str | None) -> datetime:
    zone = zoneinfo.ZoneInfo(timezone) if timezone else UTC
    return moment.astimezone(zone)


def when_text(event: EventFields) -> str:
    """`Saturday 12 October 2024, 14:00–17:00 (Europe/Amsterdam)` in the event's zone."""
    start = _local(event.starts_at, event.timezone)
    text = f"{start:%A} {start.day} {start:%B %Y, %H:%M}"
    if event.ends_at is not None:
        end = _local(event.ends_at, event.timezone)
        text += f"–{end:%H:%M}" if end.date() == start.date() else f" – {end:%A} {end.day} {end:%B %Y, %H:%M}"
    return f"{text} ({event.timezone or 'UTC'})"


def where_text(event: EventFields) -> str:
    town = " ".join(p for p in (event.postal_code, event.locality) if p)
    parts = [p for p in (event.place_name, event.street_address, town) if p]
    if event.online_url:
        parts.append(f"online: {event.online_url}")
    return ", ".join(dict.fromkeys(parts))


def plain_summary(event: EventFields) -> str:
    """Date, time and place as plain text: what Mastodon shows of an Event."""
    prefix = {"cancelled": "CANCELLED: ", "postponed": "POSTPONED: "}.get(event.status, "")
    where = where_text(event)
    return f"{prefix}{when_text(event)}" + (f" · {where}" if where else "")


def event_update_note_text(event: EventFields, url: str) -> str:
    """The short Note that tells Mastodon-family followers an event changed (they do not
    show Updates of Events)."""
    headline = {"cancelled": "Cancelled", "postponed": "Postponed"}.get(event.status, "Changed")
    return (
        f"<p>{headline}: {html.escape(event.name)}</p><p>{html.escape(plain_summary(event))}</p>"
        f'<p><a href="{html.escape(url, quote=True)}">{html.escape(url)}</a></p>'
    )
