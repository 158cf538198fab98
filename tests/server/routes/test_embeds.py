"""Embeds: script-free HTML that any site may frame, escaping everything it shows."""

from __future__ import annotations

from server.config import Settings
from server.domain.embeds import embed_snippets
from server.urls import Urls
from tests.harness import Instance
from tests.server.feed_data import build_world, plant_event, plant_object


async def test_embed_page_is_frameable_and_script_free(instance: Instance) -> None:
    world = await build_world(instance)
    await plant_object(instance, world.group, content='<p>hoi<img src=x onerror="alert(1)"></p>')
    await plant_event(instance, world.group, name='<script>alert("x")</script>', status="cancelled")
    for kind in ("events", "posts"):
        async with instance.session.get(instance.url(f"/embed/neighbourhoods/oosterpark/{kind}")) as resp:
            body = await resp.text()
            csp = resp.headers["Content-Security-Policy"]
            assert resp.status == 200 and resp.content_type == "text/html"
            assert "frame-ancestors *" in csp and "default-src 'none'" in csp
            assert "X-Frame-Options" not in resp.headers
            assert "Set-Cookie" not in resp.headers
            assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert "<script" not in body and "onerror" not in body and "<img" not in body
    async with instance.session.get(instance.url("/embed/neighbourhoods/oosterpark/events")) as resp:
        body = await resp.text()
    assert "&lt;script&gt;" in body and "afgelast" in body and "Buurtfeest" in body


async def test_fragment_variant_is_a_bare_list(instance: Instance) -> None:
    await build_world(instance)
    async with instance.session.get(instance.url("/embed/neighbourhoods/oosterpark/posts?format=fragment")) as resp:
        body = await resp.text()
    assert body.startswith('<div class="buurtplein-embed">') and "<html" not in body
    assert "Welkom in de buurt" in body


async def test_hidden_neighbourhood_has_no_embed(instance: Instance) -> None:
    await build_world(instance)
    async with instance.session.get(instance.url("/embed/neighbourhoods/geheimpark/posts")) as resp:
        assert resp.status == 404
        assert "SECRET" not in await resp.text()


def test_snippet_is_one_iframe_with_escaped_url() -> None:
    urls = Urls(Settings(domain="buurt.test", scheme="https"))
    snippet = embed_snippets(urls, "oosterpark", "events")
    assert snippet["iframe"].startswith('<iframe src="https://buurt.test/embed/neighbourhoods/oosterpark/events"')
    assert "sandbox=" in snippet["iframe"]
    assert snippet["html_url"].endswith("?format=fragment")
