"""E-mail backends for the tests: the SMTP edge is the one thing mocked.

They subclass Django's locmem backend, so a message that "went out" lands in mail.outbox.
"""

from __future__ import annotations

import smtplib
import threading
import time

from django.core.mail.backends import locmem


class FlakyBackend(locmem.EmailBackend):
    """Fails the next `failures` sends the way a mail server that went away does."""

    failures = 0
    calls = 0
    _lock = threading.Lock()

    @classmethod
    def reset(cls, failures: int) -> None:
        cls.failures, cls.calls = failures, 0

    def send_messages(self, messages):
        with self._lock:
            FlakyBackend.calls += 1
            fail = FlakyBackend.failures > 0
            if fail:
                FlakyBackend.failures -= 1
        if fail:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return super().send_messages(messages)


class SlowBackend(locmem.EmailBackend):
    """Takes a little while per message, so two senders overlap in time."""

    def send_messages(self, messages):
        time.sleep(0.02)
        return super().send_messages(messages)
