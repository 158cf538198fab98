"""Where things live on this instance: the one place that builds our URLs."""

from __future__ import annotations

from urllib.parse import quote

from server.config import Settings

INSTANCE_ACTOR_USERNAME = "instance.actor"
RESERVED_USERNAMES = frozenset(
    {
        INSTANCE_ACTOR_USERNAME,
        "admin",
        "api",
        "actor",
        "inbox",
        "outbox",
        "static",
        "well-known",
        "healthz",
        "readyz",
        "metrics",
        "objects",
        "actors",
        "tags",
        "login",
        "logout",
        "settings",
    }
)


class Urls:
    def __init__(self, settings: Settings) -> None:
        self.base = settings.base_url

    def actor(self, username: str) -> str:
        if username == INSTANCE_ACTOR_USERNAME:
            return f"{self.base}/actor"
        return f"{self.base}/actors/{quote(username)}"

    def profile(self, username: str) -> str:
        return f"{self.base}/@{quote(username)}"

    def inbox(self, username: str) -> str:
        return self.actor(username) + "/inbox"

    def outbox(self, username: str) -> str:
        return self.actor(username) + "/outbox"

    def followers(self, username: str) -> str:
        return self.actor(username) + "/followers"

    def following(self, username: str) -> str:
        return self.actor(username) + "/following"

    def featured(self, username: str) -> str:
        return self.actor(username) + "/featured"

    def moderators(self, username: str) -> str:
        """A neighbourhood's moderators (FEP-1b12: the Group's `attributedTo`)."""
        return self.actor(username) + "/moderators"

    def shared_inbox(self) -> str:
        return f"{self.base}/inbox"

    def main_key(self, username: str) -> str:
        return self.actor(username) + "#main-key"

    def ed25519_key(self, username: str) -> str:
        return self.actor(username) + "#ed25519-key"

    def object(self, uid: str) -> str:
        return f"{self.base}/objects/{uid}"

    def activity(self, uid: str) -> str:
        return f"{self.base}/activities/{uid}"

    def media(self, file_name: str) -> str:
        return f"{self.base}/media/{quote(file_name)}"

    def tag(self, name: str) -> str:
        return f"{self.base}/tags/{quote(name)}"

    def subscribe_template(self) -> str:
        return f"{self.base}/authorize_interaction?uri={{uri}}"

    # Public feeds (docs/feeds.md): scope is "instance", "neighbourhoods/<name>",
    # "residents/<name>" or "tags/<tag>"; fmt is "atom" or "rss".
    def feed(self, scope: str, fmt: str) -> str:
        return f"{self.base}/feeds/{quote(scope)}.{fmt}"

    def calendar(self, scope: str) -> str:
        """scope: "instance", "neighbourhoods/<name>", "events/<uid>" or "my/<token>"."""
        return f"{self.base}/calendar/{quote(scope)}.ics"

    def webcal(self, https_url: str) -> str:
        return "webcal://" + https_url.split("://", 1)[1]

    def api(self, path: str) -> str:
        return f"{self.base}/api/{path.lstrip('/')}"

    def embed(self, neighbourhood: str, kind: str) -> str:
        return f"{self.base}/embed/neighbourhoods/{quote(neighbourhood)}/{kind}"

    def is_local(self, url: str) -> bool:
        return url == self.base or url.startswith(self.base + "/") or url.startswith(self.base + "#")
