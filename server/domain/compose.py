"""A post from what a resident typed: mentions resolved (WebFinger for remote handles),
hashtags and links made, then published with server.domain.posts.create_note.

A post with a title is an Article; without one it is a Note of at most NOTE_MAX_CHARS.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.domain.addressing import VISIBILITIES
from server.domain.federation_context import Federating
from server.domain.mentions import resolve_mentions
from server.domain.post_fields import PostOptions
from server.domain.post_text import MentionLink, find_hashtags, find_mentions, text_to_html
from server.domain.posts import create_note
from server.storage import group_federation as group_store
from server.storage.actors import ActorRow
from server.storage.objects import ObjectRow

NOTE_MAX_CHARS = 5_000
ARTICLE_MAX_CHARS = 50_000


class PostRefused(ValueError):
    """The draft can not be published as it is; the message says why (safe to show)."""


@dataclass(frozen=True)
class Draft:
    text: str
    visibility: str = "public"
    title: str | None = None
    summary: str | None = None  # content warning
    sensitive: bool = False
    language: str | None = None
    in_reply_to: str | None = None
    neighbourhood: str | None = None  # a Group id: `audience`; required for "members"
    media_ids: tuple[int, ...] = ()


def check_draft(draft: Draft) -> None:
    if not draft.text.strip() and not draft.media_ids:
        raise PostRefused("a post needs text or an image")
    if draft.visibility not in VISIBILITIES:
        raise PostRefused(f"visibility must be one of {', '.join(VISIBILITIES)}")
    if draft.visibility == "members" and not draft.neighbourhood:
        raise PostRefused("a members-only post needs a neighbourhood")
    limit = ARTICLE_MAX_CHARS if draft.title else NOTE_MAX_CHARS
    if len(draft.text) > limit:
        hint = "" if draft.title else "; give it a title to publish it as an article"
        raise PostRefused(f"a post may have at most {limit} characters{hint}")


async def publish_draft(fed: Federating, author: ActorRow, draft: Draft) -> ObjectRow:
    """Publish `draft` by the local `author`. Raises PostRefused."""
    check_draft(draft)
    if draft.in_reply_to and await group_store.is_locked(fed.pool, draft.in_reply_to):
        raise PostRefused("the conversation is locked: replies are closed")
    host = fed.settings.host
    handles = find_mentions(draft.text, host)
    actors = await resolve_mentions(fed, handles)
    links = {handle: MentionLink(actor.ap_id, actor.url or actor.ap_id) for handle, actor in actors.items()}
    hashtags = find_hashtags(draft.text)
    html = text_to_html(draft.text, local_host=host, mentions=links, tag_url=fed.urls.tag)
    options = PostOptions(
        title=draft.title,
        summary=draft.summary,
        sensitive=draft.sensitive,
        language=draft.language,
        hashtags=tuple(hashtags),
        neighbourhood=draft.neighbourhood,
        media_ids=draft.media_ids,
    )
    try:
        return await create_note(
            fed,
            author,
            html,
            visibility=draft.visibility,
            in_reply_to=draft.in_reply_to,
            mentions=[actor.ap_id for actor in actors.values()],
            options=options,
        )
    except ValueError as exc:
        raise PostRefused(str(exc)) from None
