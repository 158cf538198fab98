"""A plain-HTTP 'browser' for page tests: keeps cookies (IP hosts included), reads the
CSRF token out of each page and submits forms the way a browser without JavaScript does."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.harness import Instance

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class PageClient:
    instance: Instance
    language: str = "en"
    session: aiohttp.ClientSession = field(init=False)
    last_page: str = ""

    async def __aenter__(self) -> PageClient:
        self.session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.session.close()

    def headers(self) -> dict[str, str]:
        return {"Accept": "text/html", "Accept-Language": self.language}

    async def get(self, path: str) -> tuple[int, str]:
        url = path if path.startswith("http") else self.instance.url(path)
        async with self.session.get(url, headers=self.headers()) as resp:
            self.last_page = await resp.text()
            return resp.status, self.last_page

    def csrf(self) -> str:
        found = CSRF_RE.search(self.last_page)
        assert found, "the page has no form with a CSRF token"
        return found.group(1)

    async def submit(
        self, path: str, data: dict[str, str], *, from_page: str | None = None, follow: bool = True
    ) -> tuple[int, str, Any]:
        """POST a form as a browser would after loading `from_page` (default: the action)."""
        await self.get(from_page or path)
        body = {"csrf": self.csrf(), **data}
        async with self.session.post(
            self.instance.url(path), data=body, headers=self.headers(), allow_redirects=follow
        ) as resp:
            self.last_page = await resp.text()
            return resp.status, self.last_page, resp

    async def register(self, username: str, password: str = "correct horse battery") -> int:
        status, _, _ = await self.submit(
            "/register", {"username": username, "password": password, "password2": password}
        )
        return status

    async def login(self, username: str, password: str = "correct horse battery") -> int:
        status, _, _ = await self.submit("/login", {"username": username, "password": password})
        return status
