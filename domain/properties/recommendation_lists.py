"""The recommendation lists kept in Redis, one sorted set per cached subtree, updated in place.

Keys, under KEY_PREFIX (raw keys of the cache's Redis, through django-redis's
raw client; not Redis Cluster safe: the scripts name keys they compute):

- `list:<category>`: a sorted set, member the property id zero-padded to 19
  digits, score its `created_at` in whole microseconds since the epoch, as
  the database computes it (epoch.py; exact in a double until the year 2255).
  ZREVRANGE orders by score, then ties by member, both descending:
  `-created_at, -id`, the database's order. Every stored list also holds
  SENTINEL, scored -inf: a list found without it was evicted (the cache's
  Redis evicts keys), which makes it incomplete whatever its mark says.
- `ready:<category>`: `ok` while the list is complete; `b:<token>` while one
  request builds it; absent otherwise (never built, expired, dropped). Only a
  list marked `ok` is read or updated: adding to a list that is not complete
  would serve a partial list as complete.
- `touched:<category>`: the properties an update met while the list was being
  built, replayed by the build when it stores its snapshot.
- `tickets`, `applied`: per property, the last ticket handed out, and the
  ticket, score and listing categories of the newest state applied (one
  hash field each per property ever updated: a few megabytes for 100,000;
  kept when the lists are dropped, since an update in flight relies on them).
  A ticket is always above the applied one, so the cache evicting `tickets`
  alone does not make every later update look older than the applied state.
- `generation`: a random token, replaced by every drop of lists (a tree
  change drops the lists above it) and set by the first update that finds
  none. An update reads it with its tickets, before it reads the tree.

The races, and why each ends right:

- Two updates of one property at once (a booking and its release): each takes
  a ticket before it reads the row, after its own commit, so the update with
  the highest ticket read the newest committed state. The update script
  records the newest state in `applied` and moves the property in every list
  to that state, whichever update runs it first: an older update that lands
  late only repeats the newest state (and removes the property from the
  lists it knew it left). Updates of different properties touch different
  members, and each script runs atomically.
- An update that read the tree (the categories listing its property) before
  a category move committed, and lands after the move dropped the lists it
  changed and a miss built one again: it would put its property back into
  a list it left. The move's drop replaces `generation` in the same
  transaction as it deletes the lists, and the update script applies nothing
  when `generation` is no longer the one read with the tickets (nor when it
  was evicted): the update reads the tree again and retries. An update that
  landed before the drop is undone by the drop itself.
- A miss building a list while updates land: the build marks the list
  `b:<token>`, reads the database, writes its snapshot into a key of its own,
  and stores it with a script that, atomically, renames the snapshot into
  the list, replays from `applied` every property an update met meanwhile
  (`touched`), and marks the list `ok`, unless the mark is no longer its own
  (the list was dropped, or its mark expired and another build took over):
  then it discards its snapshot. An update that ran before the build's read
  is in the snapshot; one during it is replayed; one after it updates the
  complete list.
- An update whose Redis write failed: the lists it should have updated are
  dropped (their keys deleted), retried from a background thread with
  backoff until Redis answers, and first by any read of a list in the same
  process (recommendations.py); a dropped list is a miss, rebuilt from the
  database. Until the drop lands other processes may read the list stale;
  the lists expire after LIST_TIMEOUT in any case, which bounds a process
  that died meanwhile.
- Redis down: every read or build raises, which the callers turn into a
  miss answered from the database.
"""

import logging
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from redis.exceptions import RedisError

from domain.cache_redis import cache_redis

logger = logging.getLogger(__name__)

# Bump the version when a key changes meaning: old keys are then never read.
KEY_PREFIX = "recommendations:v3"
# A backstop only: updates keep the lists exact, this bounds one that was lost.
LIST_TIMEOUT = 10 * 60
# Longer than computing the largest subtree takes.
BUILD_TIMEOUT = 10
# A snapshot is written into its own key this many members per command.
SNAPSHOT_CHUNK = 5_000
# The delays between two attempts to drop lists after a failed update.
DROP_RETRY_DELAYS = (0.5, 1, 2, 4, 8, 16, 32, 64)

ID_DIGITS = 19  # 2**63 - 1 has 19 digits


def member(property_id: int) -> str:
    return f"{property_id:0{ID_DIGITS}d}"


# The member every stored list holds besides its properties' (no property has the id 0), scored below
# them all: a list marked complete without it was evicted by the cache's Redis (allkeys-lru), which
# may take the list and leave its mark, and is not complete. (An empty sorted set has no key, so
# without it an evicted list and an empty one look the same.)
SENTINEL = member(0)
# Lua: whether the complete mark `ready` ('ok') still has its list `list`; if not, the mark is
# deleted, so that the next miss can build the list again.
_INTACT = f"""
local function intact(ready, list)
    if redis.call('ZSCORE', list, '{SENTINEL}') then return true end
    redis.call('DEL', ready)
    return false
end
"""

# count, or -1 when the list is not complete.
_COUNT = (
    _INTACT
    + """
if redis.call('GET', KEYS[1]) ~= 'ok' or not intact(KEYS[1], KEYS[2]) then return -1 end
return redis.call('ZCARD', KEYS[2]) - 1
"""
)

# the page's members (the sentinel among them, past the last property), or false when the list is not
# complete.
_PAGE = (
    _INTACT
    + """
if redis.call('GET', KEYS[1]) ~= 'ok' or not intact(KEYS[1], KEYS[2]) then return false end
return redis.call('ZREVRANGE', KEYS[2], ARGV[1], ARGV[2])
"""
)

# KEYS: ready, list, touched, snapshot; ARGV: prefix, token, the mark's and the list's timeouts in ms.
_STORE = """
if redis.call('GET', KEYS[1]) ~= 'b:' .. ARGV[2] then
    redis.call('DEL', KEYS[4])
    return 0
end
local category = string.match(KEYS[1], ':(%d+)$')
if redis.call('EXISTS', KEYS[4]) == 1 then
    redis.call('RENAME', KEYS[4], KEYS[2])
else
    redis.call('DEL', KEYS[2])
end
for _, property in ipairs(redis.call('SMEMBERS', KEYS[3])) do
    local state = redis.call('HGET', ARGV[1] .. ':applied', property)
    local listed = false
    local at
    if state then
        local ticket, categories
        ticket, at, categories = string.match(state, '^(%d+) (%S*) (%S*)$')
        listed = string.find(',' .. categories .. ',', ',' .. category .. ',', 1, true) ~= nil
    end
    if listed then
        redis.call('ZADD', KEYS[2], at, property)
    else
        redis.call('ZREM', KEYS[2], property)
    end
end
redis.call('DEL', KEYS[3])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
redis.call('SET', KEYS[1], 'ok', 'PX', ARGV[3])
return 1
"""

# ARGV: prefix, build timeout in ms, the generation read with the tickets, then per property: member,
# ticket, score, listing categories (comma-separated; empty: not listed), other categories it may be
# listed in. 0 (nothing applied) when lists were dropped since the generation was read.
_UPDATE = (
    _INTACT
    + """
local prefix = ARGV[1]
if redis.call('GET', prefix .. ':generation') ~= ARGV[3] then return 0 end
local function split(text, into)
    for category in string.gmatch(text, '%d+') do into[category] = true end
end
for i = 4, #ARGV, 5 do
    local property, ticket, at, listing, others = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
    local touched = {}
    split(listing, touched)
    split(others, touched)
    local state = redis.call('HGET', prefix .. ':applied', property)
    local ours = true
    if state then
        local applied_ticket, applied_at, applied_listing = string.match(state, '^(%d+) (%S*) (%S*)$')
        split(applied_listing, touched)
        if tonumber(applied_ticket) >= ticket then
            -- an older update landing late: the newest state applied stays
            at, listing, ours = applied_at, applied_listing, false
        end
    end
    if ours then
        redis.call('HSET', prefix .. ':applied', property, ticket .. ' ' .. at .. ' ' .. listing)
    end
    local newest = {}
    split(listing, newest)
    for category in pairs(touched) do
        local ready = redis.call('GET', prefix .. ':ready:' .. category)
        if ready == 'ok' then
            if not intact(prefix .. ':ready:' .. category, prefix .. ':list:' .. category) then
                -- evicted: adding to it would make a partial list; the next miss builds it again
            elseif newest[category] then
                redis.call('ZADD', prefix .. ':list:' .. category, at, property)
            else
                redis.call('ZREM', prefix .. ':list:' .. category, property)
            end
        elseif ready then
            local building = prefix .. ':touched:' .. category
            redis.call('SADD', building, property)
            redis.call('PEXPIRE', building, ARGV[2])
        end
    end
end
return 1
"""
)


# ARGV: prefix, a new generation (taken if there is none), then the members; the tickets, in that
# order, then the generation.
_TAKE_TICKETS = """
local generation = redis.call('GET', ARGV[1] .. ':generation')
if not generation then
    generation = ARGV[2]
    redis.call('SET', ARGV[1] .. ':generation', generation)
end
local tickets = {}
for i = 3, #ARGV do
    local ticket = redis.call('HINCRBY', ARGV[1] .. ':tickets', ARGV[i], 1)
    local state = redis.call('HGET', ARGV[1] .. ':applied', ARGV[i])
    local applied = state and tonumber(string.match(state, '^(%d+) '))
    if applied and applied >= ticket then
        ticket = applied + 1
        redis.call('HSET', ARGV[1] .. ':tickets', ARGV[i], ticket)
    end
    tickets[#tickets + 1] = ticket
end
tickets[#tickets + 1] = generation
return tickets
"""


# KEYS: ready; ARGV: the build's mark.
_ABANDON = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
"""


def _keys(category_id: int) -> tuple[str, str, str]:
    return (
        f"{KEY_PREFIX}:ready:{category_id}",
        f"{KEY_PREFIX}:list:{category_id}",
        f"{KEY_PREFIX}:touched:{category_id}",
    )


class CachedList(Sequence):
    """A complete list in Redis, read a page at a time: its count was read when it was found
    complete; a slice reads only its members (ZREVRANGE start stop), whatever the list's length."""

    def __init__(self, *, category_id: int, count: int, fallback):
        self.category_id, self._count, self._fallback = category_id, count, fallback

    def __len__(self) -> int:
        return self._count

    def count(self) -> int:
        return self._count

    def __getitem__(self, index):
        if isinstance(index, int):
            items = self[index : index + 1 or None] if index >= -self._count else []
            if not items:
                raise IndexError(index)
            return items[0]
        if index.step not in (None, 1):
            raise ValueError("a cached list is read in order")
        start, stop, _ = index.indices(self._count)
        if stop <= start:
            return []
        ready, ids = _keys(self.category_id)[:2]
        try:
            members = cache_redis().eval(_PAGE, 2, ready, ids, start, stop - 1)
        except RedisError:  # failed since it counted the list: a miss, as a failed count is
            logger.error("recommendations: reading a page failed, answering from the database", exc_info=True)
            members = None
        if members is None:  # dropped since it was counted, or unreadable: from the database
            return list(self._fallback()[index])
        # The sentinel is past the last property: reached when the list shrank since it was counted.
        return [property_id for property_id in map(int, members) if property_id != 0]


def cached_list(*, category_id: int, fallback) -> CachedList | None:
    """The complete list of `category_id`, or None when it is not (one round trip).

    `fallback()` gives the ids from the database, for a page asked after the
    list was dropped. Raises RedisError when Redis does not answer.
    """
    ready, ids = _keys(category_id)[:2]
    count = cache_redis().eval(_COUNT, 2, ready, ids)
    if count < 0:
        return None
    return CachedList(category_id=category_id, count=count, fallback=fallback)


def begin_build(*, category_id: int) -> str | None:
    """Mark the list as being built by us: a token, or None when another build holds the mark or the
    list is complete. Call before reading the database."""
    token = uuid.uuid4().hex
    if cache_redis().set(_keys(category_id)[0], f"b:{token}", nx=True, px=BUILD_TIMEOUT * 1000):
        return token
    return None


def store_build(*, category_id: int, token: str, rows: Iterable[tuple[int, int]]) -> bool:
    """Store the snapshot `rows` (id, score) read after `begin_build`, with the updates that
    landed meanwhile; False (nothing stored) when the list was dropped since."""
    ready, ids, touched = _keys(category_id)
    snapshot = f"{KEY_PREFIX}:build:{category_id}:{token}"
    connection = cache_redis()
    pipeline = connection.pipeline(transaction=False)
    chunk: dict[str, int | str] = {SENTINEL: "-inf"}
    for property_id, property_score in rows:
        chunk[member(property_id)] = property_score
        if len(chunk) == SNAPSHOT_CHUNK:
            pipeline.zadd(snapshot, chunk)
            chunk = {}
    if chunk:
        pipeline.zadd(snapshot, chunk)
    # An abandoned snapshot (our process died) expires by itself.
    pipeline.pexpire(snapshot, BUILD_TIMEOUT * 1000)
    pipeline.execute()
    # The list outlives its mark: a mark still there over an expired list would serve it as empty.
    list_timeout = (LIST_TIMEOUT + BUILD_TIMEOUT) * 1000
    return bool(
        connection.eval(_STORE, 4, ready, ids, touched, snapshot, KEY_PREFIX, token, LIST_TIMEOUT * 1000, list_timeout)
    )


@dataclass(frozen=True)
class ListingChange:
    """Where a property is listed now: `listing` the categories whose lists hold it (empty: none),
    `elsewhere` other categories whose lists may still hold it."""

    property_id: int
    score: int | None
    listing: frozenset[int]
    elsewhere: frozenset[int]


@dataclass(frozen=True)
class Tickets:
    """Taken before an update reads the rows and the tree: a ticket per property, and the lists'
    generation, which a drop of lists (a tree change) replaces."""

    by_property: dict[int, int]
    generation: str


def take_tickets(property_ids: Sequence[int]) -> Tickets:
    """A ticket per property, taken before its row is read: the highest ticket read the newest row.

    Each is above the ticket of the newest state applied, even when the `tickets` hash was lost and
    `applied` kept (the cache's Redis may evict one key and not the other): a count started again
    from 1 would make every later update an "older one landing late", and re-apply a stale state.
    """
    *tickets, generation = cache_redis().eval(
        _TAKE_TICKETS, 0, KEY_PREFIX, uuid.uuid4().hex, *map(member, property_ids)
    )
    return Tickets(by_property=dict(zip(property_ids, tickets, strict=True)), generation=generation.decode())


def apply_changes(*, changes: Sequence[ListingChange], tickets: Tickets) -> bool:
    """Move each property to its listing in every complete list, atomically (one script); False, with
    nothing applied, when lists were dropped since the tickets were taken: the tree may have changed
    since it was read, so the changes must be read again."""
    arguments = [KEY_PREFIX, BUILD_TIMEOUT * 1000, tickets.generation]
    for change in changes:
        arguments += [
            member(change.property_id),
            tickets.by_property[change.property_id],
            change.score if change.listing else "",
            ",".join(map(str, sorted(change.listing))),
            ",".join(map(str, sorted(change.elsewhere))),
        ]
    return bool(cache_redis().eval(_UPDATE, 0, *arguments))


def _new_generation(connection) -> None:
    connection.set(f"{KEY_PREFIX}:generation", uuid.uuid4().hex)


def drop_lists(category_ids: Iterable[int]) -> None:
    """Delete the lists of `category_ids` (a build in flight then discards itself), and, in the same
    transaction, replace the generation, so that an update that read the tree before lands nothing.
    Raises RedisError."""
    keys = [key for category_id in category_ids for key in _keys(category_id)]
    if keys:
        pipeline = cache_redis().pipeline(transaction=True)
        _new_generation(pipeline)
        pipeline.delete(*keys)
        pipeline.execute()


def abandon_build(*, category_id: int, token: str) -> None:
    """Give up the build mark `token` (its read failed), so that the next miss builds. Raises RedisError."""
    cache_redis().eval(_ABANDON, 1, _keys(category_id)[0], f"b:{token}")


def drop_failed_drops() -> None:
    """Drop now the lists whose drop failed in this process and waits for its retry. Raises RedisError."""
    _retrier.drop_pending()


def drop_lists_retrying(category_ids: Iterable[int]) -> None:
    """`drop_lists`, now and, while Redis fails, again from a background thread with backoff."""
    category_ids = set(category_ids)
    try:
        drop_lists(category_ids)
        return
    except RedisError:
        logger.warning("dropping recommendation lists failed; retrying in the background", exc_info=True)
    _retrier.add(category_ids)


class _DropRetrier:
    """One thread per process retries every drop that failed, gathered: an outage under a stream
    of bookings must not start a thread per booking."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pending: set[int] = set()
        self.thread: threading.Thread | None = None

    def add(self, category_ids: set[int]) -> None:
        with self.lock:
            self.pending |= category_ids
            if self.thread is None:
                self.thread = threading.Thread(target=self._run, daemon=True, name="recommendation-drops")
                self.thread.start()

    def drop_pending(self) -> None:
        """Drop the lists whose drop failed, now, in this thread. Raises RedisError."""
        with self.lock:
            category_ids = set(self.pending)
        if category_ids:
            drop_lists(category_ids)
            with self.lock:
                self.pending -= category_ids

    def _run(self) -> None:
        for delay in DROP_RETRY_DELAYS:
            time.sleep(delay)
            try:
                self.drop_pending()
            except RedisError:
                continue
            with self.lock:
                if not self.pending:
                    self.thread = None
                    return
        with self.lock:
            logger.error(
                "recommendation lists %s could not be dropped; they expire within %d s",
                sorted(self.pending),
                LIST_TIMEOUT,
            )
            self.pending, self.thread = set(), None


_retrier = _DropRetrier()


def drop_all_lists() -> None:
    """Delete every list (not the per-property tickets: an update in flight still needs them)."""
    connection = cache_redis()
    # First: an update landing between two deletes would otherwise fill a list that was just emptied.
    _new_generation(connection)
    for kind in ("ready", "list", "touched", "build"):
        keys = list(connection.scan_iter(match=f"{KEY_PREFIX}:{kind}:*", count=1000))
        for start in range(0, len(keys), 1000):
            connection.delete(*keys[start : start + 1000])
