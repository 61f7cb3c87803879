"""The census of a service's descriptors: what a fault left behind.

Counted from ``/proc/<pid>/fd``, each TCP socket classified by ``/proc/net/tcp``:
listeners, client connections accepted on the service's own ports, and outgoing
connections by the port they reach (a standby, Redis). After a fault and its repair,
a service must hold what it held before: the same files and listeners, no client
connection once its clients have gone, and only the database and Redis connections
its pools are allowed.
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

LISTEN = "0A"  # the TCP state as /proc/net/tcp writes it


@dataclass(frozen=True, slots=True)
class Census:
    """One moment's descriptors of a service's processes."""

    files: int  # everything but TCP sockets: files, pipes, the event loop's own
    listening: int
    clients: int  # connections accepted on the service's ports
    peers: Counter[int] = field(default_factory=Counter)  # outgoing, by remote port

    @property
    def total(self) -> int:
        return self.files + self.listening + self.clients + sum(self.peers.values())

    def __str__(self) -> str:
        return str(self.total)


def tcp_sockets() -> dict[int, tuple[int, int, str]]:
    """Socket inode -> (local port, remote port, state), for the whole host."""
    table = {}
    for name in ("tcp", "tcp6"):
        for line in Path(f"/proc/net/{name}").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = (int(f.rsplit(":", 1)[1], 16) for f in fields[1:3])
            table[int(fields[9])] = (local, remote, fields[3])
    return table


def socket_inodes(pid: int) -> Iterator[int]:
    """The inodes of a process's sockets (of any kind: the caller looks them up)."""
    for entry in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):  # closed meanwhile
            target = os.readlink(entry)
            if target.startswith("socket:["):
                yield int(target[8:-1])


def census(pids: Sequence[int], served_ports: Sequence[int]) -> Census:
    """The descriptors of ``pids`` now; ``served_ports`` are those they accept on."""
    sockets = tcp_sockets()
    files = listening = clients = 0
    peers: Counter[int] = Counter()
    for pid in pids:
        descriptors = len(os.listdir(f"/proc/{pid}/fd"))
        inodes = [inode for inode in socket_inodes(pid) if inode in sockets]
        files += descriptors - len(inodes)
        for inode in inodes:
            local, remote, state = sockets[inode]
            if state == LISTEN:
                listening += 1
            elif local in served_ports:
                clients += 1
            else:
                peers[remote] += 1
    return Census(files, listening, clients, peers)


def held(pids: Sequence[int], port: int, client_ports: set[int]) -> int:
    """How many connections from ``client_ports`` to ``port`` these processes hold."""
    sockets = tcp_sockets()
    return sum(1 for pid in pids for inode in socket_inodes(pid)
               if inode in sockets and sockets[inode][0] == port
               and sockets[inode][1] in client_ports)


def assert_no_leak(before: Census, after: Census) -> None:
    """The same descriptors as at the baseline, and no client connection left open.
    (Outgoing connections are compared by each test: which ones it expects is its own.)"""
    assert after.clients == 0, repr(after)
    assert (after.files, after.listening) == (before.files, before.listening), (
        repr(before), repr(after))
