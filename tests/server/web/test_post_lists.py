"""Post lists (profile, neighbourhood, home timeline, search): images with alt text,
lazy-loaded and sized; content warnings as a <details> that needs no JavaScript; every
post linked to our own page for it, which opens for exactly those who may read it; the
neighbourhood's first view stays under 100 KB with images and warnings."""

from __future__ import annotations

import io
import re
from html import unescape
from typing import Any
from urllib.parse import quote

from PIL import Image

from server.domain import membership
from server.domain.actors import create_local_actor
from server.domain.media import store_upload
from server.domain.post_fields import PostOptions
from server.domain.posts import create_note
from server.storage import actors as actor_store
from server.storage import web_reads
from server.storage.actors import ActorRow
from server.storage.objects import ObjectRow
from tests.harness import Instance, federating
from tests.server.web.browser_client import PageClient


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (30, 120, 60)).save(out, format="PNG")
    return out.getvalue()


def link_of(ap_id: str) -> str:
    return "/post?uri=" + quote(ap_id, safe="")


async def resident(inst: Instance, browser: PageClient, username: str) -> ActorRow:
    await browser.register(username)
    found = await actor_store.local_actor(inst.pool, username)
    assert found is not None
    return found


async def post(
    inst: Instance, author: ActorRow, text: str, *, image: tuple[bytes, str] | None = None,
    visibility: str = "public", **options: Any,
) -> ObjectRow:  # fmt: skip
    """A post as the composer makes it (server.domain.posts.create_note)."""
    media_ids: tuple[int, ...] = ()
    if image is not None:
        medium = await store_upload(inst.pool, inst.settings, author, image[0], image[1])
        media_ids = (medium.id,)
    opts = PostOptions(media_ids=media_ids, **options)
    return await create_note(federating(inst), author, f"<p>{text}</p>", visibility=visibility, options=opts)


async def test_profile_shows_the_warning_image_and_links_to_our_page(open_instance: Instance) -> None:
    async with PageClient(open_instance) as anna:
        anna_row = await resident(open_instance, anna, "anna")
        await post(open_instance, anna_row, "Boom omgewaaid in de straat", summary="Schade <b>foto</b>",
                   image=(png(64, 48), "Een omgewaaide boom op de stoep"))  # fmt: skip
        await post(open_instance, anna_row, "Alleen voor mijn volgers", visibility="followers")
    async with PageClient(open_instance) as visitor:
        status, page = await visitor.get("/@anna")
    assert status == 200
    warning = re.search(r'<details class="cw">\s*<summary>(.*?)</summary>(.*?)</details>', page, re.S)
    assert warning is not None, page
    assert "Schade &lt;b&gt;foto&lt;/b&gt;" in warning.group(1)  # as typed, never as markup
    assert "Boom omgewaaid" in warning.group(2)  # inside the closed <details>, not above it
    image = re.search(r"<img [^>]*>", warning.group(2))
    assert image is not None
    tag = image.group(0)
    assert 'alt="Een omgewaaide boom op de stoep"' in tag and 'loading="lazy"' in tag
    assert 'width="64"' in tag and 'height="48"' in tag and 'src="/media/' in tag
    assert "Alleen voor mijn volgers" not in page  # followers-only stays off the public profile
    posts = await web_reads.public_posts_of(open_instance.pool, anna_row.id)
    assert len(posts) == 1
    assert f'href="{link_of(posts[0].post.ap_id)}"' in page
    assert 'href="' + posts[0].post.ap_id not in page  # not linked to /objects/…


async def test_followers_only_post_links_to_a_page_its_follower_may_see(open_instance: Instance) -> None:
    async with PageClient(open_instance) as anna, PageClient(open_instance) as bram:
        await anna.register("anna")
        await bram.register("bram")
        anna_row = await actor_store.local_actor(open_instance.pool, "anna")
        assert anna_row is not None
        await bram.submit("/follow", {"target": anna_row.ap_id}, from_page="/@anna")
        assert "You follow" in bram.last_page
        await post(open_instance, anna_row, "Sleutel ligt onder de mat", summary="Privé", visibility="followers")
        status, page = await bram.get("/home")
        assert status == 200 and "Content warning: Privé" in page
        links = [unescape(h) for h in re.findall(r'href="(/post\?uri=[^"]+)"', page)]
        assert len(links) == 1
        status, page = await bram.get(links[0])
        assert status == 200 and "Sleutel ligt onder de mat" in page
    async with PageClient(open_instance) as visitor:
        status, page = await visitor.get(links[0])
        assert status == 404 and "Sleutel" not in page and "Privé" not in page
        _, page = await visitor.get("/@anna")
        assert "Sleutel" not in page and "Privé" not in page


async def test_members_only_posts_reach_members_and_nobody_else(open_instance: Instance) -> None:
    group = await create_local_actor(open_instance.pool, open_instance.settings, kind="Group", username="oosterpark")
    async with PageClient(open_instance) as anna, PageClient(open_instance) as stranger:
        await anna.register("anna")
        await stranger.register("vreemde")
        anna_row = await actor_store.local_actor(open_instance.pool, "anna")
        assert anna_row is not None
        await membership.join(federating(open_instance), anna_row, group)
        fed = federating(open_instance)
        row = await create_note(fed, anna_row, "<p>Vergadering bij Piet</p>", visibility="members",
                                options=PostOptions(neighbourhood=group.ap_id))  # fmt: skip
        status, page = await anna.get("/home")
        assert f'href="{link_of(row.ap_id)}"' in page and "Vergadering bij Piet" in page
        status, page = await anna.get(link_of(row.ap_id))
        assert status == 200 and "Vergadering bij Piet" in page
        for path in ("/home", "/@oosterpark", link_of(row.ap_id)):
            _, page = await stranger.get(path)
            assert "Vergadering bij Piet" not in page


async def test_neighbourhood_first_view_with_images_and_warnings_is_under_100_kb(open_instance: Instance) -> None:
    group = await create_local_actor(open_instance.pool, open_instance.settings, kind="Group", username="oosterpark")
    async with PageClient(open_instance) as anna:
        anna_row = await resident(open_instance, anna, "anna")
        await membership.join(federating(open_instance), anna_row, group)
        for i in range(20):
            await post(open_instance, anna_row, f"Bericht {i} " + "tekst " * 40, summary=f"Waarschuwing {i}",
                       image=(png(800, 600), "Een foto van het plein " * 5), neighbourhood=group.ap_id)  # fmt: skip
    async with PageClient(open_instance) as visitor:
        _, page = await visitor.get("/@oosterpark")
        assert page.count('<details class="cw">') == 20 and page.count('loading="lazy"') == 20
        assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
        total = len(page.encode())
        for asset in assets:
            _, body = await visitor.get(asset)
            total += len(body.encode())
    assert assets and total < 100 * 1024  # images are lazy: not part of the first view
