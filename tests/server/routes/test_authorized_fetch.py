"""Authorized fetch: with the setting on, AS2 GETs need a valid HTTP signature (except actor
documents and the instance actor); a blocked domain gets 403 with the setting on or off.

The signing "remote" actor is registered in the database with a locally generated key, as
server.remote caches fetched keys, so no request leaves loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from activitypub import keys
from activitypub.keys import PrivateKey
from activitypub.request_signing import Scheme, sign_request
from server.domain.actors import create_local_actor
from server.storage import actors as actor_store
from server.storage import objects as object_store
from server.storage import policy as policy_store
from server.urls import Urls
from tests.harness import PEER_ADDRESSES, Instance, running_instance

AS2 = "application/activity+json"
REMOTE = "http://remote.example/users/alice"
RSA_KEY_ID = REMOTE + "#main-key"
ED_KEY_ID = REMOTE + "#ed25519-key"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


@pytest.fixture
async def secure(database_server: str, template_database: str, tmp_path: Path) -> AsyncIterator[Instance]:
    async with running_instance(
        database_server, template_database, PEER_ADDRESSES[0], tmp_path, authorized_fetch=True
    ) as inst:
        yield inst


@pytest.fixture(scope="module")
def remote_keys() -> tuple[PrivateKey, PrivateKey]:
    return keys.generate_rsa_key(), keys.generate_ed25519_key()


async def register_remote(instance: Instance, rsa_key: PrivateKey, ed_key: PrivateKey) -> None:
    row = await actor_store.upsert_remote_actor(
        instance.pool,
        {
            "ap_id": REMOTE,
            "kind": "Person",
            "is_local": False,
            "username": "alice",
            "domain": "remote.example",
            "inbox_url": REMOTE + "/inbox",
        },
    )
    await actor_store.replace_keys(
        instance.pool,
        row.id,
        [
            (RSA_KEY_ID, "rsa", keys.public_key_to_pem(rsa_key.public_key())),
            (ED_KEY_ID, "ed25519", keys.public_key_to_pem(ed_key.public_key())),
        ],
    )


async def setup_content(instance: Instance) -> str:
    actor = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oosterpark")
    ap_id = Urls(instance.settings).object("hallo")
    await object_store.insert_object(
        instance.pool,
        {
            "ap_id": ap_id,
            "type": "Note",
            "actor_id": actor.id,
            "attributed_to": actor.ap_id,
            "visibility": "public",
            "is_local": True,
            "content": "<p>Hallo</p>",
            "document": {
                "id": ap_id,
                "type": "Note",
                "attributedTo": actor.ap_id,
                "content": "<p>Hallo</p>",
                "to": [PUBLIC],
            },
        },
    )
    return ap_id


async def signed_get(
    instance: Instance,
    path: str,
    key: PrivateKey,
    key_id: str,
    scheme: Scheme = "cavage",
    signed_path: str | None = None,
) -> int:
    """GET `path` signed with `key`; with `signed_path`, the signature is for another URL
    (a signature replayed against a different resource)."""
    url = instance.url(path)
    headers = sign_request(
        "GET",
        instance.url(signed_path or path),
        {"Accept": AS2},
        None,
        key_id=key_id,
        private_key=key,
        now=datetime.now(UTC),
        scheme=scheme,
    )
    async with instance.session.get(url, headers=headers) as resp:
        return resp.status


async def plain_get(instance: Instance, path: str, accept: str = AS2) -> int:
    async with instance.session.get(instance.url(path), headers={"Accept": accept}) as resp:
        return resp.status


PROTECTED = [
    "/objects/hallo",
    "/actors/oosterpark/outbox",
    "/actors/oosterpark/outbox?page=first",
    "/actors/oosterpark/followers",
    "/actors/oosterpark/featured",
]


@pytest.mark.parametrize("path", PROTECTED)
async def test_unsigned_as2_get_is_401(secure: Instance, path: str) -> None:
    await setup_content(secure)
    assert await plain_get(secure, path) == 401


async def test_collections_need_a_signature_even_without_an_as2_accept(secure: Instance) -> None:
    await setup_content(secure)
    assert await plain_get(secure, "/actors/oosterpark/outbox", accept="*/*") == 401


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
@pytest.mark.parametrize("path", PROTECTED)
async def test_signed_get_passes(
    secure: Instance, remote_keys: tuple[PrivateKey, PrivateKey], path: str, scheme: Scheme
) -> None:
    await setup_content(secure)
    await register_remote(secure, *remote_keys)
    rsa_key, ed_key = remote_keys
    key, key_id = (rsa_key, RSA_KEY_ID) if scheme == "cavage" else (ed_key, ED_KEY_ID)
    assert await signed_get(secure, path, key, key_id, scheme) == 200


@pytest.mark.parametrize("scheme", ["cavage", "rfc9421"])
async def test_bad_signature_is_401(
    secure: Instance, remote_keys: tuple[PrivateKey, PrivateKey], scheme: Scheme
) -> None:
    await setup_content(secure)
    await register_remote(secure, *remote_keys)
    rsa_key, ed_key = remote_keys
    key, key_id = (rsa_key, RSA_KEY_ID) if scheme == "cavage" else (ed_key, ED_KEY_ID)
    assert await signed_get(secure, "/objects/hallo", key, key_id, scheme, signed_path="/actors/oosterpark") == 401
    # signed with a key that is not the one registered under that id
    assert await signed_get(secure, "/objects/hallo", keys.generate_rsa_key(), RSA_KEY_ID) == 401


async def test_our_own_key_does_not_authorise_a_request(secure: Instance) -> None:
    await setup_content(secure)
    keyring_keys = await actor_store.keys_of_actor(
        secure.pool, (await actor_store.local_actor(secure.pool, "oosterpark")).id
    )  # type: ignore[union-attr]
    rsa_row = next(k for k in keyring_keys if k.algorithm == "rsa")
    assert rsa_row.private_pem
    own = keys.load_private_key(rsa_row.private_pem)
    assert await signed_get(secure, "/objects/hallo", own, rsa_row.key_id) == 401


@pytest.mark.parametrize("path", ["/actors/oosterpark", "/actor", "/@oosterpark"])
async def test_actor_documents_stay_public(secure: Instance, path: str) -> None:
    await setup_content(secure)
    assert await plain_get(secure, path) == 200


@pytest.mark.parametrize(
    "path",
    [
        "/objects/hallo",
        "/.well-known/webfinger?resource=acct:oosterpark@{d}",
        "/.well-known/nodeinfo",
        "/nodeinfo/2.1",
    ],
)
async def test_non_as2_reads_stay_public(secure: Instance, path: str) -> None:
    await setup_content(secure)
    assert await plain_get(secure, path.format(d=secure.settings.domain), accept="text/html") == 200


async def test_blocked_domain_is_403_with_authorized_fetch(
    secure: Instance, remote_keys: tuple[PrivateKey, PrivateKey]
) -> None:
    await setup_content(secure)
    await register_remote(secure, *remote_keys)
    await policy_store.block_domain(secure.pool, "remote.example")
    assert await signed_get(secure, "/objects/hallo", remote_keys[0], RSA_KEY_ID) == 403
    assert await signed_get(secure, "/actors/oosterpark", remote_keys[0], RSA_KEY_ID) == 403


async def test_blocked_domain_is_403_without_authorized_fetch(
    instance: Instance, remote_keys: tuple[PrivateKey, PrivateKey]
) -> None:
    assert instance.settings.authorized_fetch is False
    await setup_content(instance)
    await register_remote(instance, *remote_keys)
    assert await signed_get(instance, "/objects/hallo", remote_keys[0], RSA_KEY_ID) == 200
    assert await plain_get(instance, "/objects/hallo") == 200
    await policy_store.block_domain(instance.pool, "remote.example")
    for path in ("/objects/hallo", "/actors/oosterpark", "/actors/oosterpark/outbox"):
        assert await signed_get(instance, path, remote_keys[0], RSA_KEY_ID) == 403
    assert await plain_get(instance, "/objects/hallo") == 200
