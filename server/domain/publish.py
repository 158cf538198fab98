"""Publishing an activity: sign its FEP-8b32 proof and queue one delivery per inbox, in the
caller's transaction (the local change and its deliveries commit together). Inboxes on a
suspended domain (or, in allowlist-only mode, on a domain not allowed) get no delivery."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519

from activitypub.proofs import sign_object
from federation.outbox import delivery_targets, wire_form
from server.config import Settings
from server.keyring import KeyRing
from server.storage import deliveries as delivery_store
from server.storage import follows as follow_store
from server.storage.actors import ActorRow
from server.storage.pool import Connection
from server.urls import Urls


def new_activity_id(settings: Settings) -> str:
    return Urls(settings).activity(uuid.uuid4().hex)


AS_CONTEXT = "https://www.w3.org/ns/activitystreams"
DATA_INTEGRITY_CONTEXT = "https://w3id.org/security/data-integrity/v1"


def with_proof_context(activity: dict[str, Any]) -> dict[str, Any]:
    """The activity with the Data Integrity context, so that `proof` is a defined term
    (receivers that process JSON-LD drop undefined terms, and the proof with them)."""
    context = activity.get("@context", AS_CONTEXT)
    contexts = list(context) if isinstance(context, list) else [context]
    if DATA_INTEGRITY_CONTEXT in contexts:
        return activity
    return {**activity, "@context": [*contexts, DATA_INTEGRITY_CONTEXT]}


async def publish(
    conn: Connection,
    settings: Settings,
    keyring: KeyRing,
    actor: ActorRow,
    activity: dict[str, Any],
    *,
    inboxes: Iterable[str] = (),
    to_followers: bool = False,
) -> dict[str, Any]:
    """Queue `activity` (sent by our `actor`) for `inboxes` and, optionally, the actor's
    followers. Returns the signed document as stored."""
    signing = await keyring.for_actor(actor.id)
    document = with_proof_context(wire_form(activity))
    if isinstance(signing.ed25519, ed25519.Ed25519PrivateKey) and signing.ed25519_key_id:
        document = sign_object(
            document,
            signing.ed25519,
            verification_method=signing.ed25519_key_id,
            created=datetime.now(UTC).replace(microsecond=0),
        )
    targets = list(inboxes)
    if to_followers:
        targets += await follow_store.follower_inboxes(conn, actor.id)
    await delivery_store.insert_activity(
        conn,
        document["id"],
        actor.id,
        document,
        delivery_targets(targets, settings.base_url),
        allowlist_only=settings.federation_allowlist_only,
    )
    return document
