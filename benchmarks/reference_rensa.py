"""The next anchor: the textbook pipeline of ``reference.py`` with rensa's Rust MinHash and LSH.

The same files, the same word 5-shingles and an LSH of 25 bands of 5 rows (what
``MinHashLSH(threshold=0.5, num_perm=128)`` chooses; it leaves 3 of its 128 permutations unused, and
rensa wants the bands to divide the permutations, so 125); rensa's own hashing and permutations (R-MinHash),
so its clusters are close to, not identical with, the datasketch script's. It shows how fast a
compiled MinHash and LSH make the textbook pipeline; ``make bench`` prints it beside the others.

usage: python benchmarks/reference_rensa.py PATH... > clusters.tsv
"""

from __future__ import annotations

import sys

from reference import files, read_sets, write_components
from rensa import RMinHash, RMinHashLSH

PERM = 125  # the 25 × 5 permutations datasketch bands at threshold 0.5 (of its 128)
BANDS = 25  # datasketch's choice for threshold 0.5 at 128 permutations (25 bands × 5 rows)


def main() -> None:
    paths = files(sys.argv[1:])
    minhashes = []
    for s in read_sets(paths):
        m = RMinHash(num_perm=PERM, seed=1)
        m.update(s)
        minhashes.append(m)
    lsh = RMinHashLSH(threshold=0.5, num_perm=PERM, num_bands=BANDS)
    lsh.insert_many(minhashes)
    write_components(paths, minhashes, lsh.query)


if __name__ == "__main__":
    main()
