"""WebFinger (RFC 7033) and host-meta on a real instance."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import quote

import pytest

from server.domain.actors import create_local_actor
from tests.harness import Instance

SUBSCRIBE = "http://ostatus.org/schema/1.0/subscribe"
PROFILE = "http://webfinger.net/rel/profile-page"


async def finger(instance: Instance, resource: str | None, extra: str = "") -> tuple[int, dict[str, str], Any]:
    query = "" if resource is None else "?resource=" + quote(resource, safe="")
    async with instance.session.get(instance.url("/.well-known/webfinger" + query + extra)) as resp:
        return resp.status, dict(resp.headers), await resp.json(content_type=None)


@pytest.mark.parametrize("form", ["acct:{n}@{d}", "acct:{N}@{D}", "{n}@{d}", "@{n}@{d}"])
async def test_acct_resource_gives_the_actor(instance: Instance, form: str) -> None:
    actor = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oosterpark")
    domain = instance.settings.domain
    resource = form.format(n="oosterpark", N="OosterPark", d=domain, D=domain.upper())
    status, headers, jrd = await finger(instance, resource)
    assert status == 200, jrd
    assert headers["Content-Type"].startswith("application/jrd+json")
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert jrd["subject"] == f"acct:oosterpark@{domain}"
    assert jrd["aliases"] == [actor.ap_id, instance.url("/@oosterpark")]
    links = {link["rel"]: link for link in jrd["links"]}
    assert links["self"] == {
        "rel": "self",
        "type": "application/activity+json",
        "href": actor.ap_id,
    }
    assert links[PROFILE]["href"] == instance.url("/@oosterpark")
    assert links[SUBSCRIBE]["template"] == instance.url("/authorize_interaction?uri={uri}")


@pytest.mark.parametrize("path", ["/actors/oosterpark", "/@oosterpark"])
async def test_actor_and_profile_urls_are_resources(instance: Instance, path: str) -> None:
    actor = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oosterpark")
    status, _, jrd = await finger(instance, instance.url(path))
    assert status == 200
    assert jrd["subject"] == f"acct:oosterpark@{instance.settings.domain}"
    assert jrd["links"][0]["href"] == actor.ap_id


@pytest.mark.parametrize("resource", ["acct:instance.actor@{d}", "{base}/actor"])
async def test_the_instance_actor_is_findable(instance: Instance, resource: str) -> None:
    status, _, jrd = await finger(instance, resource.format(d=instance.settings.domain, base=instance.base_url))
    assert status == 200
    assert jrd["links"][0]["href"] == instance.url("/actor")


async def test_rel_parameters_filter_the_links(instance: Instance) -> None:
    await create_local_actor(instance.pool, instance.settings, kind="Person", username="bea")
    status, _, jrd = await finger(instance, f"acct:bea@{instance.settings.domain}", "&rel=self")
    assert status == 200
    assert [link["rel"] for link in jrd["links"]] == ["self"]


@pytest.mark.parametrize(
    "resource",
    [None, "", "acct:", "acct:bea", "mailto:bea@example.com", "acct:b e a@{d}", "x" * 2000],
)
async def test_missing_or_malformed_resource_is_400(instance: Instance, resource: str | None) -> None:
    value = None if resource is None else resource.format(d=instance.settings.domain)
    status, headers, body = await finger(instance, value)
    assert status == 400
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "error" in body


@pytest.mark.parametrize(
    "resource",
    [
        "acct:nobody@{d}",
        "acct:oosterpark@elsewhere.example",
        "https://elsewhere.example/actors/oosterpark",
        "{base}/objects/oosterpark",
    ],
)
async def test_unknown_or_foreign_resource_is_404(instance: Instance, resource: str) -> None:
    await create_local_actor(instance.pool, instance.settings, kind="Group", username="oosterpark")
    status, headers, _ = await finger(instance, resource.format(d=instance.settings.domain, base=instance.base_url))
    assert status == 404
    assert headers["Access-Control-Allow-Origin"] == "*"


async def test_host_meta_is_xrd_pointing_at_webfinger(instance: Instance) -> None:
    async with instance.session.get(instance.url("/.well-known/host-meta")) as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("application/xrd+xml")
        assert resp.headers["Access-Control-Allow-Origin"] == "*"
        root = ET.fromstring(await resp.read())
    ns = "{http://docs.oasis-open.org/ns/xri/xrd-1.0}"
    assert root.tag == ns + "XRD"
    link = root.find(ns + "Link")
    assert link is not None
    assert link.get("rel") == "lrdd"
    assert link.get("template") == instance.url("/.well-known/webfinger?resource={uri}")


async def test_host_meta_json(instance: Instance) -> None:
    async with instance.session.get(instance.url("/.well-known/host-meta.json")) as resp:
        assert resp.status == 200
        doc = await resp.json(content_type=None)
    assert doc["links"][0]["template"] == instance.url("/.well-known/webfinger?resource={uri}")
