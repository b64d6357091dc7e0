"""uvicorn's command line, with the ``--workers N`` listener labelled as TCP (``TCP_NODELAY``).

    python uvicorn_nodelay.py module:app --workers 2 …   (the same arguments as ``uvicorn``)

With more than one worker, uvicorn (0.54) binds the listening socket itself as
``socket.socket(family)``, whose protocol number is 0; asyncio sets ``TCP_NODELAY`` on accepted
connections only when that number is ``IPPROTO_TCP``, so every keep-alive response then waits
for the client's delayed ACK (~40 ms on Linux) and a two-worker server answers a few hundred
requests/s. One worker is unaffected (asyncio creates that listener). This is uvicorn issue
#3149; ``run.py`` starts the uvicorn peers through this wrapper so that the comparison measures
the frameworks, not that bug. The wrapper changes nothing once the listener already says TCP.
"""

from __future__ import annotations

import socket
import sys

import uvicorn.config
from uvicorn.main import main

_bind_socket = uvicorn.config.Config.bind_socket


def _bind_tcp_socket(self: uvicorn.config.Config) -> socket.socket:
    sock = _bind_socket(self)
    if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
        # The same descriptor, re-wrapped with the protocol number asyncio looks at.
        sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
        sock.set_inheritable(True)
    return sock


uvicorn.config.Config.bind_socket = _bind_tcp_socket  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
