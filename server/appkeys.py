"""Typed keys for the state an application holds (`app[POOL]`, `app[SETTINGS]`, …)."""

from __future__ import annotations

from aiohttp import web

from federation.http import HttpClient
from server.config import Settings
from server.keyring import KeyRing
from server.metrics import Metrics
from server.remote import RemoteActors
from server.storage.actors import ActorRow
from server.storage.pool import Pool

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", Pool)
DSN = web.AppKey("dsn", str)
HTTP = web.AppKey("http", HttpClient)
KEYRING = web.AppKey("keyring", KeyRing)
REMOTE = web.AppKey("remote", RemoteActors)
METRICS = web.AppKey("metrics", Metrics)
INSTANCE_ACTOR = web.AppKey("instance_actor", ActorRow)
