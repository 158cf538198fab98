"""WebFinger (RFC 7033) resources, JRD documents and host-meta (RFC 6415), pure.

Spec: https://www.rfc-editor.org/rfc/rfc7033 ; acct: URIs https://www.rfc-editor.org/rfc/rfc7565
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit
from xml.sax.saxutils import quoteattr

from activitypub.errors import BadResource
from activitypub.terms import ACTIVITY_JSON, is_as2_media_type

JRD_MEDIA_TYPE = "application/jrd+json"
XRD_MEDIA_TYPE = "application/xrd+xml"
REL_SELF = "self"
REL_PROFILE_PAGE = "http://webfinger.net/rel/profile-page"
REL_SUBSCRIBE = "http://ostatus.org/schema/1.0/subscribe"
REL_LRDD = "lrdd"
MAX_RESOURCE_LENGTH = 1024

_USERNAME_RE = re.compile(r"[A-Za-z0-9_.~+-]{1,128}")
_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_HOST_RE = re.compile(rf"(?:{_LABEL}\.)*{_LABEL}(?::[0-9]{{1,5}})?")


@dataclass(frozen=True)
class ParsedResource:
    """`kind` is "acct" (username and domain set) or "url" (url and domain set).
    `domain` is lower-cased and may carry a port; `is_local` says whether it is ours."""

    kind: str
    domain: str
    is_local: bool
    username: str | None = None
    url: str | None = None


def parse_handle(handle: str) -> tuple[str, str]:
    """`name@host`, `@name@host` or `acct:name@host` → (name, host); host lower-cased."""
    text = handle.strip()
    if len(text) > MAX_RESOURCE_LENGTH:
        raise BadResource("handle too long")
    if text[:5].lower() == "acct:":
        text = unquote(text[5:])
    text = text.removeprefix("@")
    name, sep, host = text.rpartition("@")
    host = host.lower().rstrip(".")
    if not sep or not _USERNAME_RE.fullmatch(name) or not _HOST_RE.fullmatch(host):
        raise BadResource(f"not a name@host handle: {handle[:100]!r}")
    return name, host


def parse_resource(resource: str, local_domains: Collection[str]) -> ParsedResource:
    """Parse the `resource` query parameter: an acct: URI, a bare or @-prefixed
    handle, or an http(s) URL (an actor or profile URL)."""
    text = resource.strip()
    if not text or len(text) > MAX_RESOURCE_LENGTH:
        raise BadResource("empty or overlong resource")
    local = {d.lower() for d in local_domains}
    if text[:8].lower() == "https://" or text[:7].lower() == "http://":
        parts = urlsplit(text)
        host = (parts.netloc.rpartition("@")[2]).lower().rstrip(".")
        if not _HOST_RE.fullmatch(host) or "@" in parts.netloc:
            raise BadResource(f"malformed URL resource: {resource[:100]!r}")
        return ParsedResource("url", host, host in local, url=text)
    if ":" in text.partition("@")[0] and text[:5].lower() != "acct:":
        raise BadResource(f"unsupported resource scheme: {resource[:100]!r}")
    name, host = parse_handle(text)
    return ParsedResource("acct", host, host in local, username=name)


def build_jrd(
    subject: str,
    actor_url: str,
    profile_url: str | None = None,
    subscribe_template: str | None = None,
    aliases: Sequence[str] = (),
) -> dict[str, Any]:
    """The JRD for an account: `self` (AS2), profile page (HTML), remote-follow template."""
    links: list[dict[str, str]] = [{"rel": REL_SELF, "type": ACTIVITY_JSON, "href": actor_url}]
    if profile_url:
        links.append({"rel": REL_PROFILE_PAGE, "type": "text/html", "href": profile_url})
    if subscribe_template:
        links.append({"rel": REL_SUBSCRIBE, "template": subscribe_template})
    jrd: dict[str, Any] = {"subject": subject}
    if aliases:
        jrd["aliases"] = list(dict.fromkeys(aliases))
    jrd["links"] = links
    return jrd


def self_link_from_jrd(jrd: Any) -> str | None:
    """The actor URL: the first `self` link whose type is an AS2 media type."""
    links = jrd.get("links") if isinstance(jrd, Mapping) else None
    for link in links if isinstance(links, list) else ():
        if not isinstance(link, Mapping) or link.get("rel") != REL_SELF:
            continue
        href, media = link.get("href"), link.get("type")
        if isinstance(href, str) and isinstance(media, str) and is_as2_media_type(media):
            if href.startswith(("https://", "http://")):
                return href
    return None


def lrdd_template(base_url: str) -> str:
    return f"{base_url.rstrip('/')}/.well-known/webfinger?resource={{uri}}"


def build_host_meta_xrd(base_url: str) -> str:
    """`/.well-known/host-meta` as XRD (XML), pointing at our WebFinger endpoint."""
    template = quoteattr(lrdd_template(base_url))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">\n'
        f'  <Link rel="{REL_LRDD}" type="{JRD_MEDIA_TYPE}" template={template}/>\n'
        "</XRD>\n"
    )


def build_host_meta_json(base_url: str) -> dict[str, Any]:
    """`/.well-known/host-meta.json`, the JRD form of host-meta."""
    return {"links": [{"rel": REL_LRDD, "type": JRD_MEDIA_TYPE, "template": lrdd_template(base_url)}]}
