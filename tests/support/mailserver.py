"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""
import threading
import time
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from bench.common import free_port


class CollectingHandler:
    def __init__(self):
        self.messages = []
        self.envelopes = []
        #: The DATA bytes exactly as the server received them (before any parsing).
        self.raw = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.envelopes.append(envelope)
            self.raw.append(envelope.original_content)
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self, controller, handler):
        self.controller = controller
        self.handler = handler

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.controller.port}"

    @property
    def messages(self):
        with self.handler.lock:
            return list(self.handler.messages)

    @property
    def raw_messages(self):
        """The bytes of each message as received on the wire, in arrival order."""
        with self.handler.lock:
            return list(self.handler.raw)

    def wait_for(self, count, timeout=10):
        """Wait until at least `count` messages arrived; return them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                return self.messages
            time.sleep(0.02)
        raise AssertionError(f"expected {count} messages, got {len(self.messages)}")


@pytest.fixture
def smtp_server():
    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SMTPServer(controller, handler)
    finally:
        controller.stop()
