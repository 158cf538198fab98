"""Follow requests between real instances, answered on the web: a resident of A who
approves followers by hand (chosen on A's follow requests page) gets Follows from B that
wait; approving one on the page sends Accept (the follow is accepted on B as well),
refusing one sends Reject (the follow is gone on both sides). B sees the choice in A's
actor document (`manuallyApprovesFollowers`)."""

from __future__ import annotations

from server.domain import follows
from server.domain.actors import create_local_actor
from server.storage import actors as actor_store
from server.storage import follows as follow_store
from server.storage.actors import ActorRow
from tests.harness import Instance, federating, wait_for
from tests.server.web.test_organiser_pages import actor, signed_in

PATH = "/settings/follow-requests"


async def _state(inst: Instance, follower: ActorRow, followed_ap_id: str) -> str | None:
    found = await actor_store.actor_by_ap_id(inst.pool, followed_ap_id)
    local_follower = await actor_store.actor_by_ap_id(inst.pool, follower.ap_id)
    if found is None or local_follower is None:
        return None
    return await follow_store.follow_state(inst.pool, local_follower.id, found.id)


async def test_follow_requests_from_another_server_are_answered_on_the_page(
    three_instances: tuple[Instance, Instance, Instance],
) -> None:
    a, b, _ = three_instances
    fed_b = federating(b)
    bob = await create_local_actor(b.pool, b.settings, kind="Person", username="bob")
    cor = await create_local_actor(b.pool, b.settings, kind="Person", username="cor")
    async with signed_in(a, "lotte") as lotte:
        status, _, _ = await lotte.submit(PATH + "/mode", {"by_hand": "1"}, from_page=PATH)
        assert status == 200
        lotte_id = (await actor(a, "lotte")).ap_id
        remote_lotte = await fed_b.remote.actor(lotte_id)
        assert remote_lotte is not None and remote_lotte.manually_approves

        await follows.follow(fed_b, bob, lotte_id)
        await follows.follow(fed_b, cor, lotte_id)
        for who in (bob, cor):
            assert await wait_for(lambda who=who: _is(a, who, lotte_id, "pending"))
            assert await _state(b, who, lotte_id) == "pending"

        status, page = await lotte.get(PATH)
        assert status == 200 and "@bob@" in page and "@cor@" in page
        status, page, _ = await lotte.submit(
            PATH + "/answer", {"follower": bob.ap_id, "decision": "approve"}, from_page=PATH
        )
        assert status == 200 and "Request approved" in page
        status, page, _ = await lotte.submit(
            PATH + "/answer", {"follower": cor.ap_id, "decision": "refuse"}, from_page=PATH
        )
        assert status == 200 and "Request refused." in page

        assert await wait_for(lambda: _is(b, bob, lotte_id, "accepted"))
        assert await wait_for(lambda: _is(b, cor, lotte_id, None))
        assert await _state(a, bob, lotte_id) == "accepted"
        assert await _state(a, cor, lotte_id) is None


async def _is(inst: Instance, follower: ActorRow, followed_ap_id: str, state: str | None) -> bool:
    return await _state(inst, follower, followed_ap_id) == state
