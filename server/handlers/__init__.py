"""Side effects of incoming activities, one module per verb family, registered on
`server.handlers.context.dispatcher` when imported here."""

from server.handlers import actors, content, delegates, events, follows, groups, moderation, polls, reactions
from server.handlers.context import dispatcher

__all__ = [
    "actors", "content", "delegates", "dispatcher", "events", "follows", "groups", "moderation", "polls",
    "reactions",
]  # fmt: skip
