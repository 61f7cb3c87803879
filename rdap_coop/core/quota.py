"""The personal-data quota: how many contacts with personal data a client may get a day.

Separate from the request rate (as in the RIPE database): a client that harvests
published personal data -- data its holders consented to publish -- is throttled
in what it learns, not in how often it asks. Each answer that shows personal data
of N contacts charges N to the client's daily count. Past the daily quota the
client gets the redacted view of such contacts for the rest of the (UTC) day; the
day it first goes over is a strike, and ``strikes_for_long_block`` strikes within
``strike_window_days`` earn a long block: the redacted view for
``long_block_days``. The arithmetic is pure; the state lives in this process or,
shared by every instance, in Redis (one script call per decision).
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

SECONDS_PER_DAY = 86_400
KEY_PREFIX = "rdap-coop:pdq:"


@dataclass(frozen=True, slots=True)
class QuotaPolicy:
    daily_contacts: int = 500
    strikes_for_long_block: int = 3
    strike_window_days: int = 30
    long_block_days: int = 30


@dataclass(frozen=True, slots=True)
class QuotaState:
    day: int = -1
    used: int = 0
    strikes: int = 0
    first_strike_day: int = -1
    struck_day: int = -1
    blocked_until_day: int = -1  # exclusive


def account(
    state: QuotaState, today: int, contacts: int, policy: QuotaPolicy
) -> tuple[QuotaState, bool]:
    """Charge ``contacts``; returns the new state and whether they may be shown."""
    if today < state.blocked_until_day:
        return state, False
    if state.day != today:
        state = replace(state, day=today, used=0)
    if state.used + contacts <= policy.daily_contacts:
        return replace(state, used=state.used + contacts), True
    if state.struck_day != today:
        state = _strike(state, today, policy)
    return state, False


def _strike(state: QuotaState, today: int, policy: QuotaPolicy) -> QuotaState:
    if state.first_strike_day < 0 or today - state.first_strike_day >= policy.strike_window_days:
        state = replace(state, strikes=0, first_strike_day=today)
    state = replace(state, strikes=state.strikes + 1, struck_day=today)
    if state.strikes >= policy.strikes_for_long_block:
        state = replace(state, blocked_until_day=today + policy.long_block_days, strikes=0,
                        first_strike_day=-1)
    return state


class QuotaStore(Protocol):
    async def charge(self, key: str, contacts: int, today: int, policy: QuotaPolicy) -> bool: ...


class InProcessQuotaStore:
    """Quota state in memory, bounded to ``max_keys`` clients (least recently seen go)."""

    def __init__(self, *, max_keys: int = 100_000) -> None:
        self._max_keys = max_keys
        self._states: OrderedDict[str, QuotaState] = OrderedDict()

    async def charge(self, key: str, contacts: int, today: int, policy: QuotaPolicy) -> bool:
        state, allowed = account(self._states.get(key, QuotaState()), today, contacts, policy)
        self._states[key] = state
        self._states.move_to_end(key)
        while len(self._states) > self._max_keys:
            self._states.popitem(last=False)
        return allowed


# The same arithmetic as ``account``, atomically on Redis (integers only).
_ACCOUNT_SCRIPT = """
local f = redis.call('HMGET', KEYS[1], 'day', 'used', 'strikes', 'first', 'struck', 'until')
local day = tonumber(f[1]) or -1
local used = tonumber(f[2]) or 0
local strikes = tonumber(f[3]) or 0
local first = tonumber(f[4]) or -1
local struck = tonumber(f[5]) or -1
local blocked_until = tonumber(f[6]) or -1
local today, contacts, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local need, window, long = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
if today < blocked_until then return 0 end
if day ~= today then day = today; used = 0 end
local allowed = 0
if used + contacts <= limit then
  used = used + contacts
  allowed = 1
elseif struck ~= today then
  if first < 0 or today - first >= window then strikes = 0; first = today end
  strikes = strikes + 1
  struck = today
  if strikes >= need then blocked_until = today + long; strikes = 0; first = -1 end
end
redis.call('HSET', KEYS[1], 'day', day, 'used', used, 'strikes', strikes, 'first', first,
           'struck', struck, 'until', blocked_until)
redis.call('EXPIRE', KEYS[1], (math.max(window, long) + 1) * 86400)
return allowed
"""


class RedisQuotaStore:
    """Shared quota state; while Redis is unreachable, this process's memory stands in."""

    def __init__(self, client: Redis, fallback: InProcessQuotaStore) -> None:
        self._script = client.register_script(_ACCOUNT_SCRIPT)
        self._fallback = fallback
        self.degraded = False

    async def charge(self, key: str, contacts: int, today: int, policy: QuotaPolicy) -> bool:
        args = [today, contacts, policy.daily_contacts, policy.strikes_for_long_block,
                policy.strike_window_days, policy.long_block_days]
        try:
            allowed = await self._script(keys=[KEY_PREFIX + key], args=args)
        except (RedisError, OSError) as error:
            if not self.degraded:
                log.warning("quota store unreachable (%s); counting in this process", error)
            self.degraded = True
            return await self._fallback.charge(key, contacts, today, policy)
        self.degraded = False
        return bool(allowed)


class PersonalDataQuota:
    """The quota both front ends consult before showing personal data."""

    def __init__(
        self,
        store: QuotaStore,
        policy: QuotaPolicy,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.policy = policy
        self._clock = clock

    async def admit(self, key: str, contacts: int) -> bool:
        """Whether ``key`` may see ``contacts`` more contacts' personal data today."""
        if contacts <= 0:
            return True
        today = int(self._clock() // SECONDS_PER_DAY)
        return await self.store.charge(key, contacts, today, self.policy)
