"""Counting what the service asks of a broker, instead of timing it.

`connection_attempts(monkeypatch, url)` watches every TCP connect this process makes to the
broker at `url` (a spy around socket.connect: the real connect still runs) and records the
timeout each socket carried, so a test can say "one attempt, bounded by the timeout I set"
rather than "it took under N seconds", which a busy machine can make false.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Attempts:
    port: int
    sockets: list[socket.socket] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.sockets)

    def timeouts(self) -> list[float | None]:
        """The timeout each socket holds now: its read bound once connected (redis-py sets
        socket_timeout after the connect, which was bounded by socket_connect_timeout)."""
        return [s.gettimeout() for s in self.sockets]


def connection_attempts(monkeypatch, url: str) -> Attempts:
    attempts = Attempts(port=urlsplit(url).port)
    real_connect = socket.socket.connect

    def connect(sock, address):
        if isinstance(address, tuple) and address[1] == attempts.port:
            attempts.sockets.append(sock)
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts
