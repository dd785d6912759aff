"""Where a run keeps its articles and stories: one abstract :class:`Store` with three backends,
a local SQLite file (``--state PATH``, :mod:`.sqlite`), a Redis index shared by several machines
(``--index redis://…``, :mod:`.redis`) and the memory of a run without either (:mod:`.memory`),
and the incremental loading that reads only new or changed files into them (:mod:`.incremental`).

Open one with :func:`open_store`::

    with open_store(state="state.db", settings=Settings()) as store:
        print(store.stats()["articles"])
"""

from __future__ import annotations

from ..errors import UsageError
from ..settings import Settings
from .base import (
    BOUND_SETTINGS,
    STORE_SCHEMA,
    LockLost,
    LockNotHeld,
    Matching,
    Row,
    StateDamaged,
    StateError,
    StateFull,
    StateMismatch,
    Store,
    check_bound,
    decode_article,
    encode_article,
    order_key,
    parse_key,
    prunable,
)
from .memory import MemorySpace, MemoryStore

#: the Redis key prefix when none is given (``--index-prefix``)
DEFAULT_PREFIX = "newsdedup"


def open_store(
    state: str | None = None,
    index: str | None = None,
    settings: Settings | None = None,
    *,
    wait: float = 0.0,
    rebuild: bool = False,
    prefix: str | None = None,
    existing: bool = False,
) -> Store | None:
    """The store of a run: a local SQLite state at ``state``, a Redis index at the URL
    ``index`` (keys under ``prefix``), or None when neither is given. ``wait``: seconds to wait
    for another run's lock; ``rebuild``: discard what is there and start afresh; ``existing``:
    the store must be there already (``index stats``, ``index prune``: a path or prefix that
    holds none is a typo, not a new empty store), else :class:`UsageError`."""
    settings = settings or Settings()
    if state is not None and index is not None:
        raise UsageError("--state and --index are two homes for one store: give one")
    if index is not None:
        from .redis import RedisStore

        return RedisStore(index, prefix or DEFAULT_PREFIX, settings, wait, rebuild, existing)
    if state is not None:
        from .sqlite import SQLiteStore

        return SQLiteStore(str(state), settings, wait, rebuild, existing)
    return None


__all__ = [
    "BOUND_SETTINGS",
    "DEFAULT_PREFIX",
    "STORE_SCHEMA",
    "LockLost",
    "LockNotHeld",
    "Matching",
    "MemorySpace",
    "MemoryStore",
    "Row",
    "StateDamaged",
    "StateError",
    "StateFull",
    "StateMismatch",
    "Store",
    "check_bound",
    "decode_article",
    "encode_article",
    "open_store",
    "order_key",
    "parse_key",
    "prunable",
]
