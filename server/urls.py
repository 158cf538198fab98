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

    def subscribe_template(self) -> str:
        return f"{self.base}/authorize_interaction?uri={{uri}}"

    def is_local(self, url: str) -> bool:
        return url == self.base or url.startswith(self.base + "/") or url.startswith(self.base + "#")
