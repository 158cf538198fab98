"""Side effects of incoming activities, one module per verb family, registered on
`server.handlers.context.dispatcher` when imported here."""

from server.handlers import actors, content, delegates, follows, moderation, reactions
from server.handlers.context import dispatcher

__all__ = ["actors", "content", "delegates", "dispatcher", "follows", "moderation", "reactions"]
