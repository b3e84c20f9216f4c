"""A compact set of the message ids of one chat, for dropping repeats while paging.

Paging a chat remembers every id it has yielded, so messages arriving during a fetch (which
shift the offset-like cursor) are not yielded twice. A Python ``set`` of a million ids of
30 characters holds about 130 MB. :class:`SeenIds` keeps the ids of the recent pages in a
set and folds older ones into polars as two independent 64-bit hashes of each id (16 bytes
an id, 16 MB a million), sorted by the first and searched by binary search. A new id is
taken for a seen one only if both of its hashes equal those of one seen id: a chance of
2**-128 a pair, about 10**-27 over a million ids, so it answers as a set does.

>>> seen = SeenIds()
>>> seen.first_seen(["a", "b", "a"]), seen.first_seen(["b", "c"]), len(seen)
([0, 1], [1], 3)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # polars is imported on the first fold: importing the client stays fast
    import polars as pl


def _hashes(ids: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Two independent 64-bit hashes of each id: of the id, and of it reversed (other seed)."""
    return ids.hash(seed=0x5EED).alias("h0"), ids.str.reverse().hash(seed=0xC0FFEE).alias("h1")


class SeenIds:
    """The ids seen so far; :meth:`first_seen` records ids and says which are new.

    ``fold_at`` is how many ids the set of recent ones holds before they are folded.
    """

    def __init__(self, *, fold_at: int = 32_768) -> None:
        self._fold_at = fold_at
        self._recent: set[str] = set()
        self._first: pl.Series | None = None  # the folded ids' first hashes, sorted
        self._second: pl.Series | None = None  # their second hashes, in the same order
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
        firsts, seconds = self._first, self._second
        if firsts is None or seconds is None or not ids:
            return set()
        import polars as pl

        first, second = _hashes(pl.col("id"))
        folded = pl.lit(firsts)
        at = folded.search_sorted(first).clip(upper_bound=firsts.len() - 1)
        probe = pl.DataFrame({"id": pl.Series(ids, dtype=pl.String)})
        hits = probe.filter(folded.gather(at) == first)  # one query: the common case
        if hits.is_empty():
            return set()
        # Rare (a repeat, or a 64-bit collision): the second hash decides, among the folded
        # ids sharing the first one (side by side from where the search landed).
        found = set()
        for message_id, h0, h1, start in hits.select(
            "id", first, second, at.alias("at")
        ).iter_rows():
            end = start
            while end < firsts.len() and firsts[end] == h0:
                if seconds[end] == h1:
                    found.add(message_id)
                    break
                end += 1
        return found

    def _fold(self) -> None:
        import polars as pl

        ids = pl.DataFrame({"id": pl.Series(list(self._recent), dtype=pl.String)})
        new = ids.select(_hashes(pl.col("id")))
        firsts, seconds = new.get_column("h0"), new.get_column("h1")
        if self._first is not None and self._second is not None:
            firsts, seconds = pl.concat([self._first, firsts]), pl.concat([self._second, seconds])
        order = firsts.arg_sort()
        self._first, self._second = firsts.gather(order), seconds.gather(order)
        self._recent = set()
