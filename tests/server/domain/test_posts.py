"""Posts in full on one real instance: Note and Article, content warning, language,
mentions (tags, addressing, recipients), hashtags, replies and threads, visibility."""

from __future__ import annotations

import pytest

from activitypub.terms import PUBLIC
from server.domain import compose, posts
from server.domain.actors import create_local_actor
from server.domain.compose import Draft, PostRefused, publish_draft
from server.storage import objects as object_store
from server.storage import tags as tag_store
from server.storage import threads
from server.storage.objects import ObjectRow
from tests.harness import Instance, federating


async def _actors(inst: Instance, *names: str) -> list[object]:
    return [await create_local_actor(inst.pool, inst.settings, kind="Person", username=n) for n in names]


def _doc(row: ObjectRow) -> dict[str, object]:
    assert row.document is not None
    return row.document


async def test_draft_with_mention_hashtag_cw_and_language(instance: Instance) -> None:
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    bob = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bob")
    draft = Draft(
        text="Hoi @bob, zaterdag #Buurtfeest!\n<b>niet vet</b>",
        summary="Spoiler: taart",
        language="nl",
    )
    row = await publish_draft(federating(instance), anna, draft)
    doc = _doc(row)
    assert doc["type"] == "Note"
    assert doc["summary"] == "Spoiler: taart" and doc["sensitive"] is True
    assert doc["contentMap"] == {"nl": doc["content"]}
    assert "&lt;b&gt;niet vet&lt;/b&gt;" in row.content
    assert {"type": "Mention", "href": bob.ap_id, "name": f"@bob@{instance.settings.host}"} in doc["tag"]  # type: ignore[operator]
    assert {"type": "Hashtag", "href": instance.url("/tags/buurtfeest"), "name": "#buurtfeest"} in doc["tag"]  # type: ignore[operator]
    assert bob.ap_id in doc["cc"]  # type: ignore[operator]
    assert await tag_store.tags_of(instance.pool, row.id) == ["buurtfeest"]
    assert [r.ap_id for r in await tag_store.public_posts_with_tag(instance.pool, "buurtfeest")] == [row.ap_id]


async def test_title_makes_an_article(instance: Instance) -> None:
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    row = await publish_draft(federating(instance), anna, Draft(text="Lang verhaal " * 600, title="Verslag"))
    assert row.type == "Article" and _doc(row)["name"] == "Verslag"


async def test_refused_drafts(instance: Instance) -> None:
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    fed = federating(instance)
    for draft, reason in [
        (Draft(text="   "), "needs text"),
        (Draft(text="x" * (compose.NOTE_MAX_CHARS + 1)), "title"),
        (Draft(text="x", visibility="secret"), "visibility"),
        (Draft(text="x", visibility="members"), "neighbourhood"),
        (Draft(text="x", language="not a language"), "language"),
    ]:
        with pytest.raises(PostRefused, match=reason):
            await publish_draft(fed, anna, draft)
    assert await object_store.count_local_posts(instance.pool) == 0


@pytest.mark.parametrize(
    ("visibility", "to_public", "cc_public"),
    [("public", True, False), ("unlisted", False, True), ("followers", False, False), ("direct", False, False)],
)
async def test_addressing_by_visibility(instance: Instance, visibility: str, to_public: bool, cc_public: bool) -> None:
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    row = await publish_draft(federating(instance), anna, Draft(text="hallo", visibility=visibility))
    doc = _doc(row)
    assert (PUBLIC in doc["to"]) is to_public  # type: ignore[operator]
    assert (PUBLIC in doc["cc"]) is cc_public  # type: ignore[operator]
    assert row.visibility == visibility


async def test_members_only_post_is_addressed_to_the_members_collection(instance: Instance) -> None:
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    buurt = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oost")
    row = await publish_draft(
        federating(instance), anna, Draft(text="alleen leden", visibility="members", neighbourhood=buurt.ap_id)
    )
    doc = _doc(row)
    assert doc["to"] == [buurt.ap_id + "/members"] and doc["audience"] == buurt.ap_id
    assert row.visibility == "members"
    assert await threads.thread_of(instance.pool, row.ap_id, None) == []


async def test_thread_shows_only_what_the_viewer_may_see(instance: Instance) -> None:
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    bob = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bob")
    carol = await create_local_actor(instance.pool, instance.settings, kind="Person", username="carol")
    fed = federating(instance)
    root = await posts.create_note(fed, anna, "begin")
    public_reply = await posts.create_note(fed, bob, "antwoord", in_reply_to=root.ap_id)
    secret = await posts.create_note(
        fed, bob, "geheim", in_reply_to=root.ap_id, visibility="direct", mentions=[anna.ap_id]
    )
    deeper = await posts.create_note(fed, anna, "verder", in_reply_to=public_reply.ap_id)
    seen_by = {
        None: [root.ap_id, public_reply.ap_id, deeper.ap_id],
        carol.id: [root.ap_id, public_reply.ap_id, deeper.ap_id],
        anna.id: [root.ap_id, public_reply.ap_id, secret.ap_id, deeper.ap_id],
    }
    for viewer, expected in seen_by.items():
        got = [r.ap_id for r in await threads.thread_of(instance.pool, root.ap_id, viewer)]
        assert got == expected, viewer
    ancestors = [r.ap_id for r in await threads.thread_of(instance.pool, deeper.ap_id, None)]
    assert ancestors == [root.ap_id, public_reply.ap_id, deeper.ap_id]
    assert [r.ap_id for r in await threads.replies_to(instance.pool, root.ap_id, None)] == [public_reply.ap_id]
    assert await threads.thread_of(instance.pool, secret.ap_id, carol.id) == []
    await posts.delete_note(fed, bob, public_reply.ap_id)
    got = [r.ap_id for r in await threads.thread_of(instance.pool, root.ap_id, None)]
    assert got == [root.ap_id, deeper.ap_id]


async def test_tag_query_never_lists_non_public_posts(instance: Instance) -> None:
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    fed = federating(instance)
    public = await publish_draft(fed, anna, Draft(text="#markt open"))
    for visibility in ("unlisted", "followers", "direct"):
        await publish_draft(fed, anna, Draft(text=f"#markt {visibility}", visibility=visibility))
    deleted = await publish_draft(fed, anna, Draft(text="#markt weg"))
    await posts.delete_note(fed, anna, deleted.ap_id)
    assert [r.ap_id for r in await tag_store.public_posts_with_tag(instance.pool, "markt")] == [public.ap_id]


async def test_edit_keeps_content_map_in_step_and_sanitises(instance: Instance) -> None:
    anna = await create_local_actor(instance.pool, instance.settings, kind="Person", username="anna")
    fed = federating(instance)
    row = await publish_draft(fed, anna, Draft(text="eerst", language="nl"))
    await posts.edit_note(fed, anna, row.ap_id, "<p>daarna</p><script>x</script>")
    edited = await object_store.object_by_ap_id(instance.pool, row.ap_id)
    assert edited is not None and edited.document is not None
    assert edited.content == "<p>daarna</p>" and edited.document["contentMap"] == {"nl": "<p>daarna</p>"}
