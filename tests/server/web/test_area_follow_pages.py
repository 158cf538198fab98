"""An organisation's area follows on the web (/settings/area-follows): follow an area by
name, box or point (errors next to the fields, in the reader's language), see it listed
with its count, end it — keeping the follows, or unfollowing those it started — and a
neighbourhood made in the area afterwards is not followed. Residents get 403 and an
explanation; the forms need their CSRF token."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from server.domain.actors import create_account, create_local_actor
from server.domain.area_follows import start_area_follow
from server.domain.neighbourhoods import create_neighbourhood
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from tests.harness import Instance, federating
from tests.server.web.browser_client import PageClient
from tests.server.web.test_organiser_pages import signed_in

PASSWORD = "correct horse battery"
PATH = "/settings/area-follows"
INSIDE = {"type": "Polygon", "coordinates": [[[4.86, 52.34], [4.87, 52.34], [4.87, 52.35], [4.86, 52.34]]]}
END_RE = re.compile(r'action="/settings/area-follows/(\d+)/end"')


@asynccontextmanager
async def organisation(inst: Instance, username: str) -> AsyncIterator[PageClient]:
    await create_account(inst.pool, inst.settings, username=username, password=PASSWORD, kind="Organization")
    async with PageClient(inst) as browser:
        assert await browser.login(username, PASSWORD) == 200
        yield browser


async def _state(inst: Instance, follower: str, followed: str) -> str | None:
    a = await actor_store.local_actor(inst.pool, follower)
    b = await actor_store.local_actor(inst.pool, followed)
    assert a is not None and b is not None
    return await follow_store.follow_state(inst.pool, a.id, b.id)


async def test_an_organisation_follows_lists_and_ends_areas_on_the_web(instance: Instance) -> None:
    fed = federating(instance)
    await create_neighbourhood(fed, "binnen", boundary=INSIDE, area_name="Oost")
    await create_neighbourhood(fed, "westwijk", area_name="West")
    async with organisation(instance, "gemeente") as gemeente:
        status, page = await gemeente.get("/settings")
        assert status == 200 and f'href="{PATH}"' in page
        status, page = await gemeente.get(PATH)
        assert status == 200 and "You follow no area yet." in page

        # refusals, each next to its field
        for data, message, field in (
            ({}, "Give an area name, a box or a point with a radius.", "f-area_name-error"),
            ({"min_lon": "4.85"}, "Fill in all four numbers of the box, or none.", "f-bbox-error"),
            (
                {"min_lon": "5", "min_lat": "52", "max_lon": "4", "max_lat": "53"},
                "A box runs from west to east between −180 and 180",
                "f-bbox-error",
            ),
            ({"lat": "52.3", "lon": "vier", "radius": "10"}, "Enter a number, such as 52.37.", "f-lon-error"),
            ({"lat": "52.3"}, "Fill in both the latitude and the longitude, or neither.", "f-near-error"),
            ({"lat": "52.3", "lon": "4.9"}, "Give a radius in metres with the point.", "f-radius-error"),
            (
                {"lat": "52.3", "lon": "4.9", "radius": "200000"},
                "A radius is more than 0 and at most",
                "f-radius-error",
            ),
            ({"radius": "100"}, "A radius needs a point", "f-radius-error"),
            ({"area_name": "x" * 201}, "An area name has 1 to 200 characters.", "f-area_name-error"),
        ):
            status, page, _ = await gemeente.submit(PATH, data)
            assert status == 400 and message in page and f'id="{field}"' in page, (data, page[-3000:])
        gemeente.language = "nl"
        status, page, _ = await gemeente.submit(PATH, {"min_lon": "4.85"})
        assert status == 400 and "Vul alle vier getallen van de rechthoek in, of geen." in page
        gemeente.language = "en"
        assert await instance.pool.fetchval("SELECT count(*) FROM area_follows") == 0

        # a box (decimal commas are fine) and a name: binnen is followed, westwijk is not
        box = {"min_lon": "4,85", "min_lat": "52,33", "max_lon": "4,95", "max_lat": "52,40"}
        status, page, _ = await gemeente.submit(PATH, {"area_name": "oost", **box})
        assert status == 200 and "Following the area: 1 neighbourhood followed now." in page
        assert await _state(instance, "gemeente", "binnen") == "accepted"
        assert await _state(instance, "gemeente", "westwijk") is None
        assert "area oost" in page and "box 4.85, 52.33 to 4.95, 52.4" in page and "1 neighbourhood followed" in page
        assert "Also unfollow the 1 neighbourhood this area follow followed" in page
        (first,) = END_RE.findall(page)

        # ending needs the CSRF token, and only ends the organisation's own area follows
        async with gemeente.session.post(instance.url(f"{PATH}/{first}/end"), data={}) as resp:
            assert resp.status == 403
        async with organisation(instance, "bieb") as bieb:
            await bieb.get(PATH)
            async with bieb.session.post(
                instance.url(f"{PATH}/{first}/end"), data={"csrf": bieb.csrf()}, allow_redirects=False
            ) as resp:
                assert resp.status == 404

        # ended, keeping the follows: a neighbourhood made in the area later is not followed
        status, page, _ = await gemeente.submit(f"{PATH}/{first}/end", {}, from_page=PATH)
        assert status == 200 and "The area follow has ended" in page and "You follow no area yet." in page
        assert await _state(instance, "gemeente", "binnen") == "accepted"
        await create_neighbourhood(fed, "later", boundary=INSIDE, area_name="Oost")
        assert await _state(instance, "gemeente", "later") is None

        # around a point, ended with the neighbourhoods it followed
        status, page, _ = await gemeente.submit(PATH, {"lat": "52.345", "lon": "4.865", "radius": "500"})
        assert status == 200 and "Following the area: 1 neighbourhood followed now." in page  # later
        assert "within 500 m of 52.345, 4.865" in page and "2 neighbourhoods followed" in page
        (second,) = END_RE.findall(page)
        status, page, _ = await gemeente.submit(
            f"{PATH}/{second}/end", {"unfollow_neighbourhoods": "1"}, from_page=PATH
        )
        assert status == 200 and "1 neighbourhood unfollowed." in page
        assert await _state(instance, "gemeente", "later") is None
        assert await _state(instance, "gemeente", "binnen") == "accepted"  # the first area follow's: kept
        await create_neighbourhood(fed, "nog-later", boundary=INSIDE)
        assert await _state(instance, "gemeente", "nog-later") is None

        gemeente.language = "nl"
        status, page = await gemeente.get(PATH)
        assert status == 200 and "Gebieden die je volgt" in page and "Je volgt nog geen gebied." in page


async def test_residents_are_told_only_organisations_follow_areas(instance: Instance) -> None:
    gemeente = await create_local_actor(instance.pool, instance.settings, kind="Organization", username="gemeente")
    await start_area_follow(federating(instance), gemeente, "Oost")
    async with signed_in(instance, "anna") as anna:
        status, page = await anna.get("/settings")
        assert status == 200 and PATH not in page
        status, page = await anna.get(PATH)
        assert (
            status == 403
            and "Only an organisation's account" in page
            and '<form method="post" action="/settings/area-follows"' not in page
        )
        status, page, _ = await anna.submit(PATH, {"area_name": "Oost"}, from_page="/settings")
        assert status == 403 and "Only an organisation's account" in page
        status, _, _ = await anna.submit(f"{PATH}/1/end", {}, from_page="/settings")
        assert status == 403
        assert await instance.pool.fetchval("SELECT count(*) FROM area_follows") == 1
    async with PageClient(instance) as visitor:
        async with visitor.session.get(instance.url(PATH), allow_redirects=False) as resp:
            assert resp.status == 303 and resp.headers["Location"].startswith("/login")
