from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import pytest

from activitypub import terms
from activitypub.errors import MalformedActivity, MalformedObject, ProtocolError, UnsupportedType
from activitypub.vocab import (
    Activity,
    Actor,
    Announce,
    ASObject,
    Create,
    Event,
    Flag,
    Follow,
    Group,
    Hashtag,
    Image,
    Link,
    Mention,
    Multikey,
    Note,
    OrderedCollectionPage,
    Person,
    Place,
    PostalAddress,
    PropertyValue,
    PublicKey,
    Question,
    Tombstone,
    Undo,
    VirtualLocation,
    build_activity,
    build_actor,
    build_note,
    build_tombstone,
    parse_activity,
    parse_object,
)

NOW = datetime(2024, 5, 3, 12, 0, tzinfo=UTC)
ANNA = "https://buurt.example/users/anna"
BOB = "https://remote.example/users/bob"


def _actor_json(**overrides: Any) -> dict[str, Any]:
    doc = {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": BOB,
        "type": "Person",
        "preferredUsername": "bob",
        "name": "Bob",
        "summary": "<p>hi</p>",
        "url": "https://remote.example/@bob",
        "inbox": BOB + "/inbox",
        "outbox": BOB + "/outbox",
        "followers": BOB + "/followers",
        "following": BOB + "/following",
        "featured": BOB + "/featured",
        "endpoints": {"sharedInbox": "https://remote.example/inbox"},
        "alsoKnownAs": ["https://old.example/bob"],
        "movedTo": "https://new.example/bob",
        "manuallyApprovesFollowers": True,
        "discoverable": True,
        "indexable": False,
        "icon": {"type": "Image", "mediaType": "image/png", "url": "https://remote.example/a.png"},
        "image": {"type": "Image", "url": "https://remote.example/b.jpg"},
        "publicKey": {"id": BOB + "#main-key", "owner": BOB, "publicKeyPem": "PEM"},
        "assertionMethod": [
            {
                "id": BOB + "#ed25519-key",
                "type": "Multikey",
                "controller": BOB,
                "publicKeyMultibase": "z6Mkabc",
            }
        ],
        "attachment": [{"type": "PropertyValue", "name": "Site", "value": "<a>x</a>"}],
        "matrixUserId": "@bob:matrix.example",
    }
    doc.update(overrides)
    return doc


def test_actor_fields() -> None:
    actor = parse_object(_actor_json())
    assert isinstance(actor, Person) and isinstance(actor, Actor)
    assert (actor.id, actor.type, actor.preferred_username, actor.name) == (
        BOB,
        "Person",
        "bob",
        "Bob",
    )
    assert actor.summary == "<p>hi</p>" and actor.href == "https://remote.example/@bob"
    assert actor.inbox == BOB + "/inbox" and actor.outbox == BOB + "/outbox"
    assert actor.followers == BOB + "/followers" and actor.following == BOB + "/following"
    assert actor.featured == BOB + "/featured"
    assert actor.shared_inbox == "https://remote.example/inbox"
    assert actor.also_known_as == ("https://old.example/bob",)
    assert actor.moved_to == "https://new.example/bob"
    assert actor.manually_approves_followers is True
    assert actor.discoverable is True and actor.indexable is False
    assert isinstance(actor.icon, Image) and actor.icon.href == "https://remote.example/a.png"
    assert isinstance(actor.image, Image)
    assert (actor.public_key_id, actor.public_key_owner, actor.public_key_pem) == (
        BOB + "#main-key",
        BOB,
        "PEM",
    )
    (key,) = actor.multikeys
    assert (key.id, key.controller, key.public_key_multibase) == (
        BOB + "#ed25519-key",
        BOB,
        "z6Mkabc",
    )
    (field,) = actor.attachment
    assert isinstance(field, PropertyValue) and field.value == "<a>x</a>"
    assert actor.extra["matrixUserId"] == "@bob:matrix.example"
    assert "@context" in actor.extra


def test_public_key_as_a_list_and_without_pem() -> None:
    actor = parse_object(
        _actor_json(
            publicKey=[
                {"id": BOB + "#other", "owner": BOB},
                {"id": BOB + "#main-key", "owner": BOB, "publicKeyPem": "PEM2"},
            ]
        )
    )
    assert isinstance(actor, Actor)
    assert len(actor.public_keys) == 2
    assert actor.public_key_id == BOB + "#main-key" and actor.public_key_pem == "PEM2"


def test_actor_without_keys() -> None:
    actor = parse_object({"id": BOB, "type": "Service", "inbox": BOB + "/inbox"})
    assert isinstance(actor, Actor)
    assert actor.public_key_pem is None and actor.public_key_id is None and actor.multikeys == ()
    assert actor.shared_inbox is None


@pytest.mark.parametrize(
    "spelling",
    [
        "Group",
        ["Group"],
        "as:Group",
        "https://www.w3.org/ns/activitystreams#Group",
        ["schema:Thing", "Group"],
    ],
)
def test_type_spellings_and_lists(spelling: Any) -> None:
    group = parse_object({"id": BOB, "type": spelling, "inbox": BOB + "/inbox"})
    assert isinstance(group, Group) and group.type == "Group"


def test_value_shapes_string_object_list() -> None:
    note = parse_object(
        {
            "id": "https://x/1",
            "type": "Note",
            "attributedTo": [{"id": BOB, "type": "Person"}],
            "to": terms.PUBLIC,
            "cc": [{"id": BOB + "/followers"}],
            "inReplyTo": {"id": "https://x/0"},
            "tag": {"type": "Hashtag", "name": "#a", "href": "https://x/tags/a"},
            "url": [{"type": "Link", "mediaType": "text/html", "href": "https://x/@b/1"}],
        }
    )
    assert isinstance(note, Note)
    assert note.attributed_to == (BOB,) and note.to == (terms.PUBLIC,)
    assert note.cc == (BOB + "/followers",) and note.in_reply_to == "https://x/0"
    assert isinstance(note.tag[0], Hashtag) and note.tag[0].href == "https://x/tags/a"
    assert note.href == "https://x/@b/1"


def test_unknown_keys_and_bad_shapes_go_to_extra() -> None:
    data = {
        "id": "https://x/1",
        "type": "Note",
        "atomUri": "u",
        "name": 42,
        "sensitive": "yes",
        "attachment": [{"type": "Image", "url": "https://x/i.png"}, 7],
    }
    note = parse_object(data)
    assert note.extra["atomUri"] == "u"
    assert note.extra["name"] == 42 and note.name is None
    assert note.extra["sensitive"] == "yes" and note.sensitive is None
    assert note.extra["attachment"] == data["attachment"] and len(note.attachment) == 1


def test_unknown_type_is_generic_not_an_error() -> None:
    obj = parse_object({"id": "https://x/v", "type": "Video", "name": "clip", "duration": "PT5M"})
    assert type(obj) is ASObject and obj.type == "Video" and obj.name == "clip"
    activity = parse_activity(
        {
            "id": "https://x/a",
            "type": "EmojiReact",
            "actor": BOB,
            "object": "https://x/1",
            "content": "🔥",
        }
    )
    assert type(activity) is Activity and activity.type == "EmojiReact"
    assert activity.object_id == "https://x/1" and activity.content == "🔥"
    guessed = parse_object({"id": "https://x/b", "type": "Dislike", "actor": BOB, "object": "o"})
    assert isinstance(guessed, Activity)


def test_activity_errors() -> None:
    with pytest.raises(MalformedActivity, match="no id") as info:
        parse_activity({"type": "Follow", "actor": BOB, "object": ANNA})
    assert info.value.public_message == "activity has no id"
    assert isinstance(info.value, ProtocolError) and isinstance(info.value, ValueError)
    with pytest.raises(MalformedActivity, match="no actor"):
        parse_activity({"id": "https://x/f", "type": "Follow", "object": ANNA})
    with pytest.raises(MalformedActivity, match="no type"):
        parse_activity({"id": "https://x/f", "actor": BOB, "object": ANNA})
    with pytest.raises(MalformedActivity, match="no id"):
        parse_object({"type": "Like", "actor": BOB, "object": ANNA})
    with pytest.raises(UnsupportedType):
        parse_activity({"id": "https://x/n", "type": "Note"})
    with pytest.raises(MalformedActivity):
        parse_activity(["not", "an", "object"])  # type: ignore[arg-type]
    with pytest.raises(MalformedObject):
        parse_object("https://x/1")  # type: ignore[arg-type]
    with pytest.raises(UnsupportedType):
        parse_object({"type": "Hashtag", "name": "#a"})


def test_activities_and_embedded_objects() -> None:
    undo = parse_activity(
        {
            "id": "https://x/u",
            "type": "Undo",
            "actor": {"id": BOB, "type": "Person"},
            "object": {"id": "https://x/f", "type": "Follow", "actor": BOB, "object": ANNA},
        }
    )
    assert isinstance(undo, Undo) and undo.actor == BOB
    assert isinstance(undo.object, Follow) and undo.object.object_id == ANNA
    flag = parse_activity(
        {
            "id": "https://x/r",
            "type": "Flag",
            "actor": BOB,
            "object": [ANNA, "https://buurt.example/notes/1"],
            "content": "spam",
        }
    )
    assert isinstance(flag, Flag) and flag.object_ids == (ANNA, "https://buurt.example/notes/1")
    announce = parse_activity(
        {
            "id": "https://g/a",
            "type": "Announce",
            "actor": "https://g",
            "object": {
                "id": "https://x/c",
                "type": "Create",
                "actor": BOB,
                "object": {"id": "https://x/n", "type": "Note"},
            },
        }
    )
    assert isinstance(announce, Announce) and isinstance(announce.object, Create)
    assert isinstance(announce.object.object, Note)
    move = parse_activity(
        {
            "id": "https://x/m",
            "type": "Move",
            "actor": BOB,
            "object": BOB,
            "target": {"id": "https://new/bob"},
        }
    )
    assert move.target == "https://new/bob"


def test_event_with_place_and_virtual_location() -> None:
    event = parse_object(
        {
            "id": "https://buurt.example/e/1",
            "type": "Event",
            "name": "Borrel",
            "startTime": "2024-06-01T17:00:00Z",
            "endTime": "2024-06-01T19:00:00Z",
            "joinMode": "restricted",
            "timezone": "Europe/Amsterdam",
            "ical:status": "TENTATIVE",
            "location": [
                {
                    "type": "Place",
                    "name": "Buurthuis",
                    "geo": {"type": "GeoCoordinates", "latitude": 52.1, "longitude": 5.1},
                    "address": {
                        "type": "PostalAddress",
                        "streetAddress": "Dorpsstraat 1",
                        "addressLocality": "Utrecht",
                        "postalCode": "1234 AB",
                    },
                },
                {"type": "VirtualLocation", "url": "https://meet.example/r"},
            ],
        }
    )
    assert isinstance(event, Event)
    assert (event.start_time, event.end_time) == ("2024-06-01T17:00:00Z", "2024-06-01T19:00:00Z")
    assert (event.join_mode, event.timezone, event.status) == (
        "restricted",
        "Europe/Amsterdam",
        "TENTATIVE",
    )
    place = event.place
    assert isinstance(place, Place) and place.coordinates == (52.1, 5.1)
    assert isinstance(place.address, PostalAddress) and place.address.locality == "Utrecht"
    assert isinstance(event.virtual_location, VirtualLocation)
    assert event.virtual_location.href == "https://meet.example/r"
    again = parse_object(event.to_json())
    assert again.to_json() == event.to_json()
    assert event.to_json()["ical:status"] == "TENTATIVE"


def test_untyped_location_defaults_to_place() -> None:
    event = parse_object(
        {
            "id": "https://e/1",
            "type": "Event",
            "location": {"name": "Park", "latitude": 1, "longitude": 2},
        }
    )
    assert isinstance(event, Event) and event.place is not None
    assert event.place.coordinates == (1, 2)


def test_question_options() -> None:
    question = parse_object(
        {
            "id": "https://x/q",
            "type": "Question",
            "endTime": "2024-06-01T00:00:00Z",
            "oneOf": [
                {"type": "Note", "name": "Ja", "replies": {"type": "Collection", "totalItems": 3}},
                {"type": "Note", "name": "Nee", "replies": {"totalItems": 1}},
                {"name": "Geen idee"},
            ],
            "votersCount": 4,
        }
    )
    assert isinstance(question, Question) and not question.multiple
    assert [(o.name, o.votes) for o in question.options] == [
        ("Ja", 3),
        ("Nee", 1),
        ("Geen idee", 0),
    ]
    assert question.voters_count == 4 and question.end_time == "2024-06-01T00:00:00Z"
    multi = parse_object({"id": "https://x/q2", "type": "Question", "anyOf": [{"name": "a"}]})
    assert isinstance(multi, Question) and multi.multiple


def test_tombstone_collections_links() -> None:
    tomb = parse_object(
        {
            "id": "https://x/1",
            "type": "Tombstone",
            "formerType": "Note",
            "deleted": "2024-01-01T00:00:00Z",
        }
    )
    assert isinstance(tomb, Tombstone) and tomb.former_type == "Note"
    page = parse_object(
        {
            "id": "https://x/o?page=2",
            "type": "OrderedCollectionPage",
            "partOf": "https://x/o",
            "next": "https://x/o?page=3",
            "orderedItems": ["https://x/1", {"id": "https://x/2", "type": "Note"}],
        }
    )
    assert isinstance(page, OrderedCollectionPage) and page.part_of == "https://x/o"
    assert page.next == "https://x/o?page=3" and len(page.all_items) == 2
    mention = parse_object(
        {
            "id": "https://x/n",
            "type": "Note",
            "tag": [{"type": "Mention", "href": ANNA, "name": "@anna"}],
        }
    )
    assert isinstance(mention.tag[0], Mention) and isinstance(mention.tag[0], Link)


def test_language_maps() -> None:
    note = parse_object({"id": "https://x/1", "type": "Note", "contentMap": {"nl": "hallo", "en": "hello"}})
    assert note.content is None and note.text("content", "en") == "hello"
    assert note.text() == "hallo"


def test_models_are_frozen() -> None:
    note = Note(id="https://x/1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        note.id = "other"  # type: ignore[misc]
    assert note.type == "Note"


def test_keep_extra_round_trip() -> None:
    data = _actor_json()
    actor = parse_object(data)
    assert actor.to_json(keep_extra=True) | {} == actor.to_json(keep_extra=True)
    again = parse_object(actor.to_json(keep_extra=True))
    assert again.extra == actor.extra
    assert again.to_json(keep_extra=True)["@context"] == data["@context"]
    strict = actor.to_json()
    assert "matrixUserId" not in strict and strict["@context"] == terms.OUR_CONTEXT


def _no_none(value: Any) -> bool:
    if isinstance(value, dict):
        return all(v is not None and _no_none(v) for v in value.values())
    if isinstance(value, list):
        return all(v is not None and _no_none(v) for v in value)
    return True


def test_build_actor() -> None:
    doc = build_actor(
        actor_id=ANNA,
        actor_type="Person",
        preferred_username="anna",
        inbox=ANNA + "/inbox",
        outbox=ANNA + "/outbox",
        followers=ANNA + "/followers",
        following=ANNA + "/following",
        public_key_pem="PEM",
        ed25519_multibase="z6MkX",
        shared_inbox="https://buurt.example/inbox",
        featured=ANNA + "/featured",
        published=NOW,
        icon=Image(url=("https://buurt.example/a.png",)),
    )
    assert _no_none(doc)
    assert doc["publicKey"] == {"id": ANNA + "#main-key", "owner": ANNA, "publicKeyPem": "PEM"}
    assert doc["assertionMethod"] == [
        {
            "id": ANNA + "#ed25519-key",
            "type": "Multikey",
            "controller": ANNA,
            "publicKeyMultibase": "z6MkX",
        }
    ]
    assert doc["endpoints"] == {"sharedInbox": "https://buurt.example/inbox"}
    assert doc["manuallyApprovesFollowers"] is False and doc["discoverable"] is True
    assert doc["indexable"] is False and doc["published"] == "2024-05-03T12:00:00Z"
    assert "name" not in doc and "movedTo" not in doc
    actor = parse_object(doc)
    assert isinstance(actor, Person) and actor.public_key_pem == "PEM"
    assert isinstance(actor.multikeys[0], Multikey) and actor.extra.keys() == {"@context"}
    assert isinstance(actor.public_keys[0], PublicKey)
    with pytest.raises(ValueError):
        build_actor(
            actor_id=ANNA,
            actor_type="Note",
            preferred_username="a",
            inbox="i",
            outbox="o",
            followers="f",
            following="g",
            public_key_pem="P",
        )


def test_build_activity() -> None:
    follow = build_activity("Follow", "https://buurt.example/f/1", ANNA, BOB, [BOB], [])
    assert follow == {
        "@context": terms.OUR_CONTEXT,
        "id": "https://buurt.example/f/1",
        "type": "Follow",
        "actor": ANNA,
        "object": BOB,
        "to": [BOB],
    }
    note = build_note(
        id="https://buurt.example/n/1",
        attributed_to=ANNA,
        content="x",
        published=NOW,
        to=[terms.PUBLIC],
    )
    create = build_activity(
        "Create",
        "https://buurt.example/c/1",
        ANNA,
        note,
        [terms.PUBLIC],
        [ANNA + "/followers"],
        published=NOW,
        audience=None,
    )
    assert "@context" not in create["object"] and create["object"]["content"] == "x"
    assert "audience" not in create and create["published"] == "2024-05-03T12:00:00Z"
    assert parse_activity(create).object_id == "https://buurt.example/n/1"
    with pytest.raises(ValueError, match="atomUri"):
        build_activity("Create", "https://x/c", ANNA, note, atomUri="x")
    undo = build_activity("Undo", "https://x/u", ANNA, parse_activity(follow))
    assert undo["object"]["type"] == "Follow" and "@context" not in undo["object"]


def test_build_note_and_tombstone() -> None:
    doc = build_note(
        id="https://buurt.example/n/1",
        attributed_to=ANNA,
        content="<p>hoi</p>",
        published=NOW,
        to=[terms.PUBLIC],
        cc=[ANNA + "/followers"],
        language="nl",
        sensitive=True,
        summary="cw",
        tags=[Hashtag(name="#buurt", href="https://buurt.example/t/buurt")],
    )
    assert doc["type"] == "Note" and doc["attributedTo"] == ANNA
    assert doc["contentMap"] == {"nl": "<p>hoi</p>"} and doc["sensitive"] is True
    assert doc["tag"] == [{"type": "Hashtag", "href": "https://buurt.example/t/buurt", "name": "#buurt"}]
    assert _no_none(doc) and "inReplyTo" not in doc
    assert build_note(id="i", attributed_to=ANNA, content="c", published=NOW, note_type="Article")["type"] == "Article"
    tomb = build_tombstone("https://buurt.example/n/2", former_type="Note", deleted=NOW)
    assert tomb == {
        "@context": terms.OUR_CONTEXT,
        "id": "https://buurt.example/n/2",
        "type": "Tombstone",
        "formerType": "Note",
        "deleted": "2024-05-03T12:00:00Z",
    }
