"""A compact, exact set of the message ids of one chat, for dropping repeats while paging.

Paging a chat remembers every id it has yielded, so messages arriving during a fetch (which
shift the offset-like cursor) are not yielded twice. A Python ``set`` of a million ids of
30 characters holds about 130 MB. :class:`SeenIds` keeps the ids of the recent pages in a
set and folds older ones into polars: the ids (about 35 MB a million) and their sorted
64-bit hashes (8 MB), searched by binary search. A hash found there is confirmed against
the folded ids themselves (one pass over them), which happens only for a real repeat or a
hash collision, so the answer stays exact and the common page costs one small query.

>>> seen = SeenIds()
>>> seen.first_seen(["a", "b", "a"]), seen.first_seen(["b", "c"]), len(seen)
([0, 1], [1], 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # polars is imported on the first fold: importing the client stays fast
    import polars as pl


def _hash(ids: pl.Expr) -> pl.Expr:
    return ids.hash(seed=0x5EED)


class SeenIds:
    """The ids seen so far; :meth:`first_seen` records ids and says which are new.

    ``fold_at`` is how many ids the set of recent ones holds before they are folded.
    """

    def __init__(self, *, fold_at: int = 32_768) -> None:
        self._fold_at = fold_at
        self._recent: set[str] = set()
        self._folded: list[pl.Series] = []  # chunks of ids, never rechunked
        self._hashes: pl.Series | None = None  # the folded ids' hashes, sorted
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def first_seen(self, ids: Sequence[str]) -> list[int]:
        """Record ``ids``; return the positions of those not seen before (nor earlier here)."""
        old = self._folded_among(ids)
        recent = self._recent
        new: list[int] = []
        for position, message_id in enumerate(ids):
            if message_id not in recent and message_id not in old:
                recent.add(message_id)
                new.append(position)
        self._count += len(new)
        if len(recent) >= self._fold_at:
            self._fold()
        return new

    def _folded_among(self, ids: Sequence[str]) -> set[str]:
        """The ids of ``ids`` that were folded."""
        if self._hashes is None or not ids:
            return set()
        import polars as pl

        key = _hash(pl.col("id"))
        hashes = pl.lit(self._hashes)
        at = hashes.search_sorted(key).clip(upper_bound=self._hashes.len() - 1)
        probe = pl.DataFrame({"id": pl.Series(ids, dtype=pl.String)})
        candidates = probe.filter(hashes.gather(at) == key).get_column("id")
        if candidates.is_empty():
            return set()
        folded = pl.concat(self._folded, rechunk=False)
        return set(folded.filter(folded.is_in(candidates.implode())).to_list())

    def _fold(self) -> None:
        import polars as pl

        ids = pl.Series("id", list(self._recent), dtype=pl.String)
        self._folded.append(ids)
        hashes = ids.to_frame().select(_hash(pl.col("id"))).to_series()
        self._hashes = (
            hashes if self._hashes is None else pl.concat([self._hashes, hashes])
        ).sort()
        self._recent = set()
