"""SeenIds: the compact set of ids paging uses to drop repeated messages; exact, like a set."""

from __future__ import annotations

import random

import polars as pl
import pytest

from postpress_frames.api import seen as _seen
from postpress_frames.api.seen import SeenIds


def first_seen_by_a_set(pages: list[list[str]]) -> list[list[int]]:
    seen: set[str] = set()
    out = []
    for ids in pages:
        new = []
        for position, message_id in enumerate(ids):
            if message_id not in seen:
                seen.add(message_id)
                new.append(position)
        out.append(new)
    return out


def random_pages(seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    return [[f"msg_{rng.randint(0, 400)}" for _ in range(rng.randint(0, 12))] for _ in range(150)]


@pytest.mark.parametrize("fold_at", [1, 7, 10_000])
@pytest.mark.parametrize("seed", range(3))
def test_first_seen_answers_as_a_set_does(fold_at: int, seed: int) -> None:
    pages = random_pages(seed)
    seen = SeenIds(fold_at=fold_at)
    assert [seen.first_seen(ids) for ids in pages] == first_seen_by_a_set(pages)
    assert len(seen) == len({i for ids in pages for i in ids})


def test_ids_sharing_a_first_hash_are_told_apart_by_the_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Here ids of one length share their first hash: only the second tells them apart."""
    real = _seen._hashes

    def by_length(ids: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
        return ids.str.len_bytes().cast(pl.UInt64).alias("h0"), real(ids)[1]

    monkeypatch.setattr(_seen, "_hashes", by_length)
    pages = random_pages(7)
    seen = SeenIds(fold_at=5)
    assert [seen.first_seen(ids) for ids in pages] == first_seen_by_a_set(pages)
