from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from activitypub.errors import BadResource, ProtocolError
from activitypub.webfinger import (
    ParsedResource,
    build_host_meta_json,
    build_host_meta_xrd,
    build_jrd,
    parse_handle,
    parse_resource,
    self_link_from_jrd,
)

LOCAL = {"buurt.example"}
ACTOR = "https://buurt.example/users/anna"


@pytest.mark.parametrize(
    "resource",
    [
        "acct:anna@buurt.example",
        "ACCT:anna@Buurt.Example",
        "anna@buurt.example",
        "@anna@buurt.example",
        " acct:anna@buurt.example ",
    ],
)
def test_acct_forms(resource: str) -> None:
    assert parse_resource(resource, LOCAL) == ParsedResource("acct", "buurt.example", True, username="anna")


def test_remote_and_port_and_url() -> None:
    remote = parse_resource("acct:bob@Remote.Example:8443", LOCAL)
    assert remote.domain == "remote.example:8443" and not remote.is_local
    url = parse_resource(ACTOR, LOCAL)
    assert url == ParsedResource("url", "buurt.example", True, url=ACTOR)


@pytest.mark.parametrize(
    "resource",
    [
        "",
        "anna",
        "acct:anna",
        "acct:@buurt.example",
        "anna@",
        "anna@bad_host",
        "mailto:anna@buurt.example",
        "https://",
        "https://user@buurt.example/x",
        "a b@buurt.example",
        "acct:anna@-bad.example",
        "x" * 2000 + "@buurt.example",
    ],
)
def test_malformed(resource: str) -> None:
    with pytest.raises(BadResource) as info:
        parse_resource(resource, LOCAL)
    assert isinstance(info.value, ProtocolError)
    assert info.value.public_message == "malformed resource"


def test_parse_handle() -> None:
    assert parse_handle("anna@Buurt.Example") == ("anna", "buurt.example")
    assert parse_handle("@anna@buurt.example") == ("anna", "buurt.example")
    with pytest.raises(BadResource):
        parse_handle("anna")


def test_build_jrd_and_self_link() -> None:
    jrd = build_jrd(
        "acct:anna@buurt.example",
        ACTOR,
        "https://buurt.example/@anna",
        "https://buurt.example/authorize_interaction?uri={uri}",
        [ACTOR, "https://buurt.example/@anna", ACTOR],
    )
    assert jrd["subject"] == "acct:anna@buurt.example"
    assert jrd["aliases"] == [ACTOR, "https://buurt.example/@anna"]
    assert jrd["links"] == [
        {"rel": "self", "type": "application/activity+json", "href": ACTOR},
        {
            "rel": "http://webfinger.net/rel/profile-page",
            "type": "text/html",
            "href": "https://buurt.example/@anna",
        },
        {
            "rel": "http://ostatus.org/schema/1.0/subscribe",
            "template": "https://buurt.example/authorize_interaction?uri={uri}",
        },
    ]
    assert self_link_from_jrd(jrd) == ACTOR
    minimal = build_jrd("acct:a@b.example", ACTOR)
    assert [link["rel"] for link in minimal["links"]] == ["self"] and "aliases" not in minimal


def test_self_link_variants() -> None:
    ld = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    assert self_link_from_jrd({"links": [{"rel": "self", "type": ld, "href": ACTOR}]}) == ACTOR
    assert (
        self_link_from_jrd(
            {
                "links": [
                    {"rel": "self", "type": "text/html", "href": "https://x/html"},
                    "junk",
                    {"rel": "self", "type": "application/activity+json", "href": 3},
                    {"rel": "self", "type": "application/activity+json", "href": ACTOR},
                ]
            }
        )
        == ACTOR
    )
    assert self_link_from_jrd({"links": "nope"}) is None
    assert self_link_from_jrd([]) is None
    assert (
        self_link_from_jrd(
            {
                "links": [
                    {
                        "rel": "self",
                        "type": "application/activity+json",
                        "href": "javascript:alert(1)",
                    }
                ]
            }
        )
        is None
    )


def test_host_meta() -> None:
    xrd = build_host_meta_xrd("https://buurt.example/")
    root = ET.fromstring(xrd)
    link = root.find("{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link")
    assert link is not None and link.get("rel") == "lrdd"
    assert link.get("template") == "https://buurt.example/.well-known/webfinger?resource={uri}"
    assert build_host_meta_json("https://buurt.example") == {
        "links": [
            {
                "rel": "lrdd",
                "type": "application/jrd+json",
                "template": "https://buurt.example/.well-known/webfinger?resource={uri}",
            }
        ]
    }
