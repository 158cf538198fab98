from __future__ import annotations

import pytest

from activitypub.nodeinfo import (
    REL_APPLICATION_ACTOR,
    SCHEMA_20,
    SCHEMA_21,
    Usage,
    build_nodeinfo,
    build_nodeinfo_links,
    media_type,
)

USAGE = Usage(users_total=10, users_active_month=4, users_active_halfyear=7, local_posts=99)


def test_links_document() -> None:
    doc = build_nodeinfo_links(
        nodeinfo_20_url="https://b.example/nodeinfo/2.0",
        nodeinfo_21_url="https://b.example/nodeinfo/2.1",
        instance_actor_url="https://b.example/actor",
    )
    assert doc == {
        "links": [
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.0",
                "href": "https://b.example/nodeinfo/2.0",
            },
            {
                "rel": "http://nodeinfo.diaspora.software/ns/schema/2.1",
                "href": "https://b.example/nodeinfo/2.1",
            },
            {
                "rel": "https://www.w3.org/ns/activitystreams#Application",
                "href": "https://b.example/actor",
            },
        ]
    }
    assert REL_APPLICATION_ACTOR not in str(build_nodeinfo_links(nodeinfo_20_url="a", nodeinfo_21_url="b"))


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_documents(version: str) -> None:
    doc = build_nodeinfo(
        version,
        software_version="0.1.0",
        usage=USAGE,
        open_registrations=False,
        node_name="Buurt Oost",
        neighbourhoods=["Oost", "Centrum"],
        metadata={"nodeName": "ignored", "langs": ["nl"]},
        repository="https://git.example/bp",
    )
    assert doc["version"] == version and doc["protocols"] == ["activitypub"]
    assert doc["software"]["name"] == "buurtplein" and doc["software"]["version"] == "0.1.0"
    assert ("repository" in doc["software"]) is (version == "2.1")
    assert doc["usage"] == {
        "users": {"total": 10, "activeMonth": 4, "activeHalfyear": 7},
        "localPosts": 99,
    }
    assert doc["metadata"] == {
        "nodeName": "Buurt Oost",
        "neighbourhoods": ["Oost", "Centrum"],
        "langs": ["nl"],
    }
    assert doc["openRegistrations"] is False
    assert doc["services"] == {"inbound": [], "outbound": []}


def test_errors_and_media_type() -> None:
    with pytest.raises(ValueError):
        build_nodeinfo("3.0", software_version="1", usage=USAGE, open_registrations=True, node_name="x")
    with pytest.raises(ValueError):
        build_nodeinfo(
            "2.0",
            software_version="1",
            open_registrations=True,
            node_name="x",
            usage=Usage(-1, 0, 0, 0),
        )
    assert media_type("2.1") == f'application/json; profile="{SCHEMA_21}#"'
    assert SCHEMA_20.endswith("/2.0")
    with_comments = build_nodeinfo(
        "2.0",
        software_version="1",
        open_registrations=True,
        node_name="x",
        usage=Usage(1, 1, 1, 1, local_comments=5),
    )
    assert with_comments["usage"]["localComments"] == 5
