"""Tag pages: public posts with the hashtag only, with the tag's feeds linked."""

from __future__ import annotations

from server.domain.actors import create_local_actor
from server.domain.compose import Draft, publish_draft
from tests.harness import Instance, federating
from tests.server.web.browser_client import PageClient


async def test_a_tag_page_lists_public_posts_with_the_tag_only(open_instance: Instance) -> None:
    bram = await create_local_actor(open_instance.pool, open_instance.settings, kind="Person", username="bram")
    fed = federating(open_instance)
    await publish_draft(fed, bram, Draft(text="Zaterdag #Buurtfeest op het plein"))
    await publish_draft(fed, bram, Draft(text="Stil #buurtfeest-geheim #Buurtfeest", visibility="followers"))
    await publish_draft(fed, bram, Draft(text="Ook #Buurtfeest maar niet overal", visibility="unlisted"))
    async with PageClient(open_instance) as visitor:
        status, page = await visitor.get("/tags/Buurtfeest")
        assert status == 200 and "Zaterdag" in page and "<h1>#buurtfeest</h1>" in page
        assert "Stil" not in page and "niet overal" not in page
        assert 'type="application/atom+xml"' in page and "/feeds/tags/buurtfeest.atom" in page
        status, page = await visitor.get("/tags/onbekend")
        assert status == 200 and "No public posts with this tag yet." in page
        status, _ = await visitor.get("/tags/123")
        assert status == 404
        for bad in ("/tags/buurtfeest?before=99999999999999999999999", "/tags/buurtfeest?before=-1"):
            status, page = await visitor.get(bad)
            assert status == 200 and "Zaterdag" in page  # a bad cursor is ignored, not a 500
