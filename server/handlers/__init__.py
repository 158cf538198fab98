"""Side effects of incoming activities, one module per verb family, registered on
`server.handlers.context.dispatcher` when imported here."""

# event_invites before groups: both take Invites, and the groups' delegate would refuse an
# Invite to an event as one into "something that is not a remote group".
from server.handlers import (
    actors,
    content,
    delegates,
    event_invites,
    events,
    follows,
    groups,
    moderation,
    polls,
    reactions,
)
from server.handlers.context import dispatcher

__all__ = [
    "actors", "content", "delegates", "dispatcher", "event_invites", "events", "follows", "groups", "moderation",
    "polls", "reactions",
]  # fmt: skip
