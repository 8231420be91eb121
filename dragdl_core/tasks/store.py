"""Task records in Redis: one hash per task plus a newest-first index overall and per user.

The records are ours, not RQ's: they have no expiry, so a task outlives its RQ job, and they sit in the same
AOF-persisted Redis, so they outlive restarts. Every state change is one atomic compare-and-set (a small Lua
script), so a stop and a worker picking the task up cannot both win."""
from __future__ import annotations

import json
import time

from ..rundir import FINAL_STATES  # noqa: F401  (status.json and the records share the states)
from .connection import text_connection

PREFIX = "dragdl:"
ALL_INDEX = PREFIX + "tasks"
RUNNING = PREFIX + "running"
STATS = PREFIX + "stats"
STATES = ("queued", "running", "succeeded", "failed", "stopped")

_FLOATS = ("created", "started", "finished", "heartbeat", "accuracy", "progress")
_INTS = ("attempts",)

# ARGV[1]: {"from": [states] (empty: any), "where": {field: value}, "set": {field: value}, "unset": [fields]}
# Returns -1 when the task does not exist, 0 when a condition fails, 1 when applied.
_TRANSITION = """
local spec = cjson.decode(ARGV[1])
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
if #spec['from'] > 0 then
  local ok = false
  for _, s in ipairs(spec['from']) do if s == state then ok = true end end
  if not ok then return 0 end
end
for field, value in pairs(spec['where']) do
  if redis.call('HGET', KEYS[1], field) ~= value then return 0 end
end
for field, value in pairs(spec['set']) do redis.call('HSET', KEYS[1], field, value) end
for _, field in ipairs(spec['unset']) do redis.call('HDEL', KEYS[1], field) end
local new_state = spec['set']['state']
if new_state == 'running' then redis.call('SADD', KEYS[2], ARGV[2])
elseif new_state then redis.call('SREM', KEYS[2], ARGV[2]) end
return 1
"""


# Many records in one round trip and one JSON document: parsing 1,000 hashes reply by reply in redis-py
# costs ~50 ms, one json.loads a few.
_MANY = """
local out = {}
for _, key in ipairs(KEYS) do
  local flat = redis.call('HGETALL', key)
  if #flat > 0 then
    local record = {}
    for i = 1, #flat, 2 do record[flat[i]] = flat[i + 1] end
    out[#out + 1] = record
  end
end
if #out == 0 then return '[]' end
return cjson.encode(out)
"""


def task_key(task_id: str) -> str:
    return f"{PREFIX}task:{task_id}"


def user_index(user: str) -> str:
    return f"{PREFIX}user:{user}:tasks"


def user_lock(user: str) -> str:
    """Held while a user's active tasks are counted and a new one is recorded (the per-user cap)."""
    return f"{PREFIX}user:{user}:lock"


def _decode(raw: dict) -> dict:
    record = dict(raw)
    for name in _FLOATS:
        record[name] = float(record[name]) if record.get(name) not in (None, "") else None
    for name in _INTS:
        record[name] = int(record.get(name) or 0)
    record["stop_requested"] = bool(record.get("stop_requested"))
    record.setdefault("error", None)
    return record


def _encode(fields: dict) -> dict:
    return {k: (json.dumps(v) if isinstance(v, (dict, list)) else str(v)) for k, v in fields.items()
            if v is not None}


class TaskStore:
    def __init__(self, client=None):
        self.redis = client or text_connection()
        self._transition = self.redis.register_script(_TRANSITION)
        self._many = self.redis.register_script(_MANY)

    def create(self, record: dict) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(task_key(record["id"]), mapping=_encode(record))
        pipe.zadd(ALL_INDEX, {record["id"]: record["created"]})
        pipe.zadd(user_index(record["user"]), {record["id"]: record["created"]})
        pipe.execute()

    def get(self, task_id: str) -> dict | None:
        raw = self.redis.hgetall(task_key(task_id))
        return _decode(raw) if raw else None

    def many(self, task_ids: list[str], batch: int = 2000) -> list[dict]:
        """Records in the order of `task_ids`, skipping deleted ones."""
        found = []
        for start in range(0, len(task_ids), batch):  # batches keep Redis answering others in between
            keys = [task_key(t) for t in task_ids[start:start + batch]]
            found.extend(json.loads(self._many(keys=keys)))
        return [_decode(raw) for raw in found]

    def ids(self, user: str | None = None) -> list[str]:
        """Task ids, newest first."""
        return self.redis.zrevrange(user_index(user) if user else ALL_INDEX, 0, -1)

    def running_ids(self) -> list[str]:
        return sorted(self.redis.smembers(RUNNING))

    def transition(self, task_id: str, from_states=(), to: str | None = None, where: dict | None = None,
                   unset=(), **fields) -> bool | None:
        """Apply `fields` (and the new state `to`) only if the task is in one of `from_states` and matches
        `where`. True: applied; False: a condition failed; None: no such task."""
        values = _encode({**fields, **({"state": to} if to else {})})
        spec = {"from": list(from_states), "where": _encode(where or {}), "set": values, "unset": list(unset)}
        # cjson decodes [] and {} alike; an empty table is fine for both loops.
        result = self._transition(keys=[task_key(task_id), RUNNING], args=[json.dumps(spec), task_id])
        return None if result == -1 else bool(result)

    def delete(self, task_id: str, user: str) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(task_key(task_id))
        pipe.zrem(ALL_INDEX, task_id)
        pipe.zrem(user_index(user), task_id)
        pipe.srem(RUNNING, task_id)
        pipe.execute()

    # -- durations, for estimates ---------------------------------------------------------------------
    def record_duration(self, seconds: float) -> None:
        """A moving average of how long finished tasks ran, for queue ETAs."""
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.hincrbyfloat(STATS, "recent_seconds_sum", seconds)
            pipe.hincrby(STATS, "recent_count", 1)
            total, count = pipe.execute()
        if count > 50:  # keep it recent: halve both, the average stays, old tasks weigh less
            self.redis.hset(STATS, mapping={"recent_seconds_sum": float(total) / 2, "recent_count": count // 2})

    def average_duration(self) -> float | None:
        total, count = self.redis.hmget(STATS, "recent_seconds_sum", "recent_count")
        return float(total) / int(count) if count and int(count) > 0 else None


def now() -> float:
    return round(time.time(), 3)
