// An independent ActivityPub peer built on Fedify, used by Buurtplein's
// interoperability tests.  Everything is kept in memory; nothing is persisted.
//
// Environment:
//   PEER_HOST   loopback address to listen on (default 127.0.0.5); must be in 127.0.0.0/8
//   PEER_PORT   TCP port (default 0 = pick a free one; the READY line tells which)
//   PEER_LOG    optional Fedify log level written to stderr (debug, info, warning, error)
//   PEER_SIG_DETAILS  "0" to skip the extra per-activity signature breakdown
//   PEER_SIGNED_FETCH "0" to make control-API lookups and shared-inbox key fetches
//                     unsigned (default: GETs are signed with the peer's RSA key)
//
// On startup it prints exactly one line `READY <origin>` to stdout.

import http from "node:http";
import process from "node:process";
import { Buffer } from "node:buffer";
import {
  Accept,
  Activity,
  Announce,
  Create,
  Delete,
  Endpoints,
  Follow,
  Like,
  MemoryKvStore,
  Note,
  Person,
  PUBLIC_COLLECTION,
  Reject,
  Tombstone,
  Undo,
  Update,
  createFederation,
  generateCryptoKeyPair,
  isActor,
  verifyJsonLd,
  verifyObject,
  verifyRequest,
} from "@fedify/fedify";
import { configure, getConsoleSink } from "@logtape/logtape";
import { Temporal } from "@js-temporal/polyfill";

const HOST = process.env.PEER_HOST ?? "127.0.0.5";
const PORT = Number.parseInt(process.env.PEER_PORT ?? "0", 10);
const SIG_DETAILS = process.env.PEER_SIG_DETAILS !== "0";
const SIGNED_FETCH = process.env.PEER_SIGNED_FETCH !== "0";
const IDENTIFIER = "peer";
const MAX_BODY = 5 * 1024 * 1024;
const MAX_RECORDS = 10_000;

if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(HOST)) {
  console.error(`PEER_HOST must be a loopback IPv4 address (127.0.0.0/8), got ${HOST}`);
  process.exit(2);
}
if (!Number.isInteger(PORT) || PORT < 0 || PORT > 65535) {
  console.error(`PEER_PORT must be a TCP port, got ${process.env.PEER_PORT}`);
  process.exit(2);
}

if (process.env.PEER_LOG) {
  await configure({
    sinks: { console: getConsoleSink() },
    loggers: [
      { category: "fedify", lowestLevel: process.env.PEER_LOG, sinks: ["console"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
  // LogTape's console sink uses console.debug/info/... which go to stdout for
  // debug/info; keep stdout clean for the READY line by redirecting them.
  console.debug = console.error;
  console.info = console.error;
  console.log = console.error;
}

// ---------------------------------------------------------------------------
// In-memory state

/** @type {{rsa: CryptoKeyPair, ed25519: CryptoKeyPair}} */
const keys = {
  rsa: await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
  ed25519: await generateCryptoKeyPair("Ed25519"),
};

/** follower actor id -> {id, inboxId, sharedInbox} */
const followers = new Map();
/** target actor id -> {followId, state: "pending"|"accepted"|"rejected"} */
const following = new Map();
/** note uuid -> Note */
const notes = new Map();
/** verified incoming activities, in arrival order */
const received = [];
/** every POST that reached an inbox (verified or not), for debugging */
const inboxLog = [];
/** activity id -> raw JSON as it arrived on the wire (filled by the HTTP adapter) */
const rawById = new Map();

function pushBounded(list, item) {
  list.push(item);
  if (list.length > MAX_RECORDS) list.shift();
}

// ---------------------------------------------------------------------------
// Federation

const federation = createFederation({
  kv: new MemoryKvStore(),
  // no queue: incoming activities are processed and outgoing ones delivered
  // immediately, so control calls return only after delivery.
  allowPrivateAddress: true,
  skipSignatureVerification: false,
  userAgent: { software: "buurtplein-fedify-peer/0.0" },
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (identifier !== IDENTIFIER) return null;
    const pairs = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: "Fedify test peer",
      summary: "An independent ActivityPub peer for interoperability tests.",
      url: ctx.getActorUri(identifier),
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      followers: ctx.getFollowersUri(identifier),
      manuallyApprovesFollowers: false,
      publicKey: pairs[0].cryptographicKey,
      assertionMethods: pairs.map((p) => p.multikey),
    });
  })
  .setKeyPairsDispatcher((_ctx, identifier) => {
    if (identifier !== IDENTIFIER) return [];
    return [keys.rsa, keys.ed25519];
  });

federation
  .setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => {
    if (identifier !== IDENTIFIER) return null;
    return {
      items: [...followers.values()].map((f) => ({
        id: new URL(f.id),
        inboxId: new URL(f.inboxId),
        endpoints: f.sharedInbox == null ? null : { sharedInbox: new URL(f.sharedInbox) },
      })),
    };
  })
  .setCounter((_ctx, identifier) => (identifier === IDENTIFIER ? followers.size : null));

federation.setObjectDispatcher(Note, "/notes/{id}", (_ctx, values) => notes.get(values.id) ?? null);

async function record(ctx, activity, extra = {}) {
  const id = activity.id?.href ?? null;
  const raw = id != null ? rawById.get(id) : undefined;
  const entry = {
    id,
    type: activity.constructor.name,
    actor: activity.actorId?.href ?? null,
    object: activity.objectId?.href ?? null,
    verified: true, // Fedify only calls listeners for verified activities
    receivedAt: new Date().toISOString(),
    activity: raw ?? (await activity.toJsonLd({ format: "compact", contextLoader: ctx.contextLoader })),
    ...extra,
  };
  pushBounded(received, entry);
  return entry;
}

function ourActorUri(ctx) {
  return ctx.getActorUri(IDENTIFIER);
}

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Follow, async (ctx, follow) => {
    await record(ctx, follow);
    if (follow.id == null || follow.actorId == null || follow.objectId == null) return;
    const parsed = ctx.parseUri(follow.objectId);
    if (parsed?.type !== "actor" || parsed.identifier !== IDENTIFIER) return;
    const follower = await follow.getActor(ctx);
    if (follower == null || !isActor(follower) || follower.inboxId == null) return;
    followers.set(follower.id.href, {
      id: follower.id.href,
      inboxId: follower.inboxId.href,
      sharedInbox: follower.endpoints?.sharedInbox?.href ?? null,
    });
    await ctx.sendActivity(
      { identifier: IDENTIFIER },
      follower,
      new Accept({
        id: new URL(`#accepts/${crypto.randomUUID()}`, ourActorUri(ctx)),
        actor: ourActorUri(ctx),
        object: follow,
        to: follower.id,
      }),
    );
  })
  .on(Accept, async (ctx, accept) => {
    await record(ctx, accept);
    markFollowing(ctx, accept, "accepted");
  })
  .on(Reject, async (ctx, reject) => {
    await record(ctx, reject);
    markFollowing(ctx, reject, "rejected");
  })
  .on(Create, async (ctx, create) => {
    await record(ctx, create);
  })
  .on(Update, async (ctx, update) => {
    await record(ctx, update);
  })
  .on(Delete, async (ctx, del) => {
    await record(ctx, del);
  })
  .on(Like, async (ctx, like) => {
    await record(ctx, like);
  })
  .on(Announce, async (ctx, announce) => {
    await record(ctx, announce);
  })
  .on(Undo, async (ctx, undo) => {
    let inner = null;
    try {
      inner = await undo.getObject(ctx);
    } catch {
      inner = null;
    }
    await record(ctx, undo, { undoneType: inner?.constructor?.name ?? null });
    if (inner instanceof Follow && undo.actorId != null) {
      if (inner.actorId != null && inner.actorId.href !== undo.actorId.href) return;
      followers.delete(undo.actorId.href);
    }
  })
  .on(Activity, async (ctx, activity) => {
    // anything else that verified: record it too
    await record(ctx, activity);
  })
  .onError((_ctx, error) => {
    console.error("inbox listener error:", error);
  })
  // Sign the GETs made while handling shared-inbox deliveries (personal-inbox
  // deliveries are always fetched with the recipient's key by Fedify).
  .setSharedKeyDispatcher(() => (SIGNED_FETCH ? { identifier: IDENTIFIER } : null));

function markFollowing(ctx, response, state) {
  if (response.actorId == null) return;
  const entry = following.get(response.actorId.href);
  if (entry == null) return;
  const objId = response.objectId?.href;
  if (objId == null || objId === entry.followId) entry.state = state;
}

// ---------------------------------------------------------------------------
// Signature breakdown (which mechanisms verified), computed after Fedify has
// accepted an activity.  Purely informational.

const detailKeyCache = new Map();
const keyCache = {
  get: async (keyId) => detailKeyCache.get(keyId.href),
  set: async (keyId, key) => {
    detailKeyCache.set(keyId.href, key);
  },
};

async function signatureDetails(request, body, json) {
  const ctx = federation.createContext(new URL(request.url), undefined);
  const documentLoader = SIGNED_FETCH
    ? await ctx.getDocumentLoader({ identifier: IDENTIFIER })
    : ctx.documentLoader;
  const opts = { documentLoader, contextLoader: ctx.contextLoader, keyCache };
  const out = { httpSignature: false, ldSignature: false, objectProof: false };
  try {
    const req = new Request(request.url, { method: "POST", headers: request.headers, body });
    out.httpSignature = (await verifyRequest(req, opts)) != null;
  } catch (e) {
    out.httpSignatureError = String(e);
  }
  if (json != null && typeof json === "object" && "signature" in json) {
    try {
      out.ldSignature = await verifyJsonLd(json, opts);
    } catch (e) {
      out.ldSignatureError = String(e);
    }
  }
  if (json != null && typeof json === "object" && "proof" in json) {
    try {
      const { signature: _sig, ...withoutSig } = json;
      out.objectProof = (await verifyObject(Activity, withoutSig, opts)) != null;
    } catch (e) {
      out.objectProofError = String(e);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Control API

function json(status, data) {
  return new Response(JSON.stringify(data), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

async function readJson(request) {
  const text = await request.text();
  if (text.trim() === "") return {};
  return JSON.parse(text);
}

async function lookupActor(ctx, target) {
  if (typeof target !== "string" || target === "") throw new TypeError("target must be a string");
  const documentLoader = SIGNED_FETCH
    ? await ctx.getDocumentLoader({ identifier: IDENTIFIER })
    : ctx.documentLoader;
  const actor = await ctx.lookupObject(target, { documentLoader });
  if (actor == null || !isActor(actor)) throw new Error(`could not look up actor ${target}`);
  if (actor.inboxId == null) throw new Error(`actor ${target} has no inbox`);
  return actor;
}

async function handleControl(request, path) {
  const ctx = federation.createContext(new URL(request.url), undefined);
  const me = ourActorUri(ctx);
  if (request.method === "GET") {
    switch (path) {
      case "health":
        return json(200, { ok: true, origin, actor: me.href });
      case "received":
        return json(200, received);
      case "followers":
        return json(200, [...followers.keys()]);
      case "following":
        return json(200, [...following.entries()].map(([target, v]) => ({ target, ...v })));
      case "inbox-log":
        return json(200, inboxLog);
      case "notes":
        return json(200, [...notes.values()].map((n) => n.id.href));
      default:
        return json(404, { error: `unknown control endpoint ${path}` });
    }
  }
  if (request.method !== "POST") return json(405, { error: "method not allowed" });
  const body = await readJson(request);
  switch (path) {
    case "follow": {
      const actor = await lookupActor(ctx, body.target);
      const followId = new URL(`#follows/${crypto.randomUUID()}`, me);
      following.set(actor.id.href, { followId: followId.href, state: "pending" });
      await ctx.sendActivity(
        { identifier: IDENTIFIER },
        actor,
        new Follow({ id: followId, actor: me, object: actor.id, to: actor.id }),
      );
      return json(200, { ok: true, id: followId.href, target: actor.id.href });
    }
    case "unfollow": {
      const actor = await lookupActor(ctx, body.target);
      const entry = following.get(actor.id.href);
      const followId = entry?.followId ?? new URL(`#follows/${crypto.randomUUID()}`, me).href;
      const undoId = new URL(`#undos/${crypto.randomUUID()}`, me);
      await ctx.sendActivity(
        { identifier: IDENTIFIER },
        actor,
        new Undo({
          id: undoId,
          actor: me,
          to: actor.id,
          object: new Follow({ id: new URL(followId), actor: me, object: actor.id }),
        }),
      );
      following.delete(actor.id.href);
      return json(200, { ok: true, id: undoId.href });
    }
    case "note": {
      if (typeof body.content !== "string") return json(400, { error: "content must be a string" });
      const extraTo = Array.isArray(body.to) ? body.to.filter((t) => typeof t === "string") : [];
      const recipients = [];
      for (const t of extraTo) {
        if (t === PUBLIC_COLLECTION.href) continue;
        recipients.push(await lookupActor(ctx, t));
      }
      const uuid = crypto.randomUUID();
      const noteId = ctx.getObjectUri(Note, { id: uuid });
      const published = Temporal.Now.instant();
      const tos = [PUBLIC_COLLECTION, ...recipients.map((a) => a.id)];
      const ccs = [ctx.getFollowersUri(IDENTIFIER)];
      const note = new Note({
        id: noteId,
        attribution: me,
        content: body.content,
        inReplyTo: typeof body.inReplyTo === "string" ? new URL(body.inReplyTo) : null,
        published,
        url: noteId,
        tos,
        ccs,
      });
      notes.set(uuid, note);
      const create = new Create({
        id: new URL(`${noteId.href}/activity`),
        actor: me,
        object: note,
        published,
        tos,
        ccs,
      });
      await ctx.sendActivity({ identifier: IDENTIFIER }, "followers", create);
      if (recipients.length > 0) {
        await ctx.sendActivity({ identifier: IDENTIFIER }, recipients, create);
      }
      return json(200, { ok: true, id: noteId.href, activity: create.id.href });
    }
    case "delete": {
      if (typeof body.id !== "string") return json(400, { error: "id must be a string" });
      const parsed = ctx.parseUri(new URL(body.id));
      const uuid = parsed?.type === "object" ? parsed.values.id : null;
      if (uuid == null || !notes.has(uuid)) return json(404, { error: `no such note ${body.id}` });
      const note = notes.get(uuid);
      notes.delete(uuid);
      const del = new Delete({
        id: new URL(`#deletes/${crypto.randomUUID()}`, me),
        actor: me,
        object: new Tombstone({ id: note.id }),
        tos: [PUBLIC_COLLECTION, ...note.toIds.filter((t) => t.href !== PUBLIC_COLLECTION.href)],
        ccs: [ctx.getFollowersUri(IDENTIFIER)],
      });
      await ctx.sendActivity({ identifier: IDENTIFIER }, "followers", del);
      const direct = note.toIds.filter((t) => t.href !== PUBLIC_COLLECTION.href);
      if (direct.length > 0) {
        const actors = [];
        for (const t of direct) actors.push(await lookupActor(ctx, t.href));
        await ctx.sendActivity({ identifier: IDENTIFIER }, actors, del);
      }
      return json(200, { ok: true, id: del.id.href });
    }
    default:
      return json(404, { error: `unknown control endpoint ${path}` });
  }
}

// ---------------------------------------------------------------------------
// node:http <-> Fetch API adapter

async function readBody(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > MAX_BODY) throw new Error("request body too large");
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function toRequest(req, body) {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  const hasBody = req.method !== "GET" && req.method !== "HEAD";
  return new Request(new URL(req.url ?? "/", origin), {
    method: req.method,
    headers,
    body: hasBody ? body : undefined,
  });
}

async function writeResponse(res, response) {
  const headers = {};
  for (const [k, v] of response.headers) headers[k] = v;
  const buf = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, headers);
  res.end(buf);
}

async function handle(req, res) {
  const body = await readBody(req);
  const request = toRequest(req, body);
  const url = new URL(request.url);
  if (url.pathname.startsWith("/_control/")) {
    const path = url.pathname.slice("/_control/".length);
    let response;
    try {
      response = await handleControl(request, path);
    } catch (e) {
      console.error(`control ${path} failed:`, e);
      response = json(502, { error: String(e?.message ?? e) });
    }
    return writeResponse(res, response);
  }

  const isInboxPost = request.method === "POST" && /\/inbox$/.test(url.pathname);
  let parsed = null;
  if (isInboxPost) {
    try {
      parsed = JSON.parse(body.toString("utf8"));
      if (parsed != null && typeof parsed.id === "string") rawById.set(parsed.id, parsed);
    } catch {
      parsed = null;
    }
  }
  const response = await federation.fetch(request, {
    contextData: undefined,
    onNotFound: () => new Response("Not found", { status: 404 }),
    onNotAcceptable: () => new Response("Not acceptable", { status: 406 }),
  });
  if (isInboxPost) {
    const logEntry = {
      path: url.pathname,
      status: response.status,
      headers: Object.fromEntries(request.headers),
      body: parsed ?? body.toString("utf8"),
      receivedAt: new Date().toISOString(),
    };
    if (response.status >= 400) {
      logEntry.error = await response.clone().text();
    }
    pushBounded(inboxLog, logEntry);
    if (parsed != null && typeof parsed.id === "string") {
      rawById.delete(parsed.id);
      if (response.ok && SIG_DETAILS) {
        const details = await signatureDetails(request, body, parsed);
        logEntry.signatures = details;
        for (const r of received) if (r.id === parsed.id) r.signatures = details;
      }
    }
  }
  return writeResponse(res, response);
}

let origin = `http://${HOST}:${PORT}`;
const server = http.createServer((req, res) => {
  handle(req, res).catch((e) => {
    console.error("request failed:", e);
    if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/plain" });
    res.end("Internal server error");
  });
});
server.keepAliveTimeout = 1000;

function shutdown() {
  // Nothing is persisted, so there is nothing to flush: stop listening and exit now.
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on("SIGTERM", shutdown);
process.on("SIGINT", shutdown);

server.listen(PORT, HOST, () => {
  const addr = server.address();
  origin = `http://${HOST}:${addr.port}`;
  process.stdout.write(`READY ${origin}\n`);
});
