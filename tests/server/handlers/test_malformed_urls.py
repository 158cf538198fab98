"""URLs that cannot be parsed (a port out of range, a broken IPv6 literal) where handlers
read ids: through the real inbox and worker, each such activity is refused with a logged
reason (state `ignored`, never retried as a failure), and the sender's next activity is
handled as usual. `same_origin` never raises and never matches an unparsable URL."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from server.domain.actors import create_local_actor
from server.handlers.origins import malformed_id, same_origin
from server.storage import objects as object_store
from tests.harness import Instance, wait_for
from tests.scripted_peer import AS, scripted_peer
from tests.server.test_handlers import PUBLIC, create, note, processed, send

BAD_PORT = "https://127.0.0.3:99999/groups/x"
BROKEN_IPV6 = "https://[::1/users/x"


def test_same_origin_never_raises_and_never_matches_an_unparsable_url() -> None:
    assert same_origin("https://a.example/x", "https://A.example:443/y")
    assert not same_origin("https://a.example/x", "https://b.example/x")
    assert not same_origin(BAD_PORT, BAD_PORT)
    assert not same_origin(BROKEN_IPV6, "https://[::1]/x")
    assert not same_origin("https://a.example/x", None)
    assert not same_origin(None, None)
    assert same_origin("https://a.example/x", "https://a.example/y", "https://a.example/z")
    assert not same_origin("https://a.example/x", "https://a.example/y", BAD_PORT)
    nested = {"id": "https://a.example/1", "object": {"actor": BROKEN_IPV6}}
    assert malformed_id(nested) == ("object.actor", BROKEN_IPV6)
    assert malformed_id({"id": "https://a.example/1", "to": [BAD_PORT], "url": BAD_PORT}) is None


async def _states(inst: Instance) -> dict[str, tuple[str, str | None, int]]:
    rows = await inst.pool.fetch("SELECT activity_id, state, last_error, attempts FROM inbox_items")
    return {r["activity_id"]: (r["state"], r["last_error"], r["attempts"]) for r in rows}


async def test_activities_with_unparsable_urls_are_refused_and_logged(
    instance: Instance, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="server.handlers.origins")
    resident = await create_local_actor(instance.pool, instance.settings, kind="Person", username="rita")
    async with scripted_peer() as peer:
        alice = peer.make_actor("alice")
        group = peer.make_actor("club", kind="Group")
        invite = {  # an Invite into a "group" whose id has a port out of range
            "@context": AS,
            "id": peer.activity_id(),
            "type": "Invite",
            "actor": alice.ap_id,
            "object": BAD_PORT,
            "target": resident.ap_id,
        }
        inner = create(peer, alice, note(peer, alice, "doorgegeven"))
        inner["actor"] = BROKEN_IPV6  # an inner activity whose actor is a broken IPv6 literal
        announce = {
            "@context": AS,
            "id": peer.activity_id(),
            "type": "Announce",
            "actor": group.ap_id,
            "to": [PUBLIC],
            "object": inner,
        }
        remove = {  # a group removing our resident, naming a target with a broken host
            "@context": AS,
            "id": peer.activity_id(),
            "type": "Remove",
            "actor": group.ap_id,
            "object": resident.ap_id,
            "target": "http://[zz]/groups/club/members",
        }
        reply = note(peer, alice, "antwoord")
        reply["inReplyTo"] = BAD_PORT
        bad_reply = create(peer, alice, reply)
        refused: list[dict[str, Any]] = [invite, announce, remove, bad_reply]
        for activity in refused:
            await send(instance, peer, group if activity["actor"] == group.ap_id else alice, activity)
        good = note(peer, alice, "gewoon een bericht")
        await send(instance, peer, alice, create(peer, alice, good))
        await wait_for(lambda: processed(instance, len(refused) + 1))

    states = await _states(instance)
    for activity in refused:
        state, reason, attempts = states[activity["id"]]
        assert state == "ignored" and attempts == 1, (activity["type"], state, reason)
        assert reason is not None and reason.startswith("malformed URL in "), reason
    assert states[invite["id"]][1] == f"malformed URL in object: {BAD_PORT}"
    assert states[announce["id"]][1] == f"malformed URL in object.actor: {BROKEN_IPV6}"
    assert states[bad_reply["id"]][1] == f"malformed URL in object.inReplyTo: {BAD_PORT}"
    stored = await object_store.object_by_ap_id(instance.pool, good["id"])
    assert stored is not None and "gewoon een bericht" in stored.content
    assert await object_store.object_by_ap_id(instance.pool, reply["id"]) is None

    logged = [r for r in caplog.records if r.getMessage() == "activity refused: malformed URL"]
    assert {getattr(r, "activity", None) for r in logged} >= {a["id"] for a in refused}
    assert not [r for r in caplog.records if r.getMessage() == "activity processing failed"]
