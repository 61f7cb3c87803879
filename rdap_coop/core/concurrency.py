"""A bounded count of work in flight, for shedding load instead of queueing it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class ConcurrencyCap:
    """Mutable by design: one per process, entered and left around each request."""

    limit: int
    in_flight: int = 0

    def try_enter(self) -> bool:
        if self.in_flight >= self.limit:
            return False
        self.in_flight += 1
        return True

    def leave(self) -> None:
        self.in_flight -= 1
