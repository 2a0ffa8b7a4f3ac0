"""A real SMTP server a test starts (aiosmtpd), which keeps what it accepted (no tests here)."""

import asyncio
import threading
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class Mailbox:
    """The SMTP handler: keeps each message it accepted; while `holding`, leaves a DATA unanswered
    (the client waits for its reply, as on a slow server) and, released, refuses it. With
    `accepting` set to a number, it takes that many more messages and refuses the rest for now
    (451, as a server that fails mid-session); None: no such limit."""

    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.holding = threading.Event()
        self.held = threading.Event()  # set once a DATA is being held
        self.accepting: int | None = None
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        if self.holding.is_set():
            self.held.set()
            while self.holding.is_set():
                await asyncio.sleep(0.05)
            # Never accepted: its sender got no 250, so it was not sent.
            return "451 Held by the test and not accepted"
        with self._lock:
            if self.accepting is not None:
                if self.accepting == 0:
                    return "451 Refused by the test for now"
                self.accepting -= 1
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def received(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.messages)


@contextmanager
def smtp_server(port: int):
    """Run an SMTP server on local `port` while the block runs; yields its mailbox."""
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield mailbox
    finally:
        mailbox.holding.clear()
        controller.stop()
