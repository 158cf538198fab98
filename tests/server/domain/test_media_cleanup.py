"""Media files leave the disk with the posts and accounts they belong to: a moderator's
removal of a post, an account's deletion (every upload of it), and `clean-media` (uploads
never attached after a day, files without a row after an hour; younger ones and attached
ones stay)."""

from __future__ import annotations

import io
import os
import time
from datetime import UTC, datetime, timedelta

from PIL import Image

from server.domain import accounts, moderation
from server.domain.actors import create_account, create_local_actor
from server.domain.media import media_directory, store_upload
from server.domain.media_cleanup import clean_media
from server.domain.neighbourhoods import create_neighbourhood
from server.domain.post_fields import PostOptions
from server.domain.posts import create_note
from server.storage import account_admin as account_store
from server.storage import media as media_store
from server.storage import neighbourhoods as neighbourhood_store
from server.storage.actors import ActorRow
from tests.harness import Instance, federating, wait_for
from tests.server.test_cli import run_cli


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


async def _upload(instance: Instance, owner: ActorRow) -> tuple[int, str]:
    row = await store_upload(instance.pool, instance.settings, owner, png(), "een rood vlak")
    return row.id, row.file_name


def _on_disk(instance: Instance, name: str) -> bool:
    return (media_directory(instance.settings) / name).exists()


async def test_a_moderators_removal_takes_the_posts_images_off_the_disk(instance: Instance) -> None:
    fed = federating(instance)
    mod = await create_local_actor(instance.pool, instance.settings, kind="Person", username="mod")
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    group = await create_neighbourhood(fed, "oosterpark", founder=mod, name="Oosterpark")
    await instance.pool.execute(
        "INSERT INTO memberships (group_id, member_id, state) VALUES ($1, $2, 'accepted')", group.id, anna.id
    )
    media_id, name = await _upload(instance, anna)
    post = await create_note(
        fed,
        anna,
        "Gevonden fiets",
        extra_cc=[group.ap_id],
        extra_fields={"audience": group.ap_id},
        options=PostOptions(neighbourhood=group.ap_id, media_ids=(media_id,)),
    )
    assert await wait_for(lambda: neighbourhood_store.group_post(instance.pool, group.id, post.ap_id))
    assert _on_disk(instance, name)
    assert await moderation.remove_post(fed, mod, group, post.ap_id, "geen fietsen")
    assert not _on_disk(instance, name)
    assert await media_store.media_by_file_name(instance.pool, name) is None


async def test_deleting_an_account_takes_all_its_uploads_off_the_disk(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_account(instance.pool, instance.settings, username="anna", password="correct horse battery")
    bert = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bert")
    attached_id, attached = await _upload(instance, anna)
    _, loose = await _upload(instance, anna)
    _, berts = await _upload(instance, bert)
    await create_note(fed, anna, "Met plaatje", options=PostOptions(media_ids=(attached_id,)))
    account = await account_store.account_by_username(instance.pool, "anna")
    assert account is not None
    await accounts.delete_account(fed, account)
    assert not _on_disk(instance, attached) and not _on_disk(instance, loose)
    assert await media_store.media_by_file_name(instance.pool, attached) is None
    assert _on_disk(instance, berts)  # someone else's stays


async def test_clean_media_removes_stale_uploads_and_files_without_a_row(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    attached_id, attached = await _upload(instance, anna)
    await create_note(fed, anna, "Met plaatje", options=PostOptions(media_ids=(attached_id,)))
    _, stale = await _upload(instance, anna)
    _, fresh = await _upload(instance, anna)
    two_days_ago = datetime.now(UTC) - timedelta(days=2)
    await instance.pool.execute(
        "UPDATE media SET created_at = $1 WHERE file_name = ANY($2::text[])", two_days_ago, [stale, attached]
    )
    directory = media_directory(instance.settings)
    (directory / "orphan-old.png").write_bytes(b"x")
    (directory / "orphan-new.png").write_bytes(b"y")
    hours_ago = time.time() - 3 * 3600
    os.utime(directory / "orphan-old.png", (hours_ago, hours_ago))
    os.utime(directory / attached, (hours_ago, hours_ago))

    result = await clean_media(instance.pool, instance.settings)
    assert (result.unattached, result.orphan_files) == (1, 1)
    assert not _on_disk(instance, stale) and await media_store.media_by_file_name(instance.pool, stale) is None
    assert not _on_disk(instance, "orphan-old.png")
    assert _on_disk(instance, "orphan-new.png") and _on_disk(instance, fresh) and _on_disk(instance, attached)

    # the command does the same pass
    (directory / "orphan-cli.png").write_bytes(b"z")
    os.utime(directory / "orphan-cli.png", (hours_ago, hours_ago))
    env = {"DATABASE_URL": instance.dsn, "BUURTPLEIN_DATA_DIR": str(instance.settings.data_dir)}
    ran = run_cli("clean-media", env=env)
    assert ran.returncode == 0, ran.stderr
    assert (
        "removed 0 unattached upload(s), 0 picture(s) nothing shows any more and 1 file(s) without a row" in ran.stdout
    )
    assert not _on_disk(instance, "orphan-cli.png") and _on_disk(instance, fresh)
