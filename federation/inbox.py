"""receive(request) → Accepted | Ignored | Rejected: the verified inbox.

Order (cheap checks first, nothing stored before it is verified):
parse under depth limits → envelope → own-host claim → policy → signature (key from
cache, refetched once on failure) → authorise → dedupe and commit → Accepted (202).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from activitypub.jsonparse import JsonError, parse_json_object
from activitypub.proofs import proof_verification_method, verify_object
from activitypub.request_signing import HttpRequestParts, signature_key_id, verify_request
from federation.authorise import (
    Refusal,
    activity_type,
    check_envelope,
    check_origins,
    origin,
    reduce_foreign_objects,
    value_id,
)
from federation.ports import FastIngest, InboxPolicy, InboxStore, KeyResolver

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Accepted:
    activity_id: str
    duplicate: bool = False


@dataclass(frozen=True)
class Ignored:
    reason: str


@dataclass(frozen=True)
class Rejected:
    status: int
    reason: str


Outcome = Accepted | Ignored | Rejected


@dataclass(frozen=True)
class InboxLimits:
    max_depth: int = 32
    max_skew: timedelta = timedelta(hours=1)


@dataclass(frozen=True)
class InboxContext:
    local_origin: str
    keys: KeyResolver
    store: InboxStore
    policy: InboxPolicy
    limits: InboxLimits = InboxLimits()
    fast: FastIngest | None = None


async def receive(
    parts: HttpRequestParts, ctx: InboxContext, *, now: datetime, recipient: str | None = None
) -> Outcome:
    try:
        activity = parse_json_object(parts.body, max_depth=ctx.limits.max_depth)
    except JsonError as exc:
        return Rejected(400, str(exc))
    envelope = check_envelope(activity)
    if isinstance(envelope, Refusal):
        return Rejected(envelope.status, envelope.reason)
    actor = envelope
    if origin(actor) == ctx.local_origin or origin(activity["id"]) == ctx.local_origin:
        return Rejected(403, "activity claims to come from this server")
    if ctx.fast is not None:
        outcome = await _receive_remembered(parts, ctx, ctx.fast, activity, actor, now, recipient)
        if outcome is not None:
            return outcome
    if await ctx.policy.is_blocked(actor):
        return Ignored("blocked")
    if _is_self_delete(activity, actor) and not await ctx.policy.is_known_actor(actor):
        return Ignored("unknown actor deleted itself")
    found = signature_key_id(parts)
    if found is None:
        return Rejected(401, "missing or unreadable signature")
    key_id, _scheme = found
    owner_or_refusal = await _verify(parts, ctx, key_id, now)
    if isinstance(owner_or_refusal, Rejected):
        return owner_or_refusal
    refusal = check_origins(activity, actor, owner_or_refusal)
    if refusal is not None:
        return Rejected(refusal.status, refusal.reason)
    proof_refusal = await _check_proof(activity, actor, ctx)
    if proof_refusal is not None:
        return proof_refusal
    stored = reduce_foreign_objects(activity, actor)
    is_new = await ctx.store.store(activity["id"], actor, stored, recipient)
    return Accepted(activity["id"], duplicate=not is_new)


async def _receive_remembered(
    parts: HttpRequestParts,
    ctx: InboxContext,
    fast: FastIngest,
    activity: dict[str, Any],
    actor: str,
    now: datetime,
    recipient: str | None,
) -> Outcome | None:
    """The hot path: a signed activity without a proof whose key is in memory, checked
    against the policy in the statement that stores it. None when anything needs the full
    path (an unknown key, a failed verification that a refetch might cure, a proof, a
    self-delete), which then checks the policy first, as always."""
    found = signature_key_id(parts)
    if found is None or _is_self_delete(activity, actor) or "proof" in activity:
        return None
    key = fast.remembered_key(found[0])
    if key is None:
        return None
    result = verify_request(parts, key.public_key, now=now, max_skew=ctx.limits.max_skew)
    if not result.ok:
        return None
    refusal = check_origins(activity, actor, key.owner)
    if refusal is not None:
        return Rejected(refusal.status, refusal.reason)
    stored = reduce_foreign_objects(activity, actor)
    is_new = await fast.store_unless_refused(activity["id"], actor, stored, recipient)
    if is_new is None:
        return Ignored("blocked")
    return Accepted(activity["id"], duplicate=not is_new)


async def _verify(parts: HttpRequestParts, ctx: InboxContext, key_id: str, now: datetime) -> str | Rejected:
    """Verify with the cached key; on failure refetch it once (key rotation) and retry."""
    resolved = await ctx.keys.resolve(key_id)
    if resolved is None:
        return Rejected(401, "signing key could not be found")
    result = verify_request(parts, resolved.public_key, now=now, max_skew=ctx.limits.max_skew)
    if not result.ok and _worth_refetch(result.reason):
        fresh = await ctx.keys.resolve(key_id, refresh=True)
        if fresh is not None and fresh.public_key is not resolved.public_key:
            resolved = fresh
            result = verify_request(parts, fresh.public_key, now=now, max_skew=ctx.limits.max_skew)
    if not result.ok:
        log.info("inbox signature refused", extra={"key_id": key_id, "reason": result.reason})
        return Rejected(401, f"signature refused: {result.reason}")
    return resolved.owner


_KEY_MISMATCH = frozenset({"bad signature", "algorithm does not match key", "unsupported key type"})


async def _check_proof(activity: dict[str, Any], actor: str, ctx: InboxContext) -> Rejected | None:
    """An FEP-8b32 proof, when present, must verify with a key of the actor itself: a proof
    that fails is evidence of tampering, even under a valid HTTP signature."""
    method = proof_verification_method(activity)
    if method is None:
        return None
    resolved = await ctx.keys.resolve(method)
    if resolved is None or resolved.owner != actor or not isinstance(resolved.public_key, Ed25519PublicKey):
        return Rejected(401, "proof key is not one of the actor's keys")
    result = verify_object(activity, resolved.public_key)
    if not result.ok:
        return Rejected(401, f"proof refused: {result.reason}")
    return None


def _worth_refetch(reason: str) -> bool:
    """Only a key mismatch can be cured by a new key, not a stale date or a bad digest."""
    return reason in _KEY_MISMATCH


def _is_self_delete(activity: dict[str, Any], actor: str) -> bool:
    return activity_type(activity) == "Delete" and value_id(activity.get("object")) == actor
