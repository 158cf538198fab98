"""A resident's private "my events" calendar from the settings: an address is shown once
(https and webcal) and works; revoking it makes the old address answer 404; only its owner
can revoke it, and the forms need their CSRF token."""

from __future__ import annotations

import re

from tests.harness import Instance
from tests.server.web.browser_client import PageClient
from tests.server.web.test_organiser_pages import signed_in

ADDRESS_RE = re.compile(r'id="issued-https" type="text" readonly value="([^"]+)"')


async def test_residents_issue_and_revoke_their_calendar_address(instance: Instance) -> None:
    async with signed_in(instance, "anna") as anna:
        status, page = await anna.get("/settings")
        assert status == 200 and 'href="/settings/calendar"' in page
        status, page = await anna.get("/settings/calendar")
        assert status == 200 and "You have no calendar address yet." in page

        status, page, resp = await anna.submit("/settings/calendar", {"label": "telefoon"})
        assert status == 200 and resp.headers["Cache-Control"] == "no-store"
        found = ADDRESS_RE.search(page)
        assert found is not None
        https = found.group(1)
        assert https.startswith(instance.url("/calendar/my/")) and https.endswith(".ics")
        assert "webcal://" + https.split("://", 1)[1] in page
        async with anna.session.get(https) as feed:
            assert feed.status == 200 and "BEGIN:VCALENDAR" in await feed.text()

        # shown once: the list names it, but the address is not on the page any more
        status, page = await anna.get("/settings/calendar")
        assert "telefoon" in page and https not in page
        token_id = re.search(r'action="/settings/calendar/(\d+)/revoke"', page)
        assert token_id is not None

        async with signed_in(instance, "bert") as bert:
            await bert.get("/settings/calendar")
            async with bert.session.post(
                instance.url(f"/settings/calendar/{token_id.group(1)}/revoke"), data={"csrf": bert.csrf()}
            ) as resp:
                assert resp.status == 404  # not his
        async with anna.session.post(instance.url(f"/settings/calendar/{token_id.group(1)}/revoke"), data={}) as resp:
            assert resp.status == 403  # no CSRF token
        async with anna.session.get(https) as feed:
            assert feed.status == 200

        status, page, _ = await anna.submit(
            f"/settings/calendar/{token_id.group(1)}/revoke", {}, from_page="/settings/calendar"
        )
        assert status == 200 and "The address is revoked." in page and "telefoon" not in page
        async with anna.session.get(https) as feed:
            assert feed.status == 404
        async with PageClient(instance) as visitor, visitor.session.get(https) as feed:
            assert feed.status == 404

        status, page, _ = await anna.submit("/settings/calendar", {"label": "x" * 101})
        assert status == 400 and "Use at most 100 characters." in page and not ADDRESS_RE.search(page)
        anna.language = "nl"
        status, page = await anna.get("/settings/calendar")
        assert "Mijn activiteiten in je agenda-app" in page


async def test_visitors_are_sent_to_the_login_page(instance: Instance) -> None:
    async with PageClient(instance) as visitor:
        async with visitor.session.get(instance.url("/settings/calendar"), allow_redirects=False) as resp:
            assert resp.status == 303 and resp.headers["Location"].startswith("/login")
