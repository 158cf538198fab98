"""Feed validators come from one aggregate query: a 304 renders nothing; the ETag changes
when a public item is added, edited or removed, and not when a private one is."""

from __future__ import annotations

from typing import Any

import pytest
from multidict import CIMultiDict

from server.routes import calendar as calendar_routes
from server.routes import feeds as feed_routes
from tests.harness import Instance
from tests.server.feed_data import build_world, plant_event, plant_object


async def _get(inst: Instance, path: str, **headers: str) -> tuple[int, CIMultiDict[str], bytes]:
    async with inst.session.get(inst.url(path), headers=headers) as resp:
        return resp.status, CIMultiDict(resp.headers), await resp.read()


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts every feed and calendar rendering."""
    calls: list[str] = []
    render_feed, upcoming = getattr(feed_routes, "render_feed"), getattr(calendar_routes, "upcoming_calendar")  # noqa: B009

    def counting_feed(*args: Any, **kwargs: Any) -> Any:
        calls.append("feed")
        return render_feed(*args, **kwargs)

    async def counting_calendar(*args: Any, **kwargs: Any) -> Any:
        calls.append("calendar")
        return await upcoming(*args, **kwargs)

    monkeypatch.setattr(feed_routes, "render_feed", counting_feed)
    monkeypatch.setattr(calendar_routes, "upcoming_calendar", counting_calendar)
    return calls


@pytest.mark.parametrize(
    "path", ["/feeds/neighbourhoods/oosterpark.atom", "/feeds/instance.rss", "/calendar/neighbourhoods/oosterpark.ics"]
)
async def test_not_modified_answer_renders_nothing(instance: Instance, renders: list[str], path: str) -> None:
    await build_world(instance)
    status, headers, body = await _get(instance, path)
    assert status == 200 and body and len(renders) == 1
    status, again, body = await _get(instance, path, **{"If-None-Match": headers["ETag"]})
    assert status == 304 and body == b"" and again["ETag"] == headers["ETag"]
    status, _, _ = await _get(instance, path, **{"If-Modified-Since": headers["Last-Modified"]})
    assert status == 304
    assert len(renders) == 1


async def test_etag_follows_public_content_only(instance: Instance) -> None:
    world = await build_world(instance)
    path = "/feeds/neighbourhoods/oosterpark.atom"
    _, first, _ = await _get(instance, path)
    await plant_object(instance, world.group, content="<p>SECRET</p>", visibility="followers")
    _, after_private, _ = await _get(instance, path)
    assert after_private["ETag"] == first["ETag"]

    added = await plant_object(instance, world.group, content="<p>Nieuw bericht</p>")
    status, after_add, body = await _get(instance, path, **{"If-None-Match": first["ETag"]})
    assert status == 200 and after_add["ETag"] != first["ETag"] and b"Nieuw bericht" in body

    await instance.pool.execute("UPDATE objects SET updated_at = now() WHERE id = $1", world.public_posts[0].id)
    _, after_edit, _ = await _get(instance, path)
    assert after_edit["ETag"] != after_add["ETag"]

    await instance.pool.execute("UPDATE objects SET deleted_at = now() WHERE id = $1", added.id)
    status, after_delete, body = await _get(instance, path, **{"If-None-Match": after_edit["ETag"]})
    assert status == 200 and after_delete["ETag"] != after_edit["ETag"] and b"Nieuw bericht" not in body


async def test_calendar_etag_changes_with_a_new_event(instance: Instance) -> None:
    world = await build_world(instance)
    path = "/calendar/neighbourhoods/oosterpark.ics"
    _, first, _ = await _get(instance, path)
    await plant_event(instance, world.group, name="SECRET borrel", visibility="members")
    _, same, _ = await _get(instance, path)
    assert same["ETag"] == first["ETag"]
    await plant_event(instance, world.group, name="Rommelmarkt")
    status, changed, body = await _get(instance, path, **{"If-None-Match": first["ETag"]})
    assert status == 200 and changed["ETag"] != first["ETag"] and b"Rommelmarkt" in body
    assert b"SECRET" not in body


async def test_single_event_calendar_answers_304_and_404(instance: Instance) -> None:
    world = await build_world(instance)
    uid = world.public_events[0].ap_id.rsplit("/", 1)[1]
    status, headers, body = await _get(instance, f"/calendar/events/{uid}.ics")
    assert status == 200 and b"BEGIN:VCALENDAR" in body
    status, _, _ = await _get(instance, f"/calendar/events/{uid}.ics", **{"If-None-Match": headers["ETag"]})
    assert status == 304
    secret = await plant_event(instance, world.group, name="SECRET", visibility="direct")
    status, _, body = await _get(instance, f"/calendar/events/{secret.ap_id.rsplit('/', 1)[1]}.ics")
    assert status == 404 and b"SECRET" not in body
