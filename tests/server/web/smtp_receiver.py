"""A tiny SMTP receiver for tests: an asyncio server on loopback that speaks just enough of
the dialogue (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) to take messages, and keeps
them parsed. `silent=True` accepts connections and never answers (a dead server);
`refusing=True` (changeable while running) greets every connection with 421 and hangs up.
`connections` counts the connections it took."""

from __future__ import annotations

import asyncio
import email
import email.policy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage
    raw: bytes


@dataclass
class SmtpReceiver:
    host: str = "127.0.0.1"
    port: int = 0
    silent: bool = False
    refusing: bool = False
    connections: int = 0
    messages: list[Received] = field(default_factory=list)
    _server: asyncio.Server | None = None

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.refusing:
            writer.write(b"421 receiver.test Service not available, try again later\r\n")
            await writer.drain()
            writer.close()
            return
        if self.silent:
            await reader.read()  # say nothing until the client gives up
            writer.close()
            return

        async def reply(line: str) -> None:
            writer.write(line.encode() + b"\r\n")
            await writer.drain()

        sender, recipients = "", []
        await reply("220 receiver.test ESMTP")
        try:
            while line := await reader.readline():
                command = line.decode("ascii", "replace").strip()
                verb = command[:4].upper()
                if verb in ("EHLO", "HELO"):
                    await reply("250-receiver.test" if verb == "EHLO" else "250 receiver.test")
                    if verb == "EHLO":
                        await reply("250 8BITMIME")
                elif verb == "MAIL":
                    sender, recipients = command.split(":", 1)[1].strip(" <>"), []
                    await reply("250 OK")
                elif verb == "RCPT":
                    recipients.append(command.split(":", 1)[1].strip(" <>"))
                    await reply("250 OK")
                elif verb == "DATA":
                    await reply("354 End data with <CR><LF>.<CR><LF>")
                    raw = await reader.readuntil(b"\r\n.\r\n")
                    body = b"\r\n".join(part[1:] if part.startswith(b".") else part for part in raw[:-5].split(b"\r\n"))
                    parsed = email.message_from_bytes(body, policy=email.policy.default)
                    assert isinstance(parsed, EmailMessage)
                    self.messages.append(Received(sender, recipients, parsed, body))
                    await reply("250 OK queued")
                elif verb == "QUIT":
                    await reply("221 Bye")
                    break
                elif verb in ("RSET", "NOOP"):
                    await reply("250 OK")
                else:
                    await reply("502 Command not implemented")
        finally:
            writer.close()

    async def wait_for_messages(self, count: int, timeout: float = 15.0) -> list[Received]:  # noqa: ASYNC109
        from tests.harness import wait_for

        async def enough() -> bool:
            return len(self.messages) >= count

        await wait_for(enough, timeout=timeout)
        return self.messages


@asynccontextmanager
async def smtp_receiver(*, silent: bool = False, refusing: bool = False, port: int = 0) -> AsyncIterator[SmtpReceiver]:
    receiver = SmtpReceiver(silent=silent, refusing=refusing)
    server = await asyncio.start_server(receiver._session, receiver.host, port)
    receiver.port = server.sockets[0].getsockname()[1]
    receiver._server = server
    try:
        yield receiver
    finally:
        server.close()
        await server.wait_closed()
