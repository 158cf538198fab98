"""Smoke tests for the Fedify interoperability peer itself (no Buurtplein involved).

They prove that the peer starts, serves WebFinger and its actor, and that its control
API, HTTP signatures and inbox verification work end to end between two peers.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.peers.fedify_peer import FedifyPeer

pytestmark = pytest.mark.skipif(
    not FedifyPeer.is_available(),
    reason=FedifyPeer.unavailable_reason() or "",
)

AP_ACCEPT = "application/activity+json"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        yield session


async def get_json(session: aiohttp.ClientSession, url: str, accept: str = AP_ACCEPT) -> tuple[int, str, Any]:
    async with session.get(url, headers={"Accept": accept}) as resp:
        body = await resp.json(content_type=None) if resp.status == 200 else await resp.text()
        return resp.status, resp.headers.get("Content-Type", ""), body


async def test_peer_serves_webfinger_and_actor(http: aiohttp.ClientSession) -> None:
    async with FedifyPeer(host="127.0.0.5") as peer:
        assert peer.origin.startswith("http://127.0.0.5:")
        assert (await peer.health())["ok"] is True

        # WebFinger: the acct: domain is HOST:PORT (Fedify compares it to the request's host).
        status, ctype, jrd = await get_json(http, peer.webfinger_url, "application/jrd+json")
        assert status == 200, jrd
        assert "json" in ctype
        assert jrd["subject"] == f"acct:peer@127.0.0.5:{peer.port}"
        self_links = [link for link in jrd["links"] if link.get("rel") == "self"]
        assert self_links == [{"rel": "self", "href": peer.actor_url, "type": "application/activity+json"}]

        # Unknown account -> 404.
        async with http.get(f"{peer.origin}/.well-known/webfinger?resource=acct:nobody@{peer.authority}") as resp:
            assert resp.status == 404

        status, ctype, actor = await get_json(http, peer.actor_url)
        assert status == 200, actor
        assert ctype.startswith("application/activity+json")
        assert actor["id"] == peer.actor_url
        assert actor["type"] == "Person"
        assert actor["preferredUsername"] == "peer"
        assert actor["inbox"] == peer.inbox_url
        assert actor["endpoints"]["sharedInbox"] == peer.shared_inbox_url
        assert actor["followers"] == peer.followers_url

        key = actor["publicKey"]
        assert key["owner"] == peer.actor_url
        assert key["publicKeyPem"].startswith("-----BEGIN PUBLIC KEY-----")

        methods = actor["assertionMethod"]
        assert isinstance(methods, list) and len(methods) == 2
        assert all(m["type"] == "Multikey" and m["controller"] == peer.actor_url for m in methods)
        # Ed25519 multikeys are multibase base58btc with the 0xed01 prefix: "z6Mk..."
        assert any(m["publicKeyMultibase"].startswith("z6Mk") for m in methods)

        status, _, followers = await get_json(http, peer.followers_url)
        assert status == 200, followers
        assert followers["type"] == "OrderedCollection"
        assert followers["totalItems"] == 0


async def test_two_peers_follow_and_deliver_signed_note(http: aiohttp.ClientSession) -> None:
    async with FedifyPeer(host="127.0.0.5") as alice, FedifyPeer(host="127.0.0.6") as bob:
        # alice follows bob; bob accepts automatically.
        follow = await alice.follow(bob.actor_url)
        assert follow["target"] == bob.actor_url

        got_follow = await bob.wait_for(lambda a: a["type"] == "Follow")
        assert got_follow["actor"] == alice.actor_url
        assert got_follow["verified"] is True
        assert await bob.followers() == [alice.actor_url]

        accept = await alice.wait_for(lambda a: a["type"] == "Accept")
        assert accept["actor"] == bob.actor_url
        assert (await alice.following())[0]["state"] == "accepted"

        # bob posts; the Create reaches alice (a follower) and verifies there.
        note_id = await bob.post_note("<p>Hallo buurt!</p>")
        assert note_id.startswith(f"{bob.origin}/notes/")
        create = await alice.wait_for(lambda a: a["type"] == "Create")
        assert create["verified"] is True
        assert create["actor"] == bob.actor_url
        assert create["object"] == note_id
        raw = create["activity"]
        assert raw["object"]["content"] == "<p>Hallo buurt!</p>"
        # NB: Fedify compacts the public collection to "as:Public" (a bare string when it
        # is the only value), as JSON-LD compaction allows; receivers must accept all forms.
        to = raw["to"] if isinstance(raw["to"], list) else [raw["to"]]
        assert {"as:Public", "https://www.w3.org/ns/activitystreams#Public"} & set(to)
        # Fedify signs three ways: draft-cavage HTTP signature (rsa-sha256), a Linked Data
        # signature (RsaSignature2017) and a FEP-8b32 proof (eddsa-jcs-2022).
        assert raw["signature"]["type"] == "RsaSignature2017"
        assert raw["proof"]["cryptosuite"] == "eddsa-jcs-2022"
        assert create["signatures"] == {
            "httpSignature": True,
            "ldSignature": True,
            "objectProof": True,
        }
        log = [e for e in await alice.inbox_log() if e["body"].get("id") == raw["id"]]
        assert log and log[0]["status"] == 202
        sig_header = log[0]["headers"]["signature"]
        assert 'algorithm="rsa-sha256"' in sig_header
        assert log[0]["headers"]["digest"].startswith("SHA-256=")

        # The note is dereferenceable at its id.
        status, _, note = await get_json(http, note_id)
        assert status == 200, note
        assert note["type"] == "Note" and note["attributedTo"] == bob.actor_url

        # Delete -> Tombstone to followers; the note is gone.
        await bob.delete(note_id)
        deleted = await alice.wait_for(lambda a: a["type"] == "Delete")
        assert deleted["object"] == note_id
        status, _, _ = await get_json(http, note_id)
        assert status in (404, 410)

        # Unfollow -> Undo(Follow); bob drops the follower.
        await alice.unfollow(bob.actor_url)
        undo = await bob.wait_for(lambda a: a["type"] == "Undo")
        assert undo["undoneType"] == "Follow"
        assert await bob.followers() == []


async def test_unsigned_post_is_rejected(http: aiohttp.ClientSession) -> None:
    async with FedifyPeer(host="127.0.0.5") as peer:
        activity = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": "http://127.0.0.9:1/activities/1",
            "type": "Like",
            "actor": "http://127.0.0.9:1/users/mallory",
            "object": peer.actor_url,
        }
        async with http.post(
            peer.inbox_url,
            json=activity,
            headers={"Content-Type": "application/activity+json"},
        ) as resp:
            assert resp.status == 401, await resp.text()
        assert await peer.received() == []
        log = await peer.inbox_log()
        assert log[-1]["status"] == 401
