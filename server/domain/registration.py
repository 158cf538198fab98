"""The registration mode in force: an admin's choice stored in the database (changed from
the web at run time) or else the configured `registration_mode`."""

from __future__ import annotations

from server.config import REGISTRATION_MODES, Settings
from server.storage import instance_policy
from server.storage import instance_settings as settings_store
from server.storage.account_admin import AccountRow
from server.storage.pool import Pool

SETTING = "registration_mode"


async def registration_mode(pool: Pool, settings: Settings) -> str:
    stored = await settings_store.stored_value(pool, SETTING)
    return stored if stored in REGISTRATION_MODES else settings.registration_mode


async def set_registration_mode(pool: Pool, admin: AccountRow, mode: str) -> None:
    """An instance admin changes the mode; the change is written to the moderation log."""
    if not admin.is_admin:
        raise PermissionError("administrators only")
    if mode not in REGISTRATION_MODES:
        raise ValueError(f"registration mode must be one of {', '.join(REGISTRATION_MODES)}")
    async with pool.acquire() as conn, conn.transaction():
        await settings_store.store_value(conn, SETTING, mode, admin.actor_id)
        await instance_policy.log_action(conn, admin.actor_id, "registration_mode", mode)
