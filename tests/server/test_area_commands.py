"""`create-user --organisation` and `follow-area`, run as real processes against a real
database: an organisation follows the public neighbourhoods of an area; residents,
malformed areas and unknown names are refused in one line."""

from __future__ import annotations

from pathlib import Path

import asyncpg

from tests.server.test_cli import run_cli

PASSWORD = "correct horse battery\n"


async def test_an_organisation_follows_an_area_by_name_and_by_box(fresh_database: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": fresh_database, "BUURTPLEIN_DATA_DIR": str(tmp_path), "BUURTPLEIN_DOMAIN": "buurt.example"}
    assert run_cli("migrate", env=env).returncode == 0
    for name in ("oosterpark", "dapperbuurt", "westwijk"):
        assert run_cli("create-neighbourhood", name, env=env).returncode == 0
    made = run_cli("create-user", "gemeente", "--organisation", "--password-stdin", env=env, stdin=PASSWORD)
    assert made.returncode == 0 and "created organisation http://buurt.example/actors/gemeente" in made.stdout
    assert run_cli("create-user", "anna", "--password-stdin", env=env, stdin=PASSWORD).returncode == 0
    db = await asyncpg.connect(fresh_database)
    try:
        assert await db.fetchval("SELECT kind FROM actors WHERE username = 'gemeente'") == "Organization"
        await db.execute(
            """UPDATE neighbourhoods n SET area_name = CASE a.username WHEN 'westwijk' THEN 'West' ELSE 'Oost' END
               FROM actors a WHERE a.id = n.actor_id"""
        )
        followed = run_cli("follow-area", "gemeente", "--area-name", "oost", env=env)
        assert followed.returncode == 0, followed.stderr
        assert "2 new Follow(s)" in followed.stdout
        rows = await db.fetch(
            """SELECT g.username FROM follows f JOIN actors o ON o.id = f.follower_id
               JOIN actors g ON g.id = f.followed_id WHERE o.username = 'gemeente' ORDER BY g.username"""
        )
        assert [row["username"] for row in rows] == ["dapperbuurt", "oosterpark"]
        again = run_cli("follow-area", "gemeente", "--area-name", "Oost", env=env)
        assert again.returncode == 0 and "0 new Follow(s)" in again.stdout  # each is followed once
        # a box is judged by boundaries: none of these has one yet, so nothing is followed
        boxed = run_cli("follow-area", "gemeente", "--bbox", "4.8,52.3,5.0,52.4", env=env)
        assert boxed.returncode == 0 and "0 new Follow(s)" in boxed.stdout, boxed.stderr
        assert await db.fetchval("SELECT count(*) FROM area_follows") == 2
    finally:
        await db.close()

    for args, words in (
        (("anna", "--area-name", "Oost"), "Organization"),
        (("gemeente",), "area"),
        (("gemeente", "--bbox", "1,2,3"), "--bbox takes 4 comma-separated numbers"),
        (("gemeente", "--near", "52,4,nan"), "--near takes 3 comma-separated numbers"),
        (("niemand", "--area-name", "Oost"), "no local actor called 'niemand'"),
    ):
        result = run_cli("follow-area", *args, env=env)
        line = result.stderr.strip()
        assert result.returncode == 1 and words in line and "\n" not in line and "Traceback" not in line, (args, line)
