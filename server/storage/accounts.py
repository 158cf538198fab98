"""SQL for local accounts and neighbourhood settings."""

from __future__ import annotations

from server.storage.actors import Db


async def insert_account(db: Db, actor_id: int, email: str | None, password_hash: str, is_admin: bool) -> None:
    await db.execute(
        "INSERT INTO accounts (actor_id, email, password_hash, is_admin) VALUES ($1, $2, $3, $4)",
        actor_id,
        email,
        password_hash,
        is_admin,
    )


async def insert_neighbourhood(db: Db, actor_id: int, area_name: str = "") -> None:
    await db.execute("INSERT INTO neighbourhoods (actor_id, area_name) VALUES ($1, $2)", actor_id, area_name)


async def count_accounts(db: Db) -> int:
    return int(await db.fetchval("SELECT count(*) FROM accounts"))
