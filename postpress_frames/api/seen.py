"""A compact set of the message ids of one chat, for dropping repeats while paging.

Paging a chat remembers every id it has yielded, so messages arriving during a fetch (which
shift the offset-like cursor) are not yielded twice. A Python ``set`` of a million ids of
30 characters holds about 130 MB. :class:`SeenIds` keeps the ids of the recent pages in a
set (up to ``fold_at``, 131,072 ids: about 20 MB) and folds older ones into polars as two
independent 64-bit hashes of each id (16 bytes an id, 16 MB a million), sorted by the first
and searched by binary search. A new id is taken for a seen one only if both of its hashes
equal those of one seen id: a chance of 2**-128 a pair, about 10**-27 over a million ids,
so it answers as a set does.

Folding and searching run polars queries on the thread that fetches the next page, and
they wait for polars' threads, which are busy building tables from earlier pages: chats of
up to ``fold_at`` messages (most) never fold. Beyond, a Bloom filter of :data:`FILTER_BITS`
bits (4 MiB; three bits an id, from Python's own cached hash of the string) stands in front
of the folded hashes: an id whose bits are not all set was never folded, and only the few
ids it lets through (about one page in six at a million folded ids, almost none below) are
searched. A filter has no false negatives, so the answers are the same; past a few million
ids it lets most pages through and costs what the search alone did.

>>> seen = SeenIds()
>>> seen.first_seen(["a", "b", "a"]), seen.first_seen(["b", "c"]), len(seen)
([0, 1], [1], 3)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:  # polars is imported on the first fold: importing the client stays fast
    import polars as pl


#: The size of the filter in front of the folded ids (a power of two, at most 2**25: three
#: positions are cut from one 64-bit hash).
FILTER_BITS: Final = 2**25
_POSITION: Final = FILTER_BITS - 1
_PROBE: Final = "postpress-frames"  # its hash tells whether string hashes are this process's


class _Filter:
    """A Bloom filter of strings: :meth:`add` them, ask :meth:`may_hold` (never a false no)."""

    __slots__ = ("_bits",)

    def __init__(self) -> None:
        self._bits = bytearray(FILTER_BITS // 8)

    def add(self, texts: Iterable[str]) -> None:
        bits = self._bits
        for text in texts:
            h = hash(text)
            at = h & _POSITION
            bits[at >> 3] |= 1 << (at & 7)
            at = (h >> 25) & _POSITION
            bits[at >> 3] |= 1 << (at & 7)
            at = (h >> 39) & _POSITION
            bits[at >> 3] |= 1 << (at & 7)

    def may_hold(self, text: str) -> bool:
        bits = self._bits
        h = hash(text)
        at = h & _POSITION
        if not bits[at >> 3] >> (at & 7) & 1:  # most new ids stop here
            return False
        at = (h >> 25) & _POSITION
        if not bits[at >> 3] >> (at & 7) & 1:
            return False
        at = (h >> 39) & _POSITION
        return bool(bits[at >> 3] >> (at & 7) & 1)


def _hashes(ids: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Two independent 64-bit hashes of each id: of the id, and of it reversed (other seed)."""
    return ids.hash(seed=0x5EED).alias("h0"), ids.str.reverse().hash(seed=0xC0FFEE).alias("h1")


class SeenIds:
    """The ids seen so far; :meth:`first_seen` records ids and says which are new.

    ``fold_at`` is how many ids the set of recent ones holds before they are folded.
    """

    def __init__(self, *, fold_at: int = 131_072) -> None:
        self._fold_at = fold_at
        self._recent: set[str] = set()
        self._first: pl.Series | None = None  # the folded ids' first hashes, sorted
        self._second: pl.Series | None = None  # their second hashes, in the same order
        # Every folded id is in it; None once folded: no filter, search every id (after a
        # copy to a process whose string hashes differ, see __setstate__).
        self._filter: _Filter | None = None
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def __getstate__(self) -> dict[str, object]:
        return {**self.__dict__, "_string_hashes": hash(_PROBE)}

    def __setstate__(self, state: dict[str, object]) -> None:
        hashes = state.pop("_string_hashes", None)
        self.__dict__.update(state)
        if hashes != hash(_PROBE):  # another process's string hashes: its filter means nothing
            self._filter = None

    def first_seen(self, ids: Sequence[str]) -> list[int]:
        """Record ``ids``; return the positions of those not seen before (nor earlier here)."""
        recent = self._recent
        if self._first is None:  # nothing folded yet
            old: set[str] = set()
        else:
            bloom = self._filter
            maybe = [i for i in ids if i not in recent and (bloom is None or bloom.may_hold(i))]
            old = self._folded_among(maybe) if maybe else set()
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

        if self._first is None:
            self._filter = _Filter()
        if self._filter is not None:
            self._filter.add(self._recent)
        ids = pl.DataFrame({"id": pl.Series(list(self._recent), dtype=pl.String)})
        new = ids.select(_hashes(pl.col("id")))
        firsts, seconds = new.get_column("h0"), new.get_column("h1")
        if self._first is not None and self._second is not None:
            firsts, seconds = pl.concat([self._first, firsts]), pl.concat([self._second, seconds])
        order = firsts.arg_sort()
        self._first, self._second = firsts.gather(order), seconds.gather(order)
        self._recent = set()
