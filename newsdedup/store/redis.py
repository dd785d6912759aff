"""The shared index (``--index redis://HOST:PORT/DB``): the store kept in Redis, for several
machines. Keys (``P`` is ``--index-prefix``):

* ``P:meta`` (hash): schema and the sketch parameters the index is bound to, run count;
* ``P:files`` (hash): file key → its row (JSON: path, size, mtime, SHA-256, day, pruned);
* ``P:art`` (hash): file key → the normalised article (zlib-compressed JSON);
* ``P:sig`` (hash): file key → its document MinHash signature (uint32 × num_perm);
* ``P:assign`` (hash): file key → story id at the last run;
* ``P:matched`` (hash): file key → SHA-256 of each article the last run's links were computed
  over; ``P:links`` (hash): ``key_a`` NUL SOH ``key_b`` → the link's fields (JSON); the
  fingerprint of what they were computed from is ``matched`` in ``P:meta``;
* ``P:lsh…``: datasketch's own ``MinHashLSH`` Redis storage over the document signatures
  (basename ``P:lsh``), filled with insertion sessions (buffered pipelines);
* ``P:lsh-pending`` (set): keys stored but not yet in the LSH (the LSH is written after the
  article, so a run killed in between leaves them here and the next run finishes the work);
* ``P:lock``: the store's lock (SET NX with an expiry that a live holder renews and a dead
  one lets lapse). Every write that needs the lock is fenced by it: it is made only if the
  lock still holds this run's token, so a run stopped past the lock's expiry cannot overwrite
  what a newer run saved.

The index has an identity, ``created`` in ``P:meta`` (when and by a random id), checked with
its article count when a run reads the articles and again, in the saving transaction, before
it saves: an index that was emptied or replaced meanwhile (Redis restarted without
persistence) is reported, never silently refilled. Each machine also remembers the identity
and run count of the index it last saved to (``$XDG_STATE_HOME/newsdedup/indexes.json``), so
an index found gone or replaced at the start of a run is reported too.

A full Redis (``maxmemory`` with ``noeviction``) refuses writes; the lock is taken, and
``index prune`` writes, by scripts allowed to run then (Redis 7's ``allow-oom``), so ``index
stats``, ``index prune`` and ``--rebuild-state`` still work, and every other write fails with
one line saying so.

A file's key is ``host`` NUL ``real path``: machines never overwrite each other's files, and a
machine drops only its own deleted files. Article writes from several machines at once go to
separate hash fields in MULTI transactions: none is lost.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ..errors import NewsdedupError, UsageError
from ..model import Article
from ..settings import Settings
from .base import (
    LockLost,
    Matching,
    Row,
    StateError,
    StateFull,
    Store,
    bound_meta,
    check_bound,
    order_key,
    wait_for,
)

T = TypeVar("T")

#: a dead run's lock expires after this; a live run renews it every third of it. Long enough
#: that a run stalled by a busy machine for a few seconds keeps it, short enough that the next
#: cron run after a crash does not wait long
LOCK_TTL_MS = 30_000
#: retries of a lost connection (exponential back-off capped at 2 s: about 10 s in all), enough
#: to ride out a Redis restart or fail-over
_RETRIES = 6
#: articles read per HMGET: large enough to amortise a round trip, small enough to keep one
#: reply's buffer small
_READ_CHUNK = 2000
#: signatures buffered per LSH insertion-session flush (datasketch's buffer_size)
_LSH_BUFFER = 10_000
#: keys deleted per DEL when a rebuild wipes the prefix (and measured per pipeline by stats)
_WIPE_BATCH = 1000
#: files pruned per script: each script is atomic and blocks Redis while it runs, so a chunk
#: is kept to a few tens of milliseconds; a prune stopped between chunks is finished by the next
_PRUNE_CHUNK = 5000
#: between the two keys of a link's field in ``P:links``: a key has a NUL only before a path
#: ("/…") or a record number, never before SOH, so the pair splits back unambiguously
_PAIR = b"\0\x01"


class IndexUnavailable(StateError):
    """Redis cannot be reached or went away and did not come back within the retries."""


class IndexGone(StateError):
    """The index was emptied or replaced (Redis restarted without persistence, or flushed):
    the articles of files not named in a run are lost, and a run must not go on as if not."""


class IndexFull(StateFull):
    """Redis is at its ``maxmemory`` and refuses writes."""


def _redis() -> Any:
    try:
        import redis
    except ImportError as exc:  # pragma: no cover - the extra is installed with the tests
        raise UsageError(
            "--index redis://… needs the redis client: pip install 'newsdedup[redis]'"
        ) from exc
    return redis


class RedisStore(Store):
    """The state of a run kept in Redis."""

    engine = "redis"
    noun = "index"

    def __init__(
        self,
        url: str,
        prefix: str,
        settings: Settings,
        wait: float = 0.0,
        rebuild: bool = False,
        existing: bool = False,
    ) -> None:
        super().__init__(wait)
        redis = _redis()
        from redis.backoff import ExponentialBackoff
        from redis.retry import Retry

        self.url, self.prefix, self.settings = url, prefix, settings
        self.location = f"{url} (prefix {prefix})"
        if not url.startswith(("redis://", "rediss://", "unix://")):
            raise UsageError(f"--index {url}: not a redis:// URL (redis://HOST:PORT/DB)")
        try:
            self.params = redis.connection.parse_url(url)
        except ValueError as exc:
            raise UsageError(f"--index {url}: {exc}") from exc
        self.r = redis.Redis(
            **self.params,
            socket_connect_timeout=3,
            socket_timeout=60,
            retry=Retry(ExponentialBackoff(cap=2.0, base=0.1), _RETRIES),
            retry_on_error=[redis.exceptions.ConnectionError, redis.exceptions.TimeoutError],
        )
        self.host = socket.gethostname().encode("utf-8", "surrogateescape")
        self._token = uuid.uuid4().hex
        self._renew: threading.Event | None = None
        self._lsh: Any = None
        self._written: set[bytes] = set()
        #: the index's identity when this run read its articles: created id, file count
        self._identity: tuple[str, int] | None = None
        self.where = _where(self.params, prefix)
        p = prefix.encode("utf-8")
        self.k_meta, self.k_files, self.k_art = p + b":meta", p + b":files", p + b":art"
        self.k_sig, self.k_assign, self.k_lock = p + b":sig", p + b":assign", p + b":lock"
        self.k_pending, self.lsh_base = p + b":lsh-pending", p + b":lsh"
        self.k_matched, self.k_links = p + b":matched", p + b":links"
        self._call("connect", self.r.ping)
        if existing and not self._call("check", self.r.exists, self.k_meta):
            raise UsageError(
                f"{url}: no index under the prefix {prefix!r} (a run with --index makes one)"
            )
        version = str(self._call("connect", self.r.info, "server").get("redis_version", "0"))
        # Redis 7 runs scripts flagged allow-oom on a full Redis; older ones refuse the flag
        self._oom_flag = _OOM_FLAG if int(version.split(".")[0] or 0) >= 7 else ""
        if rebuild:
            with self.locked():
                self._call("rebuild", self._wipe)
            _remember(self.where, None)
        self._call("check", self._bind)

    def _disconnect(self) -> None:
        with contextlib.suppress(Exception):
            self.r.close()

    # -- errors ------------------------------------------------------------------------------

    def _call(self, what: str, fn: Callable[..., T], *args: Any) -> T:
        """Run a Redis operation; the client retries lost connections with back-off, and what
        still fails becomes one clear message (the index stays consistent: rerun to complete)."""
        redis = _redis()
        try:
            return fn(*args)
        except NewsdedupError:
            raise
        except redis.exceptions.OutOfMemoryError as exc:
            raise IndexFull(
                f"{self.url}: Redis is full (maxmemory): raise it or prune (newsdedup index prune"
                " --index URL --older-than AGE); the index is consistent, run again then"
            ) from exc
        except redis.exceptions.RedisError as exc:
            raise IndexUnavailable(
                f"{self.url}: Redis {what} failed: {exc}"
                + ("" if what == "connect" else "; the index is consistent, run again to complete")
            ) from exc
        except OSError as exc:
            raise IndexUnavailable(f"{self.url}: Redis {what} failed: {exc}") from exc

    # -- parameters --------------------------------------------------------------------------

    def _wipe(self) -> None:
        """Every key of the prefix but the lock this run holds."""
        pattern = self.prefix.replace("*", r"\*").encode() + b":*"
        batch: list[bytes] = []
        for key in self.r.scan_iter(match=pattern, count=_WIPE_BATCH):
            if key != self.k_lock:
                batch.append(key)
            if len(batch) >= _WIPE_BATCH:
                self.r.delete(*batch)
                batch = []
        if batch:
            self.r.delete(*batch)

    def _bind(self) -> None:
        want = bound_meta(self.settings)
        found = self.meta()
        last = _recall(self.where)
        if not found and last is not None:
            raise IndexGone(
                f"{self.location}: the index this machine last saved to (created"
                f" {last['created']}) is gone: Redis restarted without persistence or was"
                " emptied, and the articles of files not named in a run are lost; run with"
                " --rebuild-state over all the inputs to make it afresh"
            )
        if found.get("schema") and not found.get("created"):  # made before identities
            with contextlib.suppress(_redis().exceptions.ResponseError):  # full: a later run
                self.r.hsetnx(self.k_meta, "created", _new_identity())
        # the first run to arrive writes the parameters; a racing run reads them (nothing is
        # written to an index that exists: ``index stats`` works on a full Redis)
        if not found.get("schema") and self.r.hsetnx(self.k_meta, "schema", want["schema"]):
            meta0 = {**want, "runs": 0, "created_by": "newsdedup", "created": _new_identity()}
            self.r.hset(self.k_meta, mapping=meta0)
        meta: dict[str, str] = {}

        def complete() -> bool:  # a racing creator writes the rest a moment later
            meta.update(self.meta())
            return all(name in meta for name in want)

        with contextlib.suppress(StateError):
            wait_for(complete, 1.0, lambda: StateError("incomplete meta"))
        check_bound(meta, self.settings, self.location, self.noun)
        if last is not None and meta.get("created") != last["created"]:
            self.notes.append(
                f"{self.location}: the index was made afresh (created {meta.get('created')})"
                f" since this machine last saved to it (created {last['created']}): the"
                " articles of this machine's files not named in this run are no longer in it"
            )
        elif last is not None and int(meta.get("runs", 0)) < int(last["runs"]):
            self.notes.append(
                f"{self.location}: the index is older than this machine's last save (run"
                f" {meta.get('runs')}, saved at run {last['runs']}: restored from an older"
                " snapshot?); files written since are read again when named"
            )

    def meta(self) -> dict[str, str]:
        raw = self._call("read", self.r.hgetall, self.k_meta)
        return {k.decode(): v.decode() for k, v in raw.items()}

    @property
    def lsh(self) -> Any:
        if self._lsh is None:
            from datasketch import MinHashLSH

            from ..match import DOC_LSH_THRESHOLD

            cfg = {k: v for k, v in self.params.items() if k in ("host", "port", "db", "password",
                                                                  "username", "path")}  # fmt: skip
            self._lsh = MinHashLSH(
                threshold=DOC_LSH_THRESHOLD,
                num_perm=self.settings.num_perm,
                storage_config={
                    "type": "redis",
                    "basename": self.lsh_base,
                    "redis": cfg,
                    # a killed run is finished from the pending set, not by MULTI: a plain
                    # pipeline halves the replies to parse
                    "redis_buffer": {"transaction": False},
                },
            )
        return self._lsh

    # -- the lock ----------------------------------------------------------------------------

    def _acquire(self) -> None:
        take = self.r.register_script(self._oom_flag + _TAKE)

        def attempt() -> bool:
            return bool(self._call("lock", take, [self.k_lock], [self._token, LOCK_TTL_MS]))

        wait_for(attempt, self.wait, self._in_use)
        stop = threading.Event()
        self._renew = stop
        renew = self.r.register_script(_RENEW)

        def keep() -> None:
            while not stop.wait(LOCK_TTL_MS / 3000):
                with contextlib.suppress(Exception):
                    renew(keys=[self.k_lock], args=[self._token, LOCK_TTL_MS])

        threading.Thread(target=keep, daemon=True, name="newsdedup-lock").start()

    def _release(self) -> None:
        if self._renew is None:
            return
        self._renew.set()
        self._renew = None
        with contextlib.suppress(Exception):
            self.r.register_script(_RELEASE)(keys=[self.k_lock], args=[self._token])

    # -- files -------------------------------------------------------------------------------

    def key_for(self, realpath: bytes) -> bytes:
        return self.host + b"\0" + realpath

    def local_path(self, row: Row) -> str | None:
        host, _, path = row.key.partition(b"\0")
        path = path.partition(b"\0")[0]  # a container's record: its file's path
        return path.decode("utf-8", "surrogateescape") if host == self.host else None

    def rows(self) -> dict[bytes, Row]:
        raw = self._call("read", self.r.hgetall, self.k_files)
        return {key: _row(key, value) for key, value in raw.items()}

    def put(self, items: Iterable[tuple[Row, Article, bytes]]) -> None:
        """Store parsed articles and their signatures in one transaction; they are indexed in
        the LSH by the next run to read the articles."""
        items = list(items)
        if not items:
            return
        sigs = self._signatures([art for _, art, _ in items])

        def write() -> None:
            pipe = self.r.pipeline(transaction=True)
            pipe.hset(self.k_files, mapping={r.key: _row_json(r) for r, _, _ in items})
            pipe.hset(self.k_art, mapping={r.key: blob for r, _, blob in items})
            pipe.hset(
                self.k_sig,
                mapping={r.key: sig.tobytes() for (r, _, _), sig in zip(items, sigs, strict=True)},
            )
            pipe.hdel(self.k_assign, *[r.key for r, _, _ in items])
            pipe.sadd(self.k_pending, *[r.key for r, _, _ in items])
            pipe.execute()

        self._call("write", write)
        self._written.update(r.key for r, _, _ in items)

    def _signatures(self, articles: list[Article]) -> np.ndarray:
        from ..sketch import Permutations, TokenHasher, shingle_hashes, tokens

        hasher = TokenHasher()
        sets = [
            shingle_hashes(hasher(tokens(a.text())), self.settings.shingle_size) for a in articles
        ]
        return Permutations(self.settings.num_perm, self.settings.seed).signatures(sets)

    def _flush_pending(self) -> None:
        """Put the stored-but-unindexed signatures into the LSH (replacing a changed file's old
        entry), then clear them from the pending set. Runs under the lock: one process at a
        time, and it also finishes what a killed run left."""
        pending = sorted(self.r.smembers(self.k_pending))
        if not pending:
            return
        from ..sketch import Permutations

        perms = Permutations(self.settings.num_perm, self.settings.seed)
        sigs = self.r.hmget(self.k_sig, pending)
        lsh = self.lsh
        self._unindex(pending)
        with lsh.insertion_session(buffer_size=_LSH_BUFFER) as session:
            for key, sig in zip(pending, sigs, strict=True):
                if sig is not None:
                    session.insert(key, perms.lean(np.frombuffer(sig, dtype=np.uint32)))
        self.r.srem(self.k_pending, *pending)

    def _unindex(self, keys: list[bytes]) -> None:
        """Take these keys out of the LSH, where they are in it (a deletion session)."""
        lsh = self.lsh
        present = [k for k in keys if k in lsh]
        if present:
            with lsh.deletion_session() as session:
                for k in present:
                    session.remove(k)

    def touch(self, rows: Iterable[Row]) -> None:
        mapping = {r.key: _row_json(r) for r in rows}
        if mapping:
            self._call("write", self.r.hset, self.k_files, None, None, mapping)

    def remove(self, keys: Iterable[bytes]) -> None:
        self._need_lock("removing files")
        keys = list(keys)
        if not keys:
            return

        links = self._links_of(keys)

        def drop(pipe: Any) -> None:
            for name in (self.k_files, self.k_art, self.k_sig, self.k_assign, self.k_matched):
                pipe.hdel(name, *keys)
            if links:
                pipe.hdel(self.k_links, *links)
            pipe.srem(self.k_pending, *keys)

        self._still_mine()  # before the LSH, which is written outside the fenced transaction
        self._call("remove", self._unindex, keys)
        self._fenced("remove", drop)
        self._written.difference_update(keys)

    def articles(self) -> Iterator[tuple[bytes, bytes, bytes]]:
        self._need_lock("reading the articles")
        self._call("index", self._flush_pending)
        rows = self.rows()
        lost = [k for k in self._written if k not in rows]
        if lost:  # Redis restarted without persistence while this run was writing
            raise IndexUnavailable(
                f"{self.url}: Redis lost {len(lost)} article(s) this run wrote (restarted without"
                " persistence?); nothing was printed: run again to complete"
            )
        meta = self.meta()
        if not meta.get("schema"):
            raise self._gone("before this run read the articles")
        self._identity = (meta.get("created", ""), len(rows))  # "": made before identities
        keys = sorted(
            (k for k, r in rows.items() if not r.pruned),
            key=lambda k: (order_key(rows[k].ospath), k),
        )
        out: list[tuple[bytes, bytes, bytes]] = []
        for start in range(0, len(keys), _READ_CHUNK):
            chunk = keys[start : start + _READ_CHUNK]
            blobs = self._call("read", self.r.hmget, self.k_art, chunk)
            out.extend((k, rows[k].ospath, b) for k, b in zip(chunk, blobs, strict=True) if b)
        return iter(out)

    def set_days(self, days: Mapping[bytes, str]) -> None:
        self._need_lock("recording the articles' days")
        rows = self.rows()
        mapping = {k: _row_json(replace(rows[k], day=d)) for k, d in days.items() if k in rows}
        if mapping:  # fenced by the lock, as every locked write
            self._fenced("write", lambda pipe: pipe.hset(self.k_files, mapping=mapping))

    def prune(self, before: str) -> int:
        with self.locked():
            rows = self.rows()
            old = [r for r in rows.values() if not r.pruned and r.day and r.day < before]
            if not old:
                return 0

            self._still_mine()
            self._call("prune", self._unindex, [r.key for r in old])
            script = self.r.register_script(self._oom_flag + _PRUNE)
            fields = self._call("read", self.r.hkeys, self.k_links)
            hashes = [self.k_lock, self.k_files, self.k_art, self.k_sig, self.k_assign,
                      self.k_matched, self.k_links]  # fmt: skip
            # scripts fenced by the lock and allowed on a full Redis (what they drop frees far
            # more than the rows they mark take): prune is the way out of a full index
            for start in range(0, len(old), _PRUNE_CHUNK):
                chunk = old[start : start + _PRUNE_CHUNK]
                keys = [r.key for r in chunk]
                rows_json = [_row_json(r, pruned=True) for r in chunk]
                args = [self._token, len(chunk), *keys, *rows_json, *_ends_in(fields, keys)]
                if not self._call("prune", script, hashes, args):
                    raise self._lock_lost()
        return len(old)

    # -- stories -----------------------------------------------------------------------------

    def stories(self) -> dict[bytes, str]:
        raw = self._call("read", self.r.hgetall, self.k_assign)
        return {k: v.decode() for k, v in raw.items()}

    def save_stories(self, assign: Mapping[bytes, str], matching: Matching | None = None) -> None:
        self._need_lock("saving the stories")
        matching = matching or Matching()

        def write(pipe: Any) -> None:
            pipe.delete(self.k_assign, self.k_matched, self.k_links)
            if assign:
                pipe.hset(self.k_assign, mapping=dict(sorted(assign.items())))
            if matching.covered:
                pipe.hset(self.k_matched, mapping=matching.covered)
            if matching.links:
                pipe.hset(self.k_links, mapping={a + _PAIR + b: d for a, b, d in matching.links})
            pipe.hset(self.k_meta, "matched", matching.basis)
            pipe.hincrby(self.k_meta, "runs", 1)

        self._saved(self._fenced("write", write, check_articles=True))

    def count_run(self) -> None:
        self._need_lock("counting a run")
        self._saved(
            self._fenced("write", lambda p: p.hincrby(self.k_meta, "runs", 1), check_articles=True)
        )

    def _saved(self, runs: int) -> None:
        """Remember the index this machine saved to, for the next run's check."""
        created = self._identity[0] if self._identity else self.meta().get("created", "")
        _remember(self.where, {"created": created, "runs": runs})

    def _links_of(self, keys: list[bytes]) -> list[bytes]:
        """The fields of every link with an end among ``keys``."""
        return _ends_in(self._call("read", self.r.hkeys, self.k_links), keys)

    # -- fenced writes -------------------------------------------------------------------------

    def _fenced(self, what: str, queue: Callable[[Any], Any], check_articles: bool = False) -> int:
        """Run the writes ``queue`` puts on a transaction only if this run still holds the lock
        (and, with ``check_articles``, the index is still the one whose articles it read, with
        no file lost): WATCH on the lock and the meta, checks, then MULTI/EXEC. Returns the
        index's run count after the transaction."""
        redis = _redis()

        def attempt() -> int:
            with self.r.pipeline(transaction=True) as pipe:
                pipe.watch(self.k_lock, self.k_meta)
                if pipe.get(self.k_lock) != self._token.encode():
                    raise self._lock_lost()
                if check_articles and self._identity is not None:
                    created, count = self._identity
                    now = pipe.hget(self.k_meta, "created") or b""
                    if not pipe.hexists(self.k_meta, "schema") or now.decode() != created:
                        raise self._gone("while this run was working")
                    if pipe.hlen(self.k_files) < count:
                        raise self._gone("while this run was working: it lost articles")
                pipe.multi()
                queue(pipe)
                pipe.hget(self.k_meta, "runs")
                return int(pipe.execute()[-1] or 0)

        try:
            return self._call(what, attempt)
        except IndexUnavailable as exc:
            if isinstance(exc.__cause__, redis.exceptions.WatchError):
                raise self._lock_lost() from exc
            raise

    def _still_mine(self) -> None:
        """Raise :class:`LockLost` unless the lock holds this run's token."""
        if self._call("read", self.r.get, self.k_lock) != self._token.encode():
            raise self._lock_lost()

    def _lock_lost(self) -> LockLost:
        return LockLost(
            f"{self.location}: this run's lock on the index lapsed (the run was stopped or"
            f" stalled for over {LOCK_TTL_MS // 1000} s) and another run may have taken it;"
            " nothing was saved: run again"
        )

    def _gone(self, when: str) -> IndexGone:
        return IndexGone(
            f"{self.location}: the index was emptied or replaced {when} (Redis restarted"
            " without persistence?); nothing was saved: run again to complete (over all the"
            " inputs, with --rebuild-state if it says the index is gone)"
        )

    def matching(self) -> Matching:
        basis = self.meta().get("matched", "")
        covered = self._call("read", self.r.hgetall, self.k_matched)
        links = self._call("read", self.r.hgetall, self.k_links)
        return Matching(
            basis,
            {k: v.decode() for k, v in covered.items()},
            [(*f.split(_PAIR, 1), d.decode()) for f, d in links.items()],
        )

    def count_links(self) -> int:
        return int(self._call("read", self.r.hlen, self.k_links))

    def _more_stats(self, live: list[Row]) -> dict[str, object]:
        hosts = sorted({r.key.partition(b"\0")[0].decode("utf-8", "replace") for r in live})
        return {
            "store_bytes": self._call("read", self._memory),
            "hosts": hosts,
            "unindexed": self._call("read", self.r.scard, self.k_pending),
        }

    def _memory(self) -> int:
        """Bytes of Redis memory the prefix's keys take (MEMORY USAGE, summed over a SCAN)."""
        pattern = self.prefix.replace("*", r"\*").encode() + b":*"
        total = 0
        keys = list(self.r.scan_iter(match=pattern, count=_WIPE_BATCH))
        for start in range(0, len(keys), _WIPE_BATCH):
            pipe = self.r.pipeline(transaction=False)
            for key in keys[start : start + _WIPE_BATCH]:
                pipe.memory_usage(key)
            total += sum(n or 0 for n in pipe.execute())
        return total


# the lock is taken, and prune writes, by scripts flagged to run on a full Redis (Redis 7 and
# later; older ones run them unflagged, and refuse them when full), so that prune and
# --rebuild-state, which free memory, work there
_OOM_FLAG = "#!lua flags=allow-oom\n"
_TAKE = """return redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2])"""
# prune's write: only by the lock's holder; files' rows marked pruned, their articles,
# signatures, stories, coverage and links dropped. KEYS: lock, files, art, sig, assign,
# matched, links; ARGV: token, n, n keys, n rows, the link fields to drop
_PRUNE = """if redis.call('get', KEYS[1]) ~= ARGV[1] then return 0 end
local n = tonumber(ARGV[2])
for i = 1, n do
  local key = ARGV[2 + i]
  for k = 3, 6 do redis.call('hdel', KEYS[k], key) end
  redis.call('hset', KEYS[2], key, ARGV[2 + n + i])
end
for i = 3 + 2 * n, #ARGV do redis.call('hdel', KEYS[7], ARGV[i]) end
return 1"""
# the lock is renewed or released only by the run that holds it
_RENEW = """if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end"""
_RELEASE = """if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1]) else return 0 end"""


def _ends_in(fields: list[bytes], keys: list[bytes]) -> list[bytes]:
    """The link fields among ``fields`` with an end among ``keys``."""
    gone = set(keys)
    return [f for f in fields if not gone.isdisjoint(f.split(_PAIR, 1))]


def _row_json(r: Row, pruned: bool | None = None) -> bytes:
    return json.dumps(
        [
            r.ospath.decode("utf-8", "surrogateescape"),
            r.size,
            r.mtime_ns,
            r.sha256,
            r.parse_key,
            r.day,
            r.pruned if pruned is None else pruned,
        ],
        ensure_ascii=True,
    ).encode()


def _row(key: bytes, value: bytes) -> Row:
    ospath, size, mtime_ns, sha, pk, day, pruned = json.loads(value)
    return Row(key, ospath.encode("utf-8", "surrogateescape"), size, mtime_ns, sha, pk, day, pruned)


# ---------------------------------------------------------------------------------------------
# what this machine remembers of the indexes it saved to


def _new_identity() -> str:
    """An index's identity: when it was created, and a random id (two indexes made in the
    same second differ)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + " " + uuid.uuid4().hex[:12]


def _where(params: Mapping[str, Any], prefix: str) -> str:
    """The index's place as this machine names it (no password)."""
    place = params.get("path") or f"{params.get('host', 'localhost')}:{params.get('port', 6379)}"
    return f"{place}/{params.get('db', 0)} {prefix}"


def _memo_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(Path.home(), ".local", "state")
    return Path(base) / "newsdedup" / "indexes.json"


def _recall(where: str) -> dict[str, str] | None:
    """The identity and run count of the index at ``where`` when this machine last saved to
    it (None: never, or not remembered)."""
    try:
        memo = json.loads(_memo_path().read_text(encoding="utf-8"))
        found = memo.get(where)
        return {"created": str(found["created"]), "runs": str(int(found["runs"]))}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None


def _remember(where: str, identity: dict[str, Any] | None) -> None:
    """Note (None: forget) the index at ``where``; a memo that cannot be written is only a
    check less (the index itself is not affected), so errors are ignored."""
    path = _memo_path()
    try:
        memo = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(memo, dict):
            memo = {}
    except (OSError, ValueError):
        memo = {}
    if identity is None or not identity.get("created"):
        if memo.pop(where, None) is None:
            return
    else:
        memo[where] = identity
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".indexes.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(memo, fh, sort_keys=True, indent=1)
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
