"""A resident's follow requests on the web (/settings/follow-requests): choosing to approve
new followers by hand (the actor document says so at once), the waiting follows listed
with Approve and Refuse, the answer applied, a second answer refused with 409, the
settings page and the notification pointing there, Dutch and English."""

from __future__ import annotations

import orjson

from server.domain import follows
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from tests.harness import Instance, federating
from tests.server.web.test_organiser_pages import actor, signed_in

PATH = "/settings/follow-requests"


async def _state(inst: Instance, follower: str, followed: str) -> str | None:
    a, b = await actor(inst, follower), await actor(inst, followed)
    return await follow_store.follow_state(inst.pool, a.id, b.id)


async def _approves_by_hand(inst: Instance, username: str) -> bool:
    async with inst.session.get(
        inst.url(f"/actors/{username}"), headers={"Accept": "application/activity+json"}
    ) as response:
        document = orjson.loads(await response.read())
    return bool(document["manuallyApprovesFollowers"])


async def test_a_resident_approves_and_refuses_follow_requests_on_the_web(instance: Instance) -> None:
    fed = federating(instance)
    async with signed_in(instance, "lotte") as lotte:
        status, page = await lotte.get(PATH)
        assert status == 200 and "No one is waiting for an answer." in page
        assert 'id="mode-auto" name="by_hand" value="0" checked' in page
        assert not await _approves_by_hand(instance, "lotte")

        # new followers wait from now on; the actor document says so at once
        status, page, _ = await lotte.submit(PATH + "/mode", {"by_hand": "1"}, from_page=PATH)
        assert status == 200 and "Saved." in page and 'value="1" checked' in page
        assert (await actor(instance, "lotte")).manually_approves
        assert await _approves_by_hand(instance, "lotte")
        status, _, _ = await lotte.submit(PATH + "/mode", {"by_hand": "maybe"}, from_page=PATH)
        assert status == 400

        async with signed_in(instance, "bert"), signed_in(instance, "carla"):
            pass
        lotte_row = await actor(instance, "lotte")
        for name in ("bert", "carla"):
            await follows.follow(fed, await actor(instance, name), lotte_row.ap_id)
            assert await _state(instance, name, "lotte") == "pending"

        status, page = await lotte.get("/settings")
        assert status == 200 and "2 requests wait for your answer." in page and f'href="{PATH}"' in page
        status, page = await lotte.get("/notifications")
        assert "bert asks to follow you" in page and f'href="{PATH}">Answer the request</a>' in page
        status, page = await lotte.get(PATH)
        assert status == 200 and "Approve bert" in page and "Refuse carla" in page
        assert page.index("Approve bert") < page.index("Approve carla")  # oldest first

        bert, carla = await actor(instance, "bert"), await actor(instance, "carla")
        status, page, _ = await lotte.submit(
            PATH + "/answer", {"follower": bert.ap_id, "decision": "approve"}, from_page=PATH
        )
        assert status == 200 and "Request approved: they follow you now." in page and "Approve bert" not in page
        assert await _state(instance, "bert", "lotte") == "accepted"
        status, page, _ = await lotte.submit(
            PATH + "/answer", {"follower": carla.ap_id, "decision": "refuse"}, from_page=PATH
        )
        assert status == 200 and "Request refused." in page and "No one is waiting for an answer." in page
        assert await _state(instance, "carla", "lotte") is None

        # an answer to a request that no longer waits, an unknown actor, a wrong decision
        status, page, _ = await lotte.submit(
            PATH + "/answer", {"follower": bert.ap_id, "decision": "refuse"}, from_page=PATH
        )
        assert status == 409 and "This request is no longer waiting for an answer." in page
        assert await _state(instance, "bert", "lotte") == "accepted"
        status, _, _ = await lotte.submit(
            PATH + "/answer", {"follower": "https://nowhere.example/x", "decision": "approve"}, from_page=PATH
        )
        assert status == 409
        status, _, _ = await lotte.submit(PATH + "/answer", {"follower": bert.ap_id, "decision": "yes"}, from_page=PATH)
        assert status == 400

        # back to automatic: new follows are accepted at once
        status, page, _ = await lotte.submit(PATH + "/mode", {"by_hand": "0"}, from_page=PATH)
        assert status == 200 and not (await actor(instance, "lotte")).manually_approves
        await follows.follow(fed, carla, lotte_row.ap_id)
        assert await _state(instance, "carla", "lotte") == "accepted"

        lotte.language = "nl"
        status, page = await lotte.get(PATH)
        assert status == 200 and "Volgverzoeken" in page and "Laat ik elke nieuwe volger zelf toe" in page


async def test_another_residents_request_cannot_be_answered_and_the_forms_need_their_token(
    instance: Instance,
) -> None:
    fed = federating(instance)
    async with signed_in(instance, "lotte") as lotte, signed_in(instance, "mallory") as mallory:
        await lotte.submit(PATH + "/mode", {"by_hand": "1"}, from_page=PATH)
        async with signed_in(instance, "bert"):
            pass
        bert = await actor(instance, "bert")
        await follows.follow(fed, bert, (await actor(instance, "lotte")).ap_id)
        # mallory answers bert's request to lotte: only her own requests are hers to answer
        status, _, _ = await mallory.submit(
            PATH + "/answer", {"follower": bert.ap_id, "decision": "approve"}, from_page=PATH
        )
        assert status == 409 and await _state(instance, "bert", "lotte") == "pending"
        # without the CSRF token nothing happens
        async with lotte.session.post(
            instance.url(PATH + "/answer"), data={"follower": bert.ap_id, "decision": "approve"}
        ) as response:
            assert response.status == 403
        assert await _state(instance, "bert", "lotte") == "pending"
        assert await actor_store.count_pending_followers(instance.pool, (await actor(instance, "lotte")).id) == 1
