"""The HTTP protocol `llama serve` runs: uvicorn's h11 protocol with Nagle's algorithm turned off on
every connection, whatever the number of processes.

With `--workers N` uvicorn binds the listening socket itself, as `socket.socket(AF_INET,
SOCK_STREAM)`: its `proto` attribute is 0, not IPPROTO_TCP, the accepted connections inherit that,
and asyncio only sets TCP_NODELAY on sockets whose `proto` says TCP. A response written in two sends
(head, then body) then waited for the client's delayed ACK: 44 ms on every request after the first
on a keep-alive connection, against 0.6 ms with one process (`llama serve --workers 2`, GET /login,
measured one request at a time).
"""

from __future__ import annotations

import asyncio
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


def send_without_delay(transport: asyncio.BaseTransport) -> None:
    """TCP_NODELAY on the transport's socket, when it is a TCP one."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # as H11Protocol
        send_without_delay(transport)
        super().connection_made(transport)
