"""Remote follow both ways between two real instances, through the pages only."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

from server.domain.actors import create_account, create_local_actor
from server.storage import follows as follow_store
from tests.harness import PEER_ADDRESSES, wait_for
from tests.server.web.browser_client import PageClient

PASSWORD = "correct horse battery"


async def test_visitor_follows_a_neighbourhood_from_their_home_server(make_instance: Callable[..., Any]) -> None:
    async with (
        make_instance(PEER_ADDRESSES[0], registration_mode="open") as home,
        make_instance(PEER_ADDRESSES[1], registration_mode="open") as there,
    ):
        group = await create_local_actor(there.pool, there.settings, kind="Group", username="westwijk", name="Westwijk")
        anna = await create_account(home.pool, home.settings, username="anna", password=PASSWORD)
        async with PageClient(there) as visitor:
            status, page, resp = await visitor.submit(
                "/remote-follow",
                {"target": group.ap_id, "handle": f"anna@{home.settings.domain}"},
                from_page="/@westwijk",
                follow=False,
            )
            assert status == 303, page
            location = resp.headers["Location"]
        assert unquote(location) == home.url("/authorize_interaction?uri=" + group.ap_id)
        async with PageClient(home) as resident:
            await resident.login("anna")
            status, page = await resident.get(location)
            assert status == 200 and "Follow Westwijk" in page
            await resident.submit("/follow", {"target": unquote(location.split("uri=")[1])}, from_page=location)

        async def accepted() -> bool:
            follower = await follow_store.follow_state(home.pool, anna.id, await _remote_id(home, group.ap_id))
            return follower == "accepted"

        await wait_for(accepted, timeout=20)


async def _remote_id(inst: Any, ap_id: str) -> int:
    return int(await inst.pool.fetchval("SELECT id FROM actors WHERE ap_id = $1", ap_id))


async def test_remote_follow_with_a_bad_handle_is_a_field_error(make_instance: Callable[..., Any]) -> None:
    async with make_instance(registration_mode="open") as inst:
        group = await create_local_actor(inst.pool, inst.settings, kind="Group", username="westwijk")
        async with PageClient(inst) as visitor:
            for handle in ("", "not a handle", "nobody@127.0.0.1:9"):
                status, page, _ = await visitor.submit(
                    "/remote-follow", {"target": group.ap_id, "handle": handle}, from_page="/@westwijk"
                )
                assert status == 400 and 'aria-invalid="true"' in page, handle


async def test_resident_follows_a_remote_neighbourhood_by_handle(make_instance: Callable[..., Any]) -> None:
    async with (
        make_instance(PEER_ADDRESSES[0], registration_mode="open") as home,
        make_instance(PEER_ADDRESSES[1], registration_mode="open") as there,
    ):
        await create_local_actor(there.pool, there.settings, kind="Group", username="westwijk", name="Westwijk")
        async with PageClient(home) as resident:
            await resident.register("bram")
            query = quote(f"westwijk@{there.settings.domain}")
            status, page = await resident.get(f"/search?q={query}")
            assert status == 200 and "Follow Westwijk" in page
            # its profile URL finds it too (the server answers an AS2 request there)
            status, page = await resident.get("/search?q=" + quote(there.url("/@westwijk"), safe=""))
            assert status == 200 and "Follow Westwijk" in page
            target = there.url("/actors/westwijk")
            await resident.submit("/follow", {"target": target}, from_page=f"/search?q={query}")

        async def followed() -> bool:
            return bool(await there.pool.fetchval("SELECT count(*) FROM follows WHERE state = 'accepted'"))

        await wait_for(followed, timeout=20)
