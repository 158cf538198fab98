"""Edits and received Updates of posts refresh their tags: a local edit makes Mention and
Hashtag tags anew, addresses and notifies newly mentioned people only and delivers the
Update to a newly mentioned remote actor; a received Update replaces the post's hashtags
and notifies local actors it mentions for the first time."""

from __future__ import annotations

from typing import Any

from server.domain.actors import create_local_actor
from server.domain.compose import Draft, publish_draft
from server.domain.posts import edit_note
from server.storage import objects as object_store
from server.storage import tags as tag_store
from tests.harness import Instance, federating, wait_for
from tests.scripted_peer import AS, scripted_peer
from tests.server.domain.test_polls import processed, send


async def mentions_of(inst: Instance, recipient_id: int) -> int:
    return int(
        await inst.pool.fetchval(
            "SELECT count(*) FROM notifications WHERE recipient_id = $1 AND kind = 'mention'", recipient_id
        )
    )


def tags(document: dict[str, Any] | None) -> list[tuple[str, str]]:
    return [(t["type"], t["name"]) for t in (document or {}).get("tag", [])]


async def test_a_local_edit_retags_and_notifies_only_the_newly_mentioned(instance: Instance) -> None:
    fed = federating(instance)
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    bas = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bas")
    cor = await create_local_actor(instance.pool, instance.settings, kind="Person", username="cor")
    host = instance.settings.host
    post = await publish_draft(fed, anna, Draft(text=f"Hoi @bas@{host} #fiets", visibility="followers"))
    assert await mentions_of(instance, bas.id) == 1
    async with scripted_peer() as peer:
        dirk = peer.make_actor("dirk")
        await edit_note(
            fed, anna, post.ap_id, "<p>Hoi bas, cor en dirk #markt</p>",
            mentions=[bas.ap_id, cor.ap_id, dirk.ap_id], hashtags=["markt"],
        )  # fmt: skip
        update = await wait_for(lambda: _received_update(peer.received, post.ap_id))
    assert await mentions_of(instance, bas.id) == 1  # not again
    assert await mentions_of(instance, cor.id) == 1
    row = await object_store.object_by_ap_id(instance.pool, post.ap_id)
    assert row is not None
    assert tags(row.document) == [
        ("Mention", f"@bas@{host}"), ("Mention", f"@cor@{host}"), ("Mention", f"@dirk@{peer.base.split('//')[1]}"),
        ("Hashtag", "#markt"),
    ]  # fmt: skip
    assert cor.ap_id in row.document["cc"] and dirk.ap_id in row.document["cc"]  # type: ignore[index]
    assert tags(update["object"]) == tags(row.document)
    assert await tag_store.tags_of(instance.pool, row.id) == ["markt"]
    # cor may now read the followers-only post: the notification shows
    listed = await instance.pool.fetchval(
        "SELECT count(*) FROM notifications WHERE recipient_id = $1 AND object_ap_id = $2", cor.id, post.ap_id
    )
    assert listed == 1
    recipients = await instance.pool.fetchval(
        "SELECT count(*) FROM object_recipients WHERE object_id = $1 AND actor_id = $2", row.id, cor.id
    )
    assert recipients == 1


async def _received_update(received: list[dict[str, Any]], ap_id: str) -> dict[str, Any] | None:
    for activity in received:
        if activity.get("type") == "Update" and isinstance(activity.get("object"), dict):
            if activity["object"].get("id") == ap_id:
                return activity
    return None


async def test_a_received_update_retags_and_notifies_new_mentions(instance: Instance) -> None:
    bas = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bas")
    cor = await create_local_actor(instance.pool, instance.settings, kind="Person", username="cor")
    async with scripted_peer() as peer:
        eva = peer.make_actor("eva")
        note_id = f"{peer.base}/notes/1"

        def note(text: str, mentioned: list[str], hashtags: list[str], updated: str | None = None) -> dict[str, Any]:
            obj: dict[str, Any] = {
                "id": note_id, "type": "Note", "attributedTo": eva.ap_id, "content": f"<p>{text}</p>",
                "to": [AS + "#Public"], "cc": mentioned,
                "tag": [{"type": "Mention", "href": m} for m in mentioned]
                + [{"type": "Hashtag", "name": f"#{h}", "href": f"{peer.base}/tags/{h}"} for h in hashtags],
            }  # fmt: skip
            if updated:
                obj["updated"] = updated
            return obj

        create = {"@context": AS, "id": peer.activity_id(), "type": "Create", "actor": eva.ap_id,
                  "object": note("hoi bas #Fiets", [bas.ap_id], ["Fiets"]), "to": [AS + "#Public"]}  # fmt: skip
        await send(instance, peer, eva, create)
        await wait_for(lambda: processed(instance, 1))
        update = {"@context": AS, "id": peer.activity_id(), "type": "Update", "actor": eva.ap_id,
                  "object": note("hoi bas en cor #markt", [bas.ap_id, cor.ap_id], ["markt"], "2030-01-01T00:00:00Z"),
                  "to": [AS + "#Public"]}  # fmt: skip
        await send(instance, peer, eva, update)
        await wait_for(lambda: processed(instance, 2))
    row = await object_store.object_by_ap_id(instance.pool, note_id)
    assert row is not None and row.content is not None and "cor" in row.content
    assert await tag_store.tags_of(instance.pool, row.id) == ["markt"]
    assert await mentions_of(instance, bas.id) == 1
    assert await mentions_of(instance, cor.id) == 1
