"""GET /actors/{name}, /actor and /@{name} on a real instance: AS2 for ActivityPub clients,
HTML for browsers, 404 unknown, 410 + Tombstone once gone."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from activitypub import keys
from server.domain.actors import create_local_actor
from server.storage import actors as actor_store
from tests.harness import Instance

AS2_TYPES = [
    "application/activity+json",
    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
]
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


async def fetch(instance: Instance, path: str, accept: str) -> tuple[int, dict[str, str], Any]:
    async with instance.session.get(instance.url(path), headers={"Accept": accept}) as resp:
        body: Any = await resp.json(content_type=None) if "json" in resp.content_type else await resp.text()
        return resp.status, dict(resp.headers), body


def assert_actor_document(doc: dict[str, Any], actor: actor_store.ActorRow, instance: Instance, kind: str) -> None:
    base = instance.base_url
    assert doc["id"] == actor.ap_id
    assert doc["type"] == kind
    assert doc["preferredUsername"] == actor.username
    assert "https://www.w3.org/ns/activitystreams" in doc["@context"]
    assert doc["inbox"] == actor.ap_id + "/inbox"
    assert doc["outbox"] == actor.ap_id + "/outbox"
    assert doc["followers"] == actor.ap_id + "/followers"
    assert doc["following"] == actor.ap_id + "/following"
    assert doc["endpoints"]["sharedInbox"] == base + "/inbox"
    assert doc["published"].startswith(str(actor.created_at.year))
    key = doc["publicKey"]
    assert key["id"] == actor.ap_id + "#main-key"
    assert key["owner"] == actor.ap_id
    assert isinstance(keys.load_public_key(key["publicKeyPem"]), rsa.RSAPublicKey)
    [multikey] = doc["assertionMethod"]
    assert multikey["type"] == "Multikey"
    assert multikey["id"] == actor.ap_id + "#ed25519-key"
    assert multikey["controller"] == actor.ap_id
    decoded = keys.ed25519_public_from_multibase(multikey["publicKeyMultibase"])
    assert isinstance(decoded, ed25519.Ed25519PublicKey)


async def assert_keys_match_database(instance: Instance, actor_id: int, doc: dict[str, Any]) -> None:
    rows = {k.algorithm: k for k in await actor_store.keys_of_actor(instance.pool, actor_id)}
    assert doc["publicKey"]["publicKeyPem"].strip() == rows["rsa"].public_pem.strip()
    stored = keys.load_public_key(rows["ed25519"].public_pem)
    assert isinstance(stored, ed25519.Ed25519PublicKey)
    assert doc["assertionMethod"][0]["publicKeyMultibase"] == keys.ed25519_public_to_multibase(stored)


@pytest.mark.parametrize("accept", AS2_TYPES)
@pytest.mark.parametrize("kind", ["Group", "Person", "Organization"])
async def test_local_actor_document_for_both_as2_media_types(instance: Instance, kind: str, accept: str) -> None:
    actor = await create_local_actor(
        instance.pool, instance.settings, kind=kind, username="oosterpark", name="Oosterpark"
    )
    status, headers, doc = await fetch(instance, "/actors/oosterpark", accept)
    assert status == 200, doc
    assert headers["Content-Type"] == "application/activity+json; charset=utf-8"
    assert "Accept" in headers["Vary"]
    assert_actor_document(doc, actor, instance, kind)
    await assert_keys_match_database(instance, actor.id, doc)
    assert doc["name"] == "Oosterpark"
    assert doc["url"] == instance.url("/@oosterpark")
    assert doc["featured"] == actor.ap_id + "/featured"
    assert doc["discoverable"] is True
    assert doc["indexable"] is True


@pytest.mark.parametrize("accept", AS2_TYPES)
async def test_instance_actor_is_an_application_that_is_not_indexable(instance: Instance, accept: str) -> None:
    status, headers, doc = await fetch(instance, "/actor", accept)
    assert status == 200, doc
    assert "Accept" in headers["Vary"]
    actor = await actor_store.local_actor(instance.pool, "instance.actor")
    assert actor is not None
    assert doc["id"] == instance.url("/actor")
    assert_actor_document(doc, actor, instance, "Application")
    await assert_keys_match_database(instance, actor.id, doc)
    assert doc["indexable"] is False
    assert doc["discoverable"] is False


async def test_actor_names_are_case_insensitive_and_profile_urls_serve_as2(
    instance: Instance,
) -> None:
    actor = await create_local_actor(instance.pool, instance.settings, kind="Group", username="oosterpark")
    for path in ("/actors/OosterPark", "/@oosterpark"):
        status, _, doc = await fetch(instance, path, AS2_TYPES[0])
        assert status == 200
        assert doc["id"] == actor.ap_id


class PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.stack: list[str] = []
        self.text: dict[str, str] = {}
        self.alternates: list[dict[str, str | None]] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        values = dict(attrs)
        if tag == "html":
            self.lang = values.get("lang")
        if tag == "link" and values.get("rel") == "alternate":
            self.alternates.append(values)
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack:
            self.text[self.stack[-1]] = self.text.get(self.stack[-1], "") + data


async def test_browsers_get_an_accessible_profile_page(instance: Instance) -> None:
    actor = await create_local_actor(
        instance.pool,
        instance.settings,
        kind="Group",
        username="oosterpark",
        name="Buurt <Oost>",
        summary='<p>Welkom!</p><script>alert(1)</script><img src="http://x/y.png">',
    )
    for path in ("/@oosterpark", "/actors/oosterpark"):
        status, headers, page = await fetch(instance, path, BROWSER)
        assert status == 200
        assert headers["Content-Type"].startswith("text/html")
        assert "Accept" in headers["Vary"]
        parser = PageParser()
        parser.feed(page)
        assert parser.lang
        assert "Buurt <Oost>" in parser.text["title"]
        assert parser.text["h1"] == "Buurt <Oost>"
        assert parser.text["p"].startswith("Welkom!") or "Welkom!" in page
        as2 = [link for link in parser.alternates if link.get("type") == "application/activity+json"]
        assert as2 == [{"rel": "alternate", "type": "application/activity+json", "href": actor.ap_id}]
        assert "script" not in parser.tags and "img" not in parser.tags
        assert "alert(1)" not in page


async def test_summary_is_sanitised_in_the_document(instance: Instance) -> None:
    await create_local_actor(
        instance.pool,
        instance.settings,
        kind="Person",
        username="bea",
        summary='<p onclick="x()">Hoi <a href="https://e.example/">link</a></p><script>alert(1)</script>',
    )
    _, _, doc = await fetch(instance, "/actors/bea", AS2_TYPES[0])
    assert "script" not in doc["summary"] and "onclick" not in doc["summary"]
    assert 'href="https://e.example/"' in doc["summary"]
    assert "Hoi" in doc["summary"]


async def test_icon_image_aliases_and_move_are_published(instance: Instance) -> None:
    actor = await create_local_actor(instance.pool, instance.settings, kind="Person", username="bea")
    await instance.pool.execute(
        """UPDATE actors SET icon_url = 'http://127.0.0.2/a.png', image_url = 'http://127.0.0.2/b.png',
           also_known_as = '{http://old.example/users/bea}', moved_to = 'http://new.example/users/bea'
           WHERE id = $1""",
        actor.id,
    )
    _, _, doc = await fetch(instance, "/actors/bea", AS2_TYPES[0])
    assert doc["icon"]["type"] == "Image" and doc["icon"]["url"] == "http://127.0.0.2/a.png"
    assert doc["image"]["url"] == "http://127.0.0.2/b.png"
    assert doc["alsoKnownAs"] == ["http://old.example/users/bea"]
    assert doc["movedTo"] == "http://new.example/users/bea"


@pytest.mark.parametrize("accept", AS2_TYPES)
async def test_unknown_actor_is_a_json_404_for_as2(instance: Instance, accept: str) -> None:
    status, headers, body = await fetch(instance, "/actors/nobody", accept)
    assert status == 404
    assert headers["Content-Type"].startswith("application/activity+json")
    assert "error" in body


async def test_unknown_actor_is_an_html_404_for_browsers(instance: Instance) -> None:
    status, headers, _ = await fetch(instance, "/@nobody", BROWSER)
    assert status == 404
    assert headers["Content-Type"].startswith("text/html")


async def test_gone_actor_is_410_with_a_tombstone(instance: Instance) -> None:
    actor = await create_local_actor(instance.pool, instance.settings, kind="Person", username="weg")
    await instance.pool.execute("UPDATE actors SET gone_at = now() WHERE id = $1", actor.id)
    status, headers, doc = await fetch(instance, "/actors/weg", AS2_TYPES[1])
    assert status == 410
    assert headers["Content-Type"].startswith("application/activity+json")
    assert doc["type"] == "Tombstone"
    assert doc["id"] == actor.ap_id
    assert doc["formerType"] == "Person"
    assert "publicKey" not in doc
    status, _, _ = await fetch(instance, "/@weg", BROWSER)
    assert status == 410


async def test_documents_and_webfinger_follow_each_change_at_once(instance: Instance) -> None:
    """Answers are kept per process between requests; a change in the database still shows
    in the very next answer (the lookup compares each actor's document version)."""
    actor = await create_local_actor(instance.pool, instance.settings, kind="Person", username="cees", name="Cees")
    finger = instance.url(f"/.well-known/webfinger?resource=acct:cees@{instance.settings.domain}")
    for _ in range(2):  # the second answer comes from what the first one rendered
        _, _, doc = await fetch(instance, "/actors/cees", AS2_TYPES[0])
        assert doc["name"] == "Cees"
    await instance.pool.execute(
        "UPDATE actors SET name = 'Cees B.', url = 'http://127.0.0.2/c' WHERE id = $1", actor.id
    )
    _, _, doc = await fetch(instance, "/actors/cees", AS2_TYPES[0])
    assert doc["name"] == "Cees B."
    async with instance.session.get(finger) as resp:
        jrd = await resp.json(content_type=None)
    assert "http://127.0.0.2/c" in jrd["aliases"]
    await instance.pool.execute("DELETE FROM actor_keys WHERE actor_id = $1 AND algorithm = 'ed25519'", actor.id)
    _, _, doc = await fetch(instance, "/actors/cees", AS2_TYPES[0])
    assert "assertionMethod" not in doc or doc["assertionMethod"] == []
    await instance.pool.execute("UPDATE actors SET gone_at = now() WHERE id = $1", actor.id)
    async with instance.session.get(finger) as resp:
        assert resp.status == 410
    status, _, _ = await fetch(instance, "/actors/cees", AS2_TYPES[0])
    assert status == 410
