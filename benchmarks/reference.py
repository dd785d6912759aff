"""The reference: the textbook datasketch near-duplicate pipeline, as its documentation shows it.

Word 5-shingles of each file's text, ``MinHash.bulk`` (default SHA-1 hashing, 128 permutations),
``MinHashLSH(threshold=0.5)``, every article queried, connected components by union-find. It reads
the same files as ``newsdedup clusters`` and writes one ``path<TAB>cluster`` line per article.

usage: python benchmarks/reference.py PATH... > clusters.tsv
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable
from typing import Any

from datasketch import MinHash, MinHashLSH

WORD = re.compile(r"\w+")


def files(paths: list[str]) -> list[str]:
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs.sort()
                out.extend(os.path.join(root, n) for n in sorted(names))
        else:
            out.append(p)
    return out


def shingles(text: str, k: int = 5) -> list[bytes]:
    words = WORD.findall(text.lower())
    return [" ".join(words[i : i + k]).encode("utf-8") for i in range(max(1, len(words) - k + 1))]


def read_sets(paths: list[str]) -> list[list[bytes]]:
    """The shingles of each file."""
    sets = []
    for p in paths:
        with open(p, encoding="utf-8", errors="replace") as fh:
            sets.append(shingles(fh.read()))
    return sets


def write_components(
    paths: list[str], minhashes: list[Any], query: Callable[[Any], Iterable[int]]
) -> None:
    """Every article joined to what the LSH finds for it (union-find), one line per path."""
    parent = list(range(len(paths)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, m in enumerate(minhashes):
        for j in query(m):
            parent[find(i)] = find(j)
    out = sys.stdout
    for i, p in enumerate(paths):
        out.write(f"{p}\t{find(i)}\n")


def main() -> None:
    paths = files(sys.argv[1:])
    minhashes = MinHash.bulk(read_sets(paths), num_perm=128)
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    with lsh.insertion_session() as session:
        for i, m in enumerate(minhashes):
            session.insert(i, m)
    write_components(paths, minhashes, lsh.query)


if __name__ == "__main__":
    main()
