"""One contract for every store backend: the SQLite state, the Redis index and the memory store
of a run without either behave alike.

Each test runs against each (the memory store's handles opened on one shared space, as runs open
one state file; Redis through a real redis-server started here, as in
test_redis.py; without one installed the Redis cases skip, and with NEWSDEDUP_REQUIRE_REDIS=1
they fail instead)."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from newsdedup.model import Article, Document, Field
from newsdedup.settings import Settings
from newsdedup.store import (
    LockNotHeld,
    Matching,
    Row,
    StateError,
    StateMismatch,
    Store,
    decode_article,
    encode_article,
    open_store,
)
from newsdedup.store.memory import MemorySpace, MemoryStore

from .test_redis import RedisServer

Opener = Callable[..., Store]


@pytest.fixture(params=["sqlite", "redis", "memory"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """A function opening a store of one backend at one place (every call: the same place)."""
    opened: list[Store] = []
    server: RedisServer | None = None
    space = MemorySpace()
    if request.param == "redis":
        server = RedisServer(tmp_path)
        where = {"index": server.url, "prefix": "contract"}
    else:
        where = {"state": str(tmp_path / "s.db")}

    def open_(settings: Settings | None = None, **kw: object) -> Store:
        store: Store | None
        if request.param == "memory":
            kw.pop("existing", None)
            store = MemoryStore(settings or Settings(), space, **kw)  # type: ignore[arg-type]
        else:
            store = open_store(settings=settings or Settings(), **where, **kw)  # type: ignore[arg-type]
        assert store is not None
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()
    if server is not None:
        server.kill()


def _article(name: str, date: str | None, text: str) -> Article:
    sha = hashlib.sha256(text.encode()).hexdigest()
    doc = Document(name, name, sha, len(text), "utf-8", "", False, [text])
    return Article(doc, date=Field(date, "header" if date else None), body=[text])


def _item(store: Store, name: str, date: str | None = "2024-01-02") -> tuple[Row, Article, bytes]:
    art = _article(name, date, f"The text of {name}, which says something about {name}.")
    key = store.key_for(f"/news/{name}".encode())
    row = Row(key, f"news/{name}".encode(), 100, 1, art.doc.sha256, "pk", (date or "")[:10])
    return row, art, encode_article(art)


def test_put_then_articles_round_trip_in_walk_order(opener: Opener) -> None:
    store = opener()
    items = [_item(store, n) for n in ("b/2.txt", "a/1.txt", "b/10.txt")]
    store.put(items)
    assert store.rows() == {r.key: r for r, _, _ in items}
    with pytest.raises(LockNotHeld):
        list(store.articles())  # reading the corpus is the locked step
    with store.locked():
        got = list(store.articles())
    # walk order: path components in byte order ("b/10.txt" before "b/2.txt")
    assert [ospath for _, ospath, _ in got] == [b"news/a/1.txt", b"news/b/10.txt", b"news/b/2.txt"]
    by_key = {r.key: art for r, art, _ in items}
    for key, _, blob in got:
        back = decode_article(blob)
        assert (back.body, back.date, back.doc.sha256) == (
            by_key[key].body,
            by_key[key].date,
            by_key[key].doc.sha256,
        )


def test_touch_and_remove(opener: Opener) -> None:
    store = opener()
    one, two = _item(store, "1.txt"), _item(store, "2.txt")
    store.put([one, two])
    moved = Row(one[0].key, b"elsewhere/1.txt", 100, 99, one[0].sha256, "pk", one[0].day)
    store.touch([moved])
    assert store.rows()[one[0].key] == moved
    with pytest.raises(LockNotHeld):
        store.remove([two[0].key])
    with store.locked():
        store.save_stories({one[0].key: "s1", two[0].key: "s2"})
        store.remove([two[0].key])
        assert [k for k, _, _ in store.articles()] == [one[0].key]
    assert set(store.rows()) == {one[0].key}
    assert two[0].key not in store.stories()


def test_stories_replace_the_last_runs_and_count_runs(opener: Opener) -> None:
    store = opener()
    a, b = _item(store, "a.txt"), _item(store, "b.txt")
    store.put([a, b])
    assert store.stories() == {} and store.stats()["runs"] == 0
    with pytest.raises(LockNotHeld):
        store.save_stories({a[0].key: "s1"})
    with store.locked():
        store.save_stories({a[0].key: "s1", b[0].key: "s1"})
    with store.locked():
        store.save_stories({a[0].key: "s1", b[0].key: "s2"})
    assert store.stories() == {a[0].key: "s1", b[0].key: "s2"}
    assert store.stats()["runs"] == 2
    store.close()
    assert opener().stories() == {a[0].key: "s1", b[0].key: "s2"}  # kept for the next run


def test_prune_drops_old_articles_and_their_stories_but_remembers_the_files(
    opener: Opener,
) -> None:
    store = opener()
    old, new = _item(store, "old.txt", "2020-05-01"), _item(store, "new.txt", "2024-05-01")
    # no day (the timeline leaves it undated): its age is unknown, so no cut-off drops it (it
    # had counted as older than any, and a fresh undated article went at the first prune)
    undated = _item(store, "undated.txt", None)
    inferred = _item(store, "inferred.txt", None)  # dated from its story at the run's end
    store.put([old, new, undated, inferred])
    with store.locked():
        store.save_stories({old[0].key: "s1", new[0].key: "s2", undated[0].key: "s3",
                            inferred[0].key: "s1"})  # fmt: skip
        store.set_days({inferred[0].key: "2020-05-02"})  # the day the timeline gives it
    assert store.rows()[inferred[0].key].day == "2020-05-02"
    assert store.prune("2024-01-01") == 2
    assert store.prune("2024-01-01") == 0  # already gone
    assert not store.holds_lock  # prune takes the lock and gives it back
    rows = store.rows()
    assert rows[old[0].key].pruned and not rows[new[0].key].pruned  # remembered, not read again
    assert rows[inferred[0].key].pruned and not rows[undated[0].key].pruned
    with store.locked():
        assert [k for k, _, _ in store.articles()] == [new[0].key, undated[0].key]
    assert store.stories() == {new[0].key: "s2", undated[0].key: "s3"}
    stats = store.stats()
    assert (stats["articles"], stats["pruned"], stats["stories"]) == (2, 2, 2)
    assert stats["undated"] == 1


def test_stats_report_what_the_store_holds(opener: Opener) -> None:
    store = opener(Settings(num_perm=64, seed=3))
    items = [_item(store, "x.txt", "2024-01-02"), _item(store, "y.txt", "2024-03-04")]
    store.put(items)
    with store.locked():
        store.save_stories({items[0][0].key: "s1", items[1][0].key: "s1"})
    stats = store.stats()
    common = {
        "engine": store.engine,
        "location": store.location,
        "schema": 1,
        "runs": 1,
        "num_perm": 64,
        "seed": 3,
        "shingle_size": 5,
        "articles": 2,
        "pruned": 0,
        "stories": 1,
        "links": 0,
        "bytes": 200,
        "first_day": "2024-01-02",
        "last_day": "2024-03-04",
        "undated": 0,
    }
    assert {k: stats[k] for k in common} == common
    extra = {
        "sqlite": {"store_bytes"},
        "redis": {"store_bytes", "hosts", "unindexed"},
        "memory": {"store_bytes"},
    }
    assert set(stats) == set(common) | extra[store.engine]
    assert isinstance(stats["store_bytes"], int) and stats["store_bytes"] > stats["bytes"] / 2


def test_lock_is_exclusive_between_runs_and_waits_for_the_holder(opener: Opener) -> None:
    first, second = opener(), opener()
    with first.locked():
        start = time.monotonic()
        with pytest.raises(StateError, match="in use by another newsdedup run") as err:
            second.lock()
        assert "--wait" in str(err.value)
        assert time.monotonic() - start < 1.0  # no --wait: fails at once
        assert not second.holds_lock
    waiter = opener(wait=30.0)
    first.lock()
    threading.Timer(0.5, first.unlock).start()
    start = time.monotonic()
    with waiter.locked():  # waits for the holder, then has it
        assert time.monotonic() - start >= 0.4
        with pytest.raises(StateError):
            second.lock()
    first.lock()  # free again once released
    first.close()  # closing drops the lock too
    with second.locked():
        pass


def test_nested_locks_release_with_the_outermost(opener: Opener) -> None:
    store, other = opener(), opener()
    store.lock()
    with store.locked():
        assert store.holds_lock
    assert store.holds_lock  # still held by the outer lock()
    with pytest.raises(StateError):
        other.lock()
    store.unlock()
    with other.locked():
        pass


def test_writers_at_once_lose_nothing(opener: Opener) -> None:
    errors: list[BaseException] = []

    def write(side: str) -> None:  # a run of its own: its own store, opened in its thread
        try:
            store = opener()
            for batch in range(5):
                store.put([_item(store, f"{side}/{batch}-{i}.txt") for i in range(20)])
            store.close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(side,)) for side in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert opener().stats()["articles"] == 200


def test_parameter_mismatch_refused_until_rebuilt(opener: Opener) -> None:
    store = opener(Settings(num_perm=128))
    store.put([_item(store, "x.txt")])
    store.close()
    for settings, option in (
        (Settings(num_perm=64), "--num-perm"),
        (Settings(seed=2), "--seed"),
        (Settings(shingle_size=4), "--shingle-size"),
    ):
        with pytest.raises(StateMismatch, match=f"made with {option}") as err:
            opener(settings)
        assert "--rebuild-state" in str(err.value) and err.value.exit_code == 2
    fresh = opener(Settings(num_perm=64), rebuild=True)
    assert fresh.rows() == {} and fresh.stats()["num_perm"] == 64
    assert opener(Settings(num_perm=64)).stats()["articles"] == 0


def test_links_saved_with_the_stories_and_leaving_with_their_articles(opener: Opener) -> None:
    store = opener()
    a, b, c = (_item(store, n, "2024-01-02") for n in ("a.txt", "b.txt", "c.txt"))
    store.put([a, b, c])
    ka, kb, kc = a[0].key, b[0].key, c[0].key
    assert store.matching() == Matching()
    links = [(ka, kb, '["reprint",1.0]'), (kb, kc, '["same facts",0.25]')]
    matching = Matching("basis-1", {ka: a[0].sha256, kb: b[0].sha256, kc: c[0].sha256}, links)
    with store.locked():
        store.save_stories({ka: "s1", kb: "s1", kc: "s1"}, matching)
    got = store.matching()
    assert (got.basis, got.covered, sorted(got.links)) == ("basis-1", matching.covered, links)
    assert store.stats()["links"] == 2
    with store.locked():
        store.remove([kc])  # a removed article leaves the links it had
    got = store.matching()
    assert (sorted(got.links), set(got.covered)) == ([links[0]], {ka, kb})
    assert store.prune("2025-01-01") == 2  # so does a pruned one
    assert store.matching().links == [] and store.stats()["links"] == 0
    with store.locked():
        store.count_run()  # a run that reused what is saved: counted, nothing else changes
    assert store.stats()["runs"] == 2 and store.matching().basis == "basis-1"
    with store.locked():
        store.save_stories({})  # stories saved without links drop the stored ones
    assert store.matching() == Matching()


def test_stored_articles_are_the_articles_put_in_walk_order(opener: Opener) -> None:
    store = opener()
    items = [_item(store, n) for n in ("z.txt", "m/1.txt", "a.txt")]
    if not store.encoded:  # a store that keeps the articles themselves is given no encoding
        items = [(row, art, b"") for row, art, _ in items]
    store.put(items)
    with pytest.raises(LockNotHeld):
        list(store.stored_articles())
    with store.locked():
        got = list(store.stored_articles())
        walk = [(k, ospath) for k, ospath, _ in store.articles()]
    assert [(k, ospath) for k, ospath, _ in got] == walk
    assert [ospath for _, ospath, _ in got] == [b"news/a.txt", b"news/m/1.txt", b"news/z.txt"]
    by_key = {r.key: art for r, art, _ in items}
    for key, _, art in got:
        assert (art.body, art.date, art.doc.sha256) == (
            by_key[key].body,
            by_key[key].date,
            by_key[key].doc.sha256,
        )
