"""Event pages for organisers and invitees over plain HTTP: a picture with alt text on the
event form (EXIF gone, errors next to the field), invitations from the web (a local
invitee answers on the page; several names at once, each reported back; an unanswered
invitation taken back), notifications when the organiser approves or declines,
deleting an event after a confirmation step, and followers-only events and polls at
their own /objects/{uid} address with a working edit form for the organiser."""

from __future__ import annotations

import io
import re
from typing import Any

import aiohttp
from PIL import Image

from server.domain import follows, polls
from server.storage import actors as actor_store
from server.storage import events as event_store
from server.storage import objects as object_store
from tests.harness import Instance, federating
from tests.server.web.browser_client import PageClient
from tests.server.web.test_event_pages import event_form, publish
from tests.server.web.test_upload_pages import gps_jpeg


async def post_event_form(
    browser: PageClient, fields: dict[str, str], image: tuple[str, bytes, str] | None
) -> tuple[int, str, str]:
    """The composer posted as multipart, as a browser does: (status, page, final path)."""
    await browser.get("/compose/event")
    form = aiohttp.FormData()
    form.add_field("csrf", browser.csrf())
    for name, value in fields.items():
        form.add_field(name, value)
    if image is not None:
        filename, data, content_type = image
        form.add_field("image", data, filename=filename, content_type=content_type)
    url = browser.instance.url("/compose/event")
    async with browser.session.post(url, data=form, headers=browser.headers()) as resp:
        browser.last_page = await resp.text()
        return resp.status, browser.last_page, resp.url.path


async def state_of(inst: Instance, path: str, username: str) -> str | None:
    event = await event_store.event_by_ap_id(inst.pool, inst.url(path))
    actor = await actor_store.local_actor(inst.pool, username)
    assert event is not None and actor is not None
    row = await event_store.attendee(inst.pool, event.object_id, actor.id)
    return row.state if row else None


async def test_the_event_form_takes_a_picture_with_alt_text_and_strips_exif(open_instance: Instance) -> None:
    async with PageClient(open_instance) as browser:
        await browser.register("anna")
        status, page, _ = await post_event_form(browser, event_form(), ("a.jpg", gps_jpeg(), "image/jpeg"))
        assert status == 400 and 'id="f-alt_text-error"' in page and "Describe the image" in page
        assert "Choose the image again" in page and 'value="Van Ostadestraat 1"' in page
        status, page, _ = await post_event_form(
            browser, event_form(alt_text="Een feest"), ("a.txt", b"no image at all", "image/png")
        )
        assert status == 400 and 'id="f-image-error"' in page and "not an image we accept" in page
        status, page, path = await post_event_form(
            browser, event_form(alt_text="Rode vlag op het plein"), ("plein.jpg", gps_jpeg(), "image/jpeg")
        )
        assert status == 200 and path.startswith("/objects/"), page
        img = re.search(r'<img src="(/media/[^"]+)" alt="Rode vlag op het plein" loading="lazy"[^>]*>', page)
        assert img is not None and 'width="40" height="30"' in img.group(0)
        async with browser.session.get(open_instance.url(img.group(1))) as resp:
            served = await resp.read()
        assert resp.status == 200 and b"SecretCam" not in served and b"Exif" not in served
        event = await event_store.event_by_ap_id(open_instance.pool, open_instance.url(path))
        assert event is not None and event.fields.image_alt == "Rode vlag op het plein"
        stored = await object_store.object_by_ap_id(open_instance.pool, open_instance.url(path))
        assert stored is not None and stored.document is not None
        assert stored.document["attachment"][0]["name"] == "Rode vlag op het plein"


async def test_the_organiser_invites_a_resident_who_accepts_on_the_event_page(open_instance: Instance) -> None:
    async with PageClient(open_instance) as anna, PageClient(open_instance) as bram:
        await anna.register("anna")
        await bram.register("bram")
        free = await publish(anna)
        status, page = await anna.get(free)
        assert status == 200 and "Invite people" not in page  # only invite-only events take invitations
        path = await publish(anna, join_mode="invite", visibility="followers")
        uri = open_instance.url(path)
        status, page = await bram.get(path)
        assert status == 404  # followers only, and bram is not invited yet
        status, page, _ = await anna.submit("/event/invite", {"uri": uri, "invitee": "nobody"}, from_page=path)
        assert status == 400 and "Nobody was found with this name." in page and 'aria-invalid="true"' in page
        status, page, _ = await bram.submit("/event/invite", {"uri": uri, "invitee": "bram"}, from_page="/home")
        assert status == 404  # not the organiser (and may not see it)
        status, page, _ = await anna.submit("/event/invite", {"uri": uri, "invitee": "bram"}, from_page=path)
        assert status == 200 and "Invited, no answer yet" in page and "/actors/bram</a>" in page
        assert await state_of(open_instance, path, "bram") == "invited"

        status, page = await bram.get("/notifications")
        assert "invited you to an event" in page
        status, page = await bram.get(path)
        assert status == 200 and "You are invited to this event." in page
        status, page, _ = await bram.submit("/event/invitation", {"uri": uri, "answer": "accept"}, from_page=path)
        assert status == 200 and "Your answer: going." in page and "You are invited" not in page
        assert await state_of(open_instance, path, "bram") == "going"
        status, page, _ = await bram.submit("/event/invitation", {"uri": uri, "answer": "accept"}, from_page=path)
        assert status == 409 and "You have no open invitation." in page


async def test_several_names_are_invited_at_once_and_an_invitation_is_taken_back(open_instance: Instance) -> None:
    async with PageClient(open_instance) as anna, PageClient(open_instance) as bram, PageClient(open_instance) as cor:
        await anna.register("anna")
        await bram.register("bram")
        await cor.register("cor")
        path = await publish(anna, join_mode="invite", visibility="followers")
        uri = open_instance.url(path)
        too_many = ", ".join(f"naam{i}" for i in range(51))
        status, page, _ = await anna.submit("/event/invite", {"uri": uri, "invitee": too_many}, from_page=path)
        assert status == 400 and "Give at most 50 names at a time." in page and 'aria-invalid="true"' in page
        assert await state_of(open_instance, path, "bram") is None

        names = "bram, nobody\n@cor\r\nBram,,"
        status, page, _ = await anna.submit("/event/invite", {"uri": uri, "invitee": names}, from_page=path)
        assert status == 200 and 'id="f-invitee-results"' in page
        assert "<li>bram: invited</li>" in page and "<li>@cor: invited</li>" in page
        assert "<li>nobody: not found</li>" in page and "Not everyone was found" in page
        assert 'aria-invalid="true"' in page and ">nobody</textarea>" in page  # only the names to check
        assert await state_of(open_instance, path, "bram") == "invited"
        assert await state_of(open_instance, path, "cor") == "invited"
        status, page, _ = await anna.submit("/event/invite", {"uri": uri, "invitee": "bram"}, from_page=path)
        assert status == 200 and "<li>bram: already invited</li>" in page and "Not everyone" not in page

        status, page = await cor.get(path)
        assert status == 200 and "You are invited to this event." in page
        status, page, _ = await cor.submit("/event/invitation", {"uri": uri, "answer": "accept"}, from_page=path)
        assert status == 200 and await state_of(open_instance, path, "cor") == "going"

        bram_id, cor_id = open_instance.url("/actors/bram"), open_instance.url("/actors/cor")
        status, page = await anna.get(path)
        assert f'<input type="hidden" name="invitee" value="{bram_id}">' in page
        assert "Take back the invitation of" in page
        status, _, _ = await bram.submit("/event/uninvite", {"uri": uri, "invitee": bram_id}, from_page="/home")
        assert status == 404  # not the organiser
        status, page, _ = await anna.submit("/event/uninvite", {"uri": uri, "invitee": bram_id}, from_page=path)
        assert status == 200 and "Invited, no answer yet" in page and f'value="{bram_id}"' not in page
        assert await state_of(open_instance, path, "bram") is None
        status, page, _ = await anna.submit("/event/uninvite", {"uri": uri, "invitee": cor_id}, from_page=path)
        assert status == 409 and "There is no unanswered invitation to take back." in page  # cor answered
        assert await state_of(open_instance, path, "cor") == "going"

        status, _ = await bram.get(path)
        assert status == 404  # followers only, and bram is no longer invited
        status, page, _ = await bram.submit("/event/rsvp", {"uri": uri, "answer": "going"}, from_page="/home")
        assert status in (404, 409) and await state_of(open_instance, path, "bram") is None


async def test_local_attendees_hear_when_the_organiser_approves_or_declines(open_instance: Instance) -> None:
    async with (
        PageClient(open_instance) as anna,
        PageClient(open_instance) as bram,
        PageClient(open_instance) as carla,
    ):
        await anna.register("anna")
        path = await publish(anna, join_mode="restricted")
        for browser, name in ((bram, "bram"), (carla, "carla")):
            await browser.register(name)
            status, page, _ = await browser.submit("/event/rsvp", {"uri": open_instance.url(path), "answer": "going"},
                                                   from_page=path)  # fmt: skip
            assert status == 200 and "waiting for the organiser" in page
        uri = open_instance.url(path)
        for name, decision in (("bram", "approve"), ("carla", "decline")):
            body = {"uri": uri, "attendee": open_instance.url(f"/actors/{name}"), "decision": decision}
            status, _, _ = await anna.submit("/event/attendee", body, from_page=path)
            assert status == 200
        status, page = await bram.get("/notifications")
        assert "let you in: you are going to the event" in page and "did not accept" not in page
        status, page = await carla.get("/notifications")
        assert "did not accept your request to come to the event" in page and "let you in" not in page
        assert await state_of(open_instance, path, "bram") == "going"
        assert await state_of(open_instance, path, "carla") is None


async def test_the_organiser_deletes_an_event_after_confirming(open_instance: Instance) -> None:
    async with PageClient(open_instance) as anna, PageClient(open_instance) as bram:
        await anna.register("anna")
        await bram.register("bram")
        path = await publish(anna)
        uri = open_instance.url(path)
        status, page = await anna.get(path)
        assert "Delete this event…" in page
        status, page = await bram.get(path)
        assert "Delete this event" not in page
        status, page = await bram.get("/event/delete?uri=" + uri)
        assert status == 404
        status, page, _ = await bram.submit("/event/delete", {"uri": uri, "confirm": "yes"}, from_page=path)
        assert status == 404
        status, page = await anna.get("/event/delete?uri=" + uri)
        assert status == 200 and "This cannot be undone." in page and "Yes, delete the event" in page
        status, page, _ = await anna.submit("/event/delete", {"uri": uri}, from_page="/event/delete?uri=" + uri)
        assert status == 200 and "This cannot be undone." in page  # no confirmation: asked again
        assert (await event_store.event_by_ap_id(open_instance.pool, uri)).deleted_at is None  # type: ignore[union-attr]
        status, page, resp = await anna.submit(
            "/event/delete", {"uri": uri, "confirm": "yes"}, from_page="/event/delete?uri=" + uri
        )
        assert status == 200 and resp.url.path == "/actors/anna"
        status, _ = await anna.get(path)
        assert status == 410
        stored = await object_store.object_by_ap_id(open_instance.pool, uri)
        assert stored is not None and stored.deleted_at is not None


async def test_followers_only_events_and_polls_open_at_their_address_for_those_who_may_see_them(
    open_instance: Instance,
) -> None:
    async with (
        PageClient(open_instance) as anna,
        PageClient(open_instance) as bram,
        PageClient(open_instance) as visitor,
    ):
        await anna.register("anna")
        await bram.register("bram")
        path = await publish(anna, visibility="followers", name="Besloten borrel")
        anna_row = await actor_store.local_actor(open_instance.pool, "anna")
        bram_row = await actor_store.local_actor(open_instance.pool, "bram")
        assert anna_row is not None and bram_row is not None
        poll = await polls.create_poll(
            federating(open_instance), anna_row, "<p>Welke dag?</p>", ["Zaterdag", "Zondag"], visibility="followers"
        )
        poll_path = poll.ap_id.removeprefix(open_instance.settings.base_url)

        status, page = await anna.get(path)
        assert status == 200 and "Besloten borrel" in page
        for browser in (visitor, bram):
            assert (await browser.get(path))[0] == 404
            assert (await browser.get(poll_path))[0] == 404
        async with visitor.session.get(open_instance.url(path), headers={"Accept": "application/activity+json"}) as r:
            assert r.status == 404  # the AS2 document stays for public and unlisted objects

        await follows.follow(federating(open_instance), bram_row, anna_row.ap_id)
        status, page = await bram.get(path)
        assert status == 200 and "Besloten borrel" in page and "For the organiser" not in page
        status, page = await bram.get(poll_path)
        assert status == 200 and "Welke dag?" in page
        assert (await bram.get(path + "/edit"))[0] == 404

        status, page = await anna.get(path + "/edit")
        assert status == 200 and 'value="Besloten borrel"' in page
        form: dict[str, Any] = event_form(name="Besloten borrel (verzet)")
        form.pop("visibility")
        status, page, _ = await anna.submit(path + "/edit", form)
        assert status == 200 and "Besloten borrel (verzet)" in page
        event = await event_store.event_by_ap_id(open_instance.pool, open_instance.url(path))
        assert event is not None and event.fields.name == "Besloten borrel (verzet)"


def test_the_picture_fixture_carries_exif() -> None:
    with Image.open(io.BytesIO(gps_jpeg())) as img:
        assert img.getexif()  # so the stripping test above can fail
