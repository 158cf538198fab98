"""Poll pages over plain HTTP: the composer validates next to the field, residents vote
once, results are shown as numbers beside the bars, closed and private polls refuse."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from server.domain.polls import create_poll
from server.storage import actors as actor_store
from tests.harness import Instance, federating
from tests.server.web.browser_client import PageClient


def poll_form(**changes: str) -> dict[str, str]:
    values = {"question": "Een bankje <op> het plein?", "option1": "Ja", "option2": "Nee", "multiple": "",
              "ends": "", "visibility": "public"}  # fmt: skip
    values.update(changes)
    return values


async def test_poll_composer_errors_stay_next_to_the_fields(open_instance: Instance) -> None:
    async with PageClient(open_instance) as browser:
        await browser.register("anna")
        status, page, _ = await browser.submit("/compose/poll", poll_form(question="", option2=""))
        assert status == 400 and "Write the question." in page and "Give at least two options." in page
        status, page, _ = await browser.submit("/compose/poll", poll_form(option2="Ja"))
        assert status == 400 and "Each option must be different." in page
        status, page, _ = await browser.submit("/compose/poll", poll_form(ends="2001-01-01T10:00"))
        assert status == 400 and "The end must be in the future." in page and 'value="Ja"' in page


async def test_residents_vote_once_and_see_results_with_numbers(open_instance: Instance) -> None:
    async with PageClient(open_instance) as anna, PageClient(open_instance) as bram:
        await anna.register("anna")
        status, page, resp = await anna.submit("/compose/poll", poll_form())
        assert status == 200 and "Een bankje &lt;op&gt; het plein?" in page and "0 people voted" in page
        path = str(resp.url.path)
        await bram.register("bram")
        status, page, _ = await bram.submit(f"{path}/vote", {"choice": "Ja"}, from_page=path)
        assert status == 200 and "1 person voted" in page and "Ja (your choice): 1 vote (100%)" in page
        assert 'value="100"' in page and "<progress" in page
        assert 'action="' + path + '/vote"' not in page  # one choice, already voted: no form
        status, page, _ = await bram.submit(f"{path}/vote", {"choice": "Nee"}, from_page=path)
        assert status == 409 and "You voted already." in page
        status, page, _ = await anna.submit(f"{path}/vote", {"choice": "Misschien"}, from_page=path)
        assert status == 409 and "Choose one of the options." in page
        status, page, _ = await anna.submit(f"{path}/vote", {}, from_page=path)
        assert status == 400 and "Choose at least one option." in page
    async with PageClient(open_instance, language="nl") as visitor:
        status, page = await visitor.get(path)
        assert status == 200 and "1 persoon heeft gestemd" in page and "Log in om te stemmen" in page


async def test_multiple_choice_takes_several_and_closed_polls_refuse(open_instance: Instance) -> None:
    fed = federating(open_instance)
    async with PageClient(open_instance) as bram:
        await bram.register("bram")
        author = await actor_store.local_actor(open_instance.pool, "bram")
        assert author is not None
        several = await create_poll(fed, author, "<p>Welke dagen?</p>", ["ma", "di", "wo"], multiple=True)
        path = several.ap_id.removeprefix(open_instance.settings.base_url)
        await bram.get(path)
        body = {"csrf": bram.csrf()}
        form = [("csrf", body["csrf"]), ("choice", "ma"), ("choice", "wo")]
        async with bram.session.post(open_instance.url(f"{path}/vote"), data=form, headers=bram.headers()) as resp:
            page = await resp.text()
            assert resp.status == 200 and "ma (your choice): 1 vote (50%)" in page and "wo (your choice)" in page
        closing = await create_poll(
            fed, author, "<p>Snel?</p>", ["ja", "nee"], ends_at=datetime.now(UTC) + timedelta(seconds=1)
        )
        closed_path = closing.ap_id.removeprefix(open_instance.settings.base_url)
        await bram.get(closed_path)
        await open_instance.pool.execute("UPDATE polls SET closed_at = now() WHERE object_id = $1", closing.id)
        status, page, _ = await bram.submit(f"{closed_path}/vote", {"choice": "ja"}, from_page=closed_path)
        assert status == 409 and "This poll is closed." in page


async def test_followers_only_polls_are_hidden_and_refuse_votes(open_instance: Instance) -> None:
    fed = federating(open_instance)
    async with PageClient(open_instance) as bram:
        await bram.register("bram")
        author = await actor_store.local_actor(open_instance.pool, "bram")
        assert author is not None
        secret = await create_poll(fed, author, "<p>Geheim?</p>", ["ja", "nee"], visibility="followers")
        path = secret.ap_id.removeprefix(open_instance.settings.base_url)
        status, page, _ = await bram.submit(f"{path}/vote", {"choice": "ja"}, from_page="/")
        assert status == 404
        votes = await open_instance.pool.fetchval("SELECT count(*) FROM poll_votes")
        assert votes == 0
    async with PageClient(open_instance) as visitor:
        status, page = await visitor.get(path)
        assert status == 404 and "Geheim?" not in page
