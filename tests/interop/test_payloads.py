"""Every captured payload from real servers parses: handled, or refused as unsupported
with a clear reason -- never an unexpected exception."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from activitypub import terms
from activitypub.audience import Visibility, classify, is_public
from activitypub.errors import ProtocolError
from activitypub.keys import load_public_key
from activitypub.vocab import (
    Activity,
    Actor,
    Announce,
    ASObject,
    Collection,
    Create,
    Event,
    Flag,
    Group,
    Place,
    PostalAddress,
    Update,
    parse_activity,
    parse_object,
)

INTEROP = Path(__file__).resolve().parents[2].parent / "shared" / "interop"
PAYLOADS = INTEROP / "payloads"
FILES = sorted(PAYLOADS.rglob("*.json")) if PAYLOADS.is_dir() else []
ABSENT = f"interop payloads not found at {PAYLOADS} (../shared/ is absent in a fresh clone)"
# Files under activities/ that are in fact bare objects (not an activity).
NOT_ACTIVITIES = {"mastodon/activities/private_message.json"}


def _load(relative: str) -> dict[str, Any]:
    if not PAYLOADS.is_dir():
        pytest.skip(ABSENT)
    data = json.loads((PAYLOADS / relative).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _name(path: Path) -> str:
    return path.relative_to(PAYLOADS).as_posix()


def test_payload_corpus_is_complete() -> None:
    if not FILES:
        pytest.skip(ABSENT)
    assert len(FILES) == 124


@pytest.mark.parametrize("path", FILES, ids=_name)
def test_every_payload_parses(path: Path) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    name = _name(path)
    try:
        if "/activities/" in name and name not in NOT_ACTIVITIES:
            parsed: ASObject = parse_activity(data)
        else:
            parsed = parse_object(data)
    except ProtocolError as exc:  # allowed, but must say why
        pytest.fail(f"{name} refused: {exc} ({exc.public_message})")
    assert parsed.type, name
    if isinstance(parsed, Activity):
        assert parsed.id and parsed.actor
    # nothing is dropped: every input key is modelled or in extra
    modelled = parsed.to_json(keep_extra=True)
    missing = {k for k, v in data.items() if v not in (None, [], {}, "") and k not in modelled}
    assert not missing, f"{name} lost keys {missing}"
    again = dict(parse_object(modelled).extra)
    if "@context" not in data:  # we had to supply one to re-emit
        assert again.pop("@context") == terms.OUR_CONTEXT
    assert again == parsed.extra  # unknown keys survive a round trip


@pytest.mark.parametrize("path", [p for p in FILES if "/collections/" in p.as_posix()], ids=_name)
def test_collections(path: Path) -> None:
    parsed = parse_object(json.loads(path.read_text(encoding="utf-8")))
    assert isinstance(parsed, Collection)
    for item in parsed.all_items:
        assert isinstance(item, str | ASObject)


def test_mobilizon_event() -> None:
    event = parse_object(_load("mobilizon/objects/event.json"))
    assert isinstance(event, Event)
    assert event.name == "Caledonian scottish dance class"
    assert event.start_time == "2022-12-11T19:00:00+00:00"
    assert event.end_time == "2022-12-11T21:00:00+00:00"
    assert (event.join_mode, event.timezone, event.status) == ("free", "Europe/London", "CONFIRMED")
    assert event.is_online is False
    place = event.place
    assert isinstance(place, Place) and place.name == "The Kenn Centre"
    assert place.coordinates == (50.66881615, -3.537739788359949)
    address = place.address
    assert isinstance(address, PostalAddress)
    assert (address.street_address, address.locality, address.region) == (
        "Devon Expressway",
        "Teignbridge",
        "England",
    )
    assert (address.postal_code, address.country) == ("EX6 7TW", "United Kingdom")
    assert [getattr(t, "name", None) for t in event.tag] == ["#Dance", "#Caledonian", "#Lesson"]
    assert event.extra["uuid"] == "b81c0531-a57c-497d-93ba-af0f8b255498"
    assert event.extra["remainingAttendeeCapacity"] is None  # kept, even when null
    assert classify(_load("mobilizon/objects/event.json"), None) is Visibility.PUBLIC


def test_mobilizon_group_pkcs1_key() -> None:
    group = parse_object(_load("mobilizon/objects/group.json"))
    assert isinstance(group, Group)
    assert group.public_key_id == "https://mobilizon.fr/@contribateliers#main-key"
    assert group.public_key_owner == "https://mobilizon.fr/@contribateliers"
    assert group.public_key_pem and "BEGIN RSA PUBLIC KEY" in group.public_key_pem
    key = load_public_key(group.public_key_pem)
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048
    assert group.shared_inbox == "https://mobilizon.fr/inbox"
    assert group.manually_approves_followers is False and group.discoverable is True
    assert group.extra["memberCount"] == 13


def test_lemmy_announce_of_create() -> None:
    announce = parse_activity(_load("lemmy/activities/community/announce_create_page.json"))
    assert isinstance(announce, Announce) and announce.actor == "http://enterprise.lemmy.ml/c/main"
    create = announce.object
    assert isinstance(create, Create) and create.actor == "http://enterprise.lemmy.ml/u/lemmy_beta"
    page = create.object
    assert isinstance(page, ASObject) and page.type == "Page" and page.name == "post 4"
    assert page.extra["stickied"] is False and page.sensitive is False


def test_mastodon_flag() -> None:
    flag = parse_activity(_load("mastodon/activities/flag.json"))
    assert isinstance(flag, Flag)
    assert flag.object_ids == (
        "https://example.com/users/1",
        "https://example.com/posts/380590",
        "https://example.com/posts/380591",
    )
    assert flag.content == "Please take a look at this user and their posts"
    assert flag.to == ("https://example.com/users/1",)


def test_mitra_proof_is_kept() -> None:
    data = _load("mitra/activities/create_post.json")
    create = parse_activity(data)
    assert isinstance(create, Create)
    assert create.extra["proof"] == data["proof"]
    assert create.extra["proof"]["cryptosuite"] == "eddsa-jcs-2022"
    note = create.object
    assert isinstance(note, ASObject) and note.text("content", "da") == "<p>Remote post 5</p>"
    assert note.audience == ("https://voyager.lemmy.ml/c/pubtest0906",)


def test_wordpress_announce_of_update() -> None:
    announce = parse_activity(_load("wordpress/activities/announce.json"))
    assert isinstance(announce, Announce)
    update = announce.object
    assert isinstance(update, Update) and update.actor == "https://pfefferle.org/author/pfefferle/"
    article = update.object
    assert isinstance(article, ASObject) and article.type == "Article"
    assert article.name == "Lemmy (Part 4)" and article.text("content", "en")


@pytest.mark.parametrize("spelling", [terms.PUBLIC, "as:Public", "Public"])
def test_public_spellings_on_real_payload(spelling: str) -> None:
    data = _load("mastodon/activities/create_note.json")
    data["to"] = [spelling]
    data["object"]["to"] = [spelling]
    activity = parse_activity(data)
    assert is_public(activity.to) and is_public(data["object"]["to"])
    assert classify(data, None) is Visibility.PUBLIC


def test_actors_expose_keys_and_inboxes() -> None:
    if not FILES:
        pytest.skip(ABSENT)
    actors = [
        a
        for a in (parse_object(json.loads(p.read_text(encoding="utf-8"))) for p in FILES if "/objects/" in p.as_posix())
        if isinstance(a, Actor)
    ]
    assert len(actors) >= 20
    for actor in actors:
        assert actor.inbox, actor.id
        if actor.public_key_pem:
            load_public_key(actor.public_key_pem)
