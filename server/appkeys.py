"""Typed keys for the state an application holds (`app[POOL]`, `app[SETTINGS]`, …)."""

from __future__ import annotations

from aiohttp import web

from server.config import Settings
from server.storage.pool import Pool

SETTINGS = web.AppKey("settings", Settings)
POOL = web.AppKey("pool", Pool)
DSN = web.AppKey("dsn", str)
