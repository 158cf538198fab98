"""A scripted remote server for negative tests: it serves actor documents and objects we
define, records every request, and signs the requests it sends with its own keys."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp import web

from activitypub import keys
from activitypub.request_signing import sign_request
from tests.harness import free_port

AS = "https://www.w3.org/ns/activitystreams"


@dataclass
class PeerActor:
    ap_id: str
    key_id: str
    private_key: keys.PrivateKey
    document: dict[str, Any]
    ed25519: keys.ed25519.Ed25519PrivateKey | None = None

    @property
    def ed25519_key_id(self) -> str:
        return self.ap_id + "#ed25519-key"


@dataclass
class ScriptedPeer:
    base: str
    documents: dict[str, tuple[int, str, bytes, dict[str, str]]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)

    def serve(
        self,
        path: str,
        document: dict[str, Any] | bytes,
        *,
        status: int = 200,
        content_type: str = "application/activity+json",
        headers: dict[str, str] | None = None,
    ) -> str:
        body = document if isinstance(document, bytes) else orjson.dumps(document)
        self.documents[path] = (status, content_type, body, headers or {})
        return self.base + path

    def make_actor(self, name: str, *, list_key: bool = True, kind: str = "Person") -> PeerActor:
        ap_id = f"{self.base}/users/{name}"
        key = keys.generate_rsa_key()
        key_id = ap_id + "#main-key"
        doc: dict[str, Any] = {
            "@context": [AS, "https://w3id.org/security/v1"],
            "id": ap_id,
            "type": kind,
            "preferredUsername": name,
            "inbox": ap_id + "/inbox",
            "outbox": ap_id + "/outbox",
            "followers": ap_id + "/followers",
        }
        ed_key = keys.generate_ed25519_key()
        if list_key:
            doc["publicKey"] = {
                "id": key_id,
                "owner": ap_id,
                "publicKeyPem": keys.public_key_to_pem(key.public_key()),
            }
            doc["assertionMethod"] = [
                {
                    "id": ap_id + "#ed25519-key",
                    "type": "Multikey",
                    "controller": ap_id,
                    "publicKeyMultibase": keys.ed25519_public_to_multibase(ed_key.public_key()),
                }
            ]
        self.serve(f"/users/{name}", doc)
        return PeerActor(ap_id, key_id, key, doc, ed_key)

    def activity_id(self) -> str:
        return f"{self.base}/activities/{uuid.uuid4().hex}"

    def signed_headers(
        self,
        actor: PeerActor,
        url: str,
        body: bytes,
        *,
        now: datetime | None = None,
        scheme: str = "cavage",
    ) -> dict[str, str]:
        return sign_request(
            "POST",
            url,
            {"Content-Type": "application/activity+json"},
            body,
            key_id=actor.key_id,
            private_key=actor.private_key,
            now=now or datetime.now(UTC),
            scheme=scheme,
        )  # type: ignore[arg-type]

    def gets(self, path: str) -> int:
        return sum(1 for method, p in self.requests if method == "GET" and p == path)


@asynccontextmanager
async def scripted_peer(address: str = "127.0.0.3") -> AsyncIterator[ScriptedPeer]:
    port = free_port(address)
    peer = ScriptedPeer(base=f"http://{address}:{port}")

    async def handle(request: web.Request) -> web.StreamResponse:
        peer.requests.append((request.method, request.path))
        if request.method == "POST":
            peer.received.append(orjson.loads(await request.read()))
            return web.Response(status=202)
        found = peer.documents.get(request.path)
        if found is None:
            return web.Response(status=404)
        status, content_type, body, headers = found
        return web.Response(status=status, body=body, headers={"Content-Type": content_type, **headers})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, address, port)
    await site.start()
    try:
        yield peer
    finally:
        await runner.cleanup()
