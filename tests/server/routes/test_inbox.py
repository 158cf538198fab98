"""The inbox through real HTTP: security cases first. Every refused request leaves nothing
behind; every SSRF attempt leaves the canary on 127.0.0.1 untouched."""

from __future__ import annotations

import base64
import gzip
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from server.domain.actors import create_local_actor
from server.storage import inbox as inbox_store
from server.storage import policy as policy_store
from tests.harness import Canary, Instance
from tests.scripted_peer import AS, PeerActor, ScriptedPeer, scripted_peer


def note_create(peer: ScriptedPeer, actor: PeerActor, **changes: Any) -> dict[str, Any]:
    note_id = f"{peer.base}/notes/{peer.activity_id().rsplit('/', 1)[1]}"
    activity = {
        "@context": AS,
        "id": peer.activity_id(),
        "type": "Create",
        "actor": actor.ap_id,
        "to": [f"{AS}#Public"],
        "object": {
            "id": note_id,
            "type": "Note",
            "attributedTo": actor.ap_id,
            "content": "hallo",
            "to": [f"{AS}#Public"],
        },
    }
    activity.update(changes)
    return activity


async def post(inst: Instance, path: str, body: bytes, headers: dict[str, str]) -> int:
    async with inst.session.post(inst.url(path), data=body, headers=headers) as resp:
        return resp.status


async def stored(inst: Instance) -> int:
    return sum((await inbox_store.count_by_state(inst.pool)).values())


async def test_signed_activity_is_committed_then_answered_202(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        body = orjson.dumps(note_create(peer, actor))
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 202
        assert await stored(instance) == 1
        # the same activity again: 202, still one row (deduplicated on its id)
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 202
        assert await stored(instance) == 1


async def test_rfc9421_signature_is_accepted(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        body = orjson.dumps(note_create(peer, actor))
        headers = peer.signed_headers(actor, instance.url("/inbox"), body, scheme="rfc9421")
        assert "Signature-Input" in headers
        assert await post(instance, "/inbox", body, headers) == 202
        assert await stored(instance) == 1


async def test_unsigned_post_is_refused_401(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        body = orjson.dumps(note_create(peer, actor))
        assert await post(instance, "/inbox", body, {"Content-Type": "application/activity+json"}) == 401
        assert await stored(instance) == 0
        assert peer.requests == []  # an unsigned request costs no fetch


async def test_signer_must_be_the_actor(instance: Instance) -> None:
    async with scripted_peer() as peer:
        alice, mallory = peer.make_actor("alice"), peer.make_actor("mallory")
        body = orjson.dumps(note_create(peer, alice))
        assert await post(instance, "/inbox", body, peer.signed_headers(mallory, instance.url("/inbox"), body)) == 401
        assert await stored(instance) == 0


async def test_body_changed_after_signing_is_refused(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        body = orjson.dumps(note_create(peer, actor))
        headers = peer.signed_headers(actor, instance.url("/inbox"), body)
        tampered = body.replace(b"hallo", b"HALLO")
        assert await post(instance, "/inbox", tampered, headers) == 401
        assert await stored(instance) == 0


async def test_digest_not_covered_by_the_signature_is_refused(instance: Instance) -> None:
    from activitypub.request_signing import sign_request

    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        body = orjson.dumps(note_create(peer, actor))
        # sign as for a GET (no digest in the signed headers), then add a Digest header
        headers = sign_request(
            "GET",
            instance.url("/inbox"),
            {},
            None,
            key_id=actor.key_id,
            private_key=actor.private_key,
            now=datetime.now(UTC),
        )
        headers["Digest"] = "SHA-256=" + base64.b64encode(__import__("hashlib").sha256(body).digest()).decode()
        headers["Content-Type"] = "application/activity+json"
        assert await post(instance, "/inbox", body, headers) == 401
        assert await stored(instance) == 0


async def test_dates_outside_the_window_are_refused(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        for shift in (timedelta(hours=-2), timedelta(hours=2)):
            body = orjson.dumps(note_create(peer, actor))
            headers = peer.signed_headers(actor, instance.url("/inbox"), body, now=datetime.now(UTC) + shift)
            assert await post(instance, "/inbox", body, headers) == 401
        assert await stored(instance) == 0


async def test_signature_replayed_to_another_inbox_is_refused(instance: Instance) -> None:
    await create_local_actor(instance.pool, instance.settings, kind="Group", username="oosterpark")
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        body = orjson.dumps(note_create(peer, actor))
        headers = peer.signed_headers(actor, instance.url("/inbox"), body)
        assert await post(instance, "/actors/oosterpark/inbox", body, headers) == 401
        assert await stored(instance) == 0


async def test_key_whose_owner_does_not_list_it_is_refused(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice", list_key=False)
        # a key document that claims alice as owner, but alice's actor does not list it
        from activitypub import keys

        peer.serve(
            "/keys/alice",
            {
                "id": actor.key_id.replace("/users/alice#main-key", "/keys/alice"),
                "owner": actor.ap_id,
                "publicKeyPem": keys.public_key_to_pem(actor.private_key.public_key()),
            },
        )
        actor.key_id = f"{peer.base}/keys/alice"
        body = orjson.dumps(note_create(peer, actor))
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 401
        assert await stored(instance) == 0


async def test_activity_id_on_another_origin_is_refused(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        body = orjson.dumps(note_create(peer, actor, id="http://127.0.0.5:1/activities/x"))
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 403
        bad_object = note_create(peer, actor)
        bad_object["object"]["id"] = "http://127.0.0.5:1/notes/x"
        body = orjson.dumps(bad_object)
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 403
        assert await stored(instance) == 0


async def test_activity_claiming_our_own_host_is_refused(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        body = orjson.dumps(note_create(peer, actor, id=instance.url("/activities/forged")))
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 403
        assert await stored(instance) == 0


async def test_blocked_domain_gets_202_and_is_dropped(instance: Instance) -> None:
    await policy_store.block_domain(instance.pool, "127.0.0.3")
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        body = orjson.dumps(note_create(peer, actor))
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 202
        assert await stored(instance) == 0
        assert peer.requests == []


async def test_unknown_actor_deleting_itself_costs_no_fetch(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        delete = {
            "@context": AS,
            "id": peer.activity_id(),
            "type": "Delete",
            "actor": actor.ap_id,
            "object": actor.ap_id,
        }
        body = orjson.dumps(delete)
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 202
        assert peer.requests == []
        assert await stored(instance) == 0


async def test_hmac_signature_keyed_with_the_public_key_is_refused(instance: Instance) -> None:
    from activitypub import keys

    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        body = orjson.dumps(note_create(peer, actor))
        headers = peer.signed_headers(actor, instance.url("/inbox"), body)
        pem = keys.public_key_to_pem(actor.private_key.public_key()).encode()
        signed = (
            f"(request-target): post /inbox\nhost: {headers['Host']}\n"
            f"date: {headers['Date']}\ndigest: {headers['Digest']}"
        )
        mac = base64.b64encode(hmac.new(pem, signed.encode(), "sha256").digest()).decode()
        headers["Signature"] = (
            f'keyId="{actor.key_id}",algorithm="hmac-sha256",'
            f'headers="(request-target) host date digest",signature="{mac}"'
        )
        assert await post(instance, "/inbox", body, headers) == 401
        assert await stored(instance) == 0


async def test_oversized_and_deeply_nested_bodies_are_refused(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        big = note_create(peer, actor)
        big["object"]["content"] = "x" * (300 * 1024)
        body = orjson.dumps(big)
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 413

        async def chunks() -> Any:
            for _ in range(40):
                yield b" " * 10_000

        async with instance.session.post(
            instance.url("/inbox"),
            data=chunks(),
            headers={"Content-Type": "application/activity+json"},
        ) as resp:
            assert resp.status == 413  # chunked, no Content-Length: capped while reading
        deep: Any = "x"
        for _ in range(40):
            deep = [deep]
        nested = note_create(peer, actor, tag=deep)
        body = orjson.dumps(nested)
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 400
        body = b"{not json"
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 400
        assert await stored(instance) == 0


async def test_compressed_body_is_refused(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        body = gzip.compress(orjson.dumps(note_create(peer, actor)))
        headers = peer.signed_headers(actor, instance.url("/inbox"), body)
        headers["Content-Encoding"] = "gzip"
        assert await post(instance, "/inbox", body, headers) == 415
        assert await stored(instance) == 0


async def test_wrong_content_type_is_refused(instance: Instance) -> None:
    assert await post(instance, "/inbox", b"<html>", {"Content-Type": "text/html"}) == 415


async def test_key_fetch_redirecting_to_loopback_never_connects(instance: Instance, canary: Canary) -> None:
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        peer.serve(
            "/users/alice",
            b"",
            status=302,
            headers={"Location": f"http://127.0.0.1:{canary.port}/users/alice"},
        )
        body = orjson.dumps(note_create(peer, actor))
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 401
        assert canary.connections == 0
        assert await stored(instance) == 0


async def test_key_on_loopback_canary_is_never_fetched(instance: Instance, canary: Canary) -> None:
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        actor.key_id = f"http://127.0.0.1:{canary.port}/users/alice#main-key"
        body = orjson.dumps(note_create(peer, actor))
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 401
        assert canary.connections == 0


async def test_fetched_actor_with_foreign_id_or_html_is_refused(instance: Instance) -> None:
    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        forged = dict(actor.document, id="http://127.0.0.5:1/users/alice")
        peer.serve("/users/alice", forged)
        body = orjson.dumps(note_create(peer, actor))
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 401
        peer.serve("/users/alice", orjson.dumps(actor.document), content_type="text/html")
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 401
        assert await stored(instance) == 0


async def test_forged_key_is_refetched_at_most_once_per_interval(instance: Instance) -> None:
    from activitypub import keys

    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        good = orjson.dumps(note_create(peer, actor))
        assert await post(instance, "/inbox", good, peer.signed_headers(actor, instance.url("/inbox"), good)) == 202
        impostor = PeerActor(actor.ap_id, actor.key_id, keys.generate_rsa_key(), actor.document)
        for _ in range(5):
            body = orjson.dumps(note_create(peer, actor))
            assert (
                await post(
                    instance,
                    "/inbox",
                    body,
                    peer.signed_headers(impostor, instance.url("/inbox"), body),
                )
                == 401
            )
        assert peer.gets("/users/alice") == 1  # the first fetch only; the key is young
        assert await stored(instance) == 1


async def test_valid_proof_is_accepted_and_tampered_proof_refused(instance: Instance) -> None:
    from activitypub.proofs import sign_object

    async with scripted_peer() as peer:
        actor = peer.make_actor("alice")
        assert actor.ed25519 is not None
        activity = note_create(peer, actor)
        activity["@context"] = [AS, "https://w3id.org/security/data-integrity/v1"]
        signed = sign_object(
            activity,
            actor.ed25519,
            verification_method=actor.ed25519_key_id,
            created=datetime.now(UTC).replace(microsecond=0),
        )
        body = orjson.dumps(signed)
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 202
        tampered = dict(signed, id=peer.activity_id())  # a new id, the old proof
        body = orjson.dumps(tampered)
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 401
        other = peer.make_actor("mallory")
        assert other.ed25519 is not None
        foreign = sign_object(
            note_create(peer, actor),
            other.ed25519,
            verification_method=other.ed25519_key_id,
            created=datetime.now(UTC).replace(microsecond=0),
        )
        body = orjson.dumps(foreign)
        assert await post(instance, "/inbox", body, peer.signed_headers(actor, instance.url("/inbox"), body)) == 401
        assert await stored(instance) == 1
