"""`create-user --organisation`, `follow-area`, `area-follows` and `unfollow-area`, run as
real processes against a real database: an organisation follows the public neighbourhoods
of an area, lists its area follows and ends one (keeping the follows, or with
--unfollow-neighbourhoods ending those it started); residents, malformed areas, unknown
names and ids are refused in one line."""

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


async def test_an_organisation_lists_and_ends_its_area_follows(fresh_database: str, tmp_path: Path) -> None:
    env = {"DATABASE_URL": fresh_database, "BUURTPLEIN_DATA_DIR": str(tmp_path), "BUURTPLEIN_DOMAIN": "buurt.example"}
    assert run_cli("migrate", env=env).returncode == 0
    for name in ("oosterpark", "dapperbuurt"):
        assert run_cli("create-neighbourhood", name, env=env).returncode == 0
    assert (
        run_cli("create-user", "gemeente", "--organisation", "--password-stdin", env=env, stdin=PASSWORD).returncode
        == 0
    )
    assert run_cli("create-user", "anna", "--password-stdin", env=env, stdin=PASSWORD).returncode == 0
    empty = run_cli("area-follows", "gemeente", env=env)
    assert empty.returncode == 0 and "gemeente follows no area" in empty.stdout
    db = await asyncpg.connect(fresh_database)
    try:
        await db.execute("UPDATE neighbourhoods SET area_name = 'Oost'")
        assert run_cli("follow-area", "gemeente", "--area-name", "Oost", env=env).returncode == 0
        assert run_cli("follow-area", "gemeente", "--near", "52.36,4.92,1500", env=env).returncode == 0
        listed = run_cli("area-follows", "gemeente", env=env)
        assert listed.returncode == 0, listed.stderr
        lines = listed.stdout.strip().splitlines()
        assert len(lines) == 2
        name_id, area, count = lines[0].split("\t")
        assert area == "area 'Oost'" and count == "2 followed"
        assert lines[1].split("\t")[1:] == ["within 1500 m of 52.36,4.92", "0 followed"]

        ended = run_cli("unfollow-area", "gemeente", name_id, env=env)
        assert ended.returncode == 0 and f"ended area follow {name_id}; unfollowed 0" in ended.stdout, ended.stderr
        assert await db.fetchval("SELECT count(*) FROM follows") == 2  # the follows stay
        assert await db.fetchval("SELECT count(*) FROM area_follows") == 1
        # a neighbourhood that comes into the area afterwards is not followed
        assert run_cli("create-neighbourhood", "nieuwbuurt", env=env).returncode == 0
        await db.execute("UPDATE neighbourhoods SET area_name = 'Oost'")
        assert await db.fetchval("SELECT count(*) FROM follows") == 2

        # the same name again, ended with the neighbourhoods: the follows it started end
        again = run_cli("follow-area", "gemeente", "--area-name", "oost", env=env)
        assert again.returncode == 0 and "1 new Follow(s)" in again.stdout  # nieuwbuurt; the others are followed
        new_id = str(await db.fetchval("SELECT max(id) FROM area_follows"))
        gone = run_cli("unfollow-area", "gemeente", new_id, "--unfollow-neighbourhoods", env=env)
        assert gone.returncode == 0 and "unfollowed 1 neighbourhood(s)" in gone.stdout, gone.stderr
        rows = await db.fetch(
            """SELECT g.username FROM follows f JOIN actors g ON g.id = f.followed_id ORDER BY g.username"""
        )
        assert [r["username"] for r in rows] == ["dapperbuurt", "oosterpark"]
    finally:
        await db.close()

    for command, args, words in (
        ("area-follows", ("anna",), "Organization"),
        ("unfollow-area", ("anna", "1"), "Organization"),
        ("unfollow-area", ("gemeente", "twee"), "an area follow ID is a number"),
        ("unfollow-area", ("gemeente", name_id), f"there is no area follow {name_id} of gemeente"),
    ):
        result = run_cli(command, *args, env=env)
        line = result.stderr.strip()
        assert result.returncode == 1 and words in line and "\n" not in line and "Traceback" not in line, (args, line)
