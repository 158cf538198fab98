"""Who a post is addressed to, by visibility (as Mastodon and FEP-1b12 groups read it).

public     to: Public                 cc: author's followers, mentioned
unlisted   to: author's followers     cc: Public, mentioned
followers  to: author's followers     cc: mentioned
members    to: neighbourhood members  cc: mentioned        (+ `audience`: the neighbourhood)
direct     to: mentioned              cc: —
"""

from __future__ import annotations

from activitypub.terms import PUBLIC
from server.storage.actors import ActorRow

VISIBILITIES = ("public", "unlisted", "followers", "members", "direct")


class NeedsNeighbourhood(ValueError):
    """A members-only post must name the neighbourhood whose members may read it."""


def members_collection(neighbourhood_ap_id: str) -> str:
    """The members collection of a neighbourhood (Group): its id + `/members`."""
    return neighbourhood_ap_id + "/members"


def audience(
    author: ActorRow, visibility: str, mentions: list[str], neighbourhood: str | None = None
) -> tuple[list[str], list[str]]:
    """(to, cc) of a post."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"unknown visibility {visibility}")
    followers = author.followers_url or author.ap_id + "/followers"
    if visibility == "public":
        return [PUBLIC], [followers, *mentions]
    if visibility == "unlisted":
        return [followers], [PUBLIC, *mentions]
    if visibility == "followers":
        return [followers], list(mentions)
    if visibility == "members":
        if not neighbourhood:
            raise NeedsNeighbourhood("a members-only post needs a neighbourhood")
        return [members_collection(neighbourhood)], list(mentions)
    return list(mentions), []
