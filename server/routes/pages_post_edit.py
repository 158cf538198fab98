"""Editing one's own post from the web: the text comes back as typed (paragraphs and line
breaks), mentions and hashtags are made into links and Mention/Hashtag tags again (newly
mentioned people are addressed and notified), and the change federates as Update
(server.domain.posts.edit_note)."""

from __future__ import annotations

import html
import re

from aiohttp import web

from server.domain.compose import ARTICLE_MAX_CHARS, NOTE_MAX_CHARS
from server.domain.mentions import resolve_mentions
from server.domain.post_text import MentionLink, find_hashtags, find_mentions, text_to_html
from server.domain.posts import NotAllowed, edit_note
from server.routes.pages_posts import NOT_FOUND, back_to, visible_post
from server.storage.actors import ActorRow
from server.storage.objects import ObjectRow
from server.web.access import federating, require_resident
from server.web.forms import Form, read_form
from server.web.templating import render, render_error

_TAG_RE = re.compile(r"<[^>]*>")


def html_to_text(content: str) -> str:
    """A post's HTML as the text one would type: paragraphs, line breaks, no tags."""
    text = re.sub(r"</p>\s*<p[^>]*>", "\n\n", content)
    text = re.sub(r"<br\s*/?>", "\n", text)
    return html.unescape(_TAG_RE.sub("", text)).strip()


async def own_post(request: web.Request, me: ActorRow, uri: str) -> ObjectRow | None:
    post = await visible_post(request, uri.strip(), me)
    return post if post is not None and post.is_local and post.actor_id == me.id else None


async def edit_page(request: web.Request) -> web.Response:
    me = await require_resident(request)
    post = await own_post(request, me, request.query.get("uri", ""))
    if post is None:
        return render_error(request, 404, NOT_FOUND)
    form = Form(values={"uri": post.ap_id, "content": html_to_text(post.content or "")})
    return render(request, "post_edit.html", {"form": form})


async def save_edit(request: web.Request) -> web.Response:
    me = await require_resident(request)
    form = await read_form(request, ("uri", "content"))
    post = await own_post(request, me, form.value("uri"))
    if post is None:
        return render_error(request, 404, NOT_FOUND)
    form.require("content", "Write something first.")
    if post.type == "Article":
        form.limit("content", ARTICLE_MAX_CHARS, "An article has at most 50000 characters.")
    else:
        form.limit("content", NOTE_MAX_CHARS, "A post has at most 5000 characters.")
    if not form.is_valid:
        return render(request, "post_edit.html", {"form": form}, status=400)
    fed = federating(request)
    text = form.value("content")
    actors = await resolve_mentions(fed, find_mentions(text, fed.settings.host))
    links = {handle: MentionLink(actor.ap_id, actor.url or actor.ap_id) for handle, actor in actors.items()}
    content = text_to_html(text, local_host=fed.settings.host, mentions=links, tag_url=fed.urls.tag)
    try:
        await edit_note(
            fed,
            me,
            post.ap_id,
            content,
            mentions=[actor.ap_id for actor in actors.values()],
            hashtags=find_hashtags(text),
        )
    except NotAllowed:
        return render_error(request, 404, NOT_FOUND)
    raise back_to(request, post, "edited")


def setup(app: web.Application) -> None:
    app.router.add_get("/post/edit", edit_page)
    app.router.add_post("/post/edit", save_edit)
