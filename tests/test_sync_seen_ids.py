"""SeenIds: the compact set of ids paging uses to drop repeated messages; exact, like a set."""

from __future__ import annotations

import functools
import os
import random
import subprocess
import sys

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


def test_the_filter_never_says_no_to_a_string_it_holds() -> None:
    held = [f"msg_{i}" for i in range(50_000)]
    bloom = _seen._Filter()
    bloom.add(held)
    assert all(bloom.may_hold(text) for text in held)
    others = [f"other_{i}" for i in range(50_000)]
    # 150,000 bits set of 2**25: a stranger passes with a chance of about 10**-6.
    assert sum(bloom.may_hold(text) for text in others) <= 5


def test_once_folded_only_the_ids_the_filter_lets_through_are_searched(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = SeenIds(fold_at=1_000)
    folded = [f"old_{i}" for i in range(1_000)]
    assert seen.first_seen(folded) == list(range(1_000))
    searched: list[str] = []
    search = seen._folded_among

    def recording(ids: list[str]) -> set[str]:
        searched.extend(ids)
        return search(ids)

    monkeypatch.setattr(seen, "_folded_among", recording)
    for page in range(40):  # 10,000 new ids: none of them is looked for in the folded hashes
        ids = [f"new_{page}_{i}" for i in range(250)]
        assert seen.first_seen(ids) == list(range(250))
    assert len(searched) <= 5
    # A folded id coming back is let through, searched and dropped.
    assert seen.first_seen(["new_x", "old_7", "old_999"]) == [0]
    assert {"old_7", "old_999"} <= set(searched)


PICKLE_IN_ONE_PROCESS = """
import pickle, sys
from postpress_frames.api.seen import SeenIds
seen = SeenIds(fold_at=100)
seen.first_seen([f"old_{i}" for i in range(1_000)])
sys.stdout.buffer.write(pickle.dumps(seen))
"""

ANSWER_IN_ANOTHER = """
import pickle, sys
seen = pickle.loads(sys.stdin.buffer.read())
print(seen.first_seen([f"old_{i}" for i in range(1_000)] + ["new"]), seen._filter is None)
"""


def test_a_copy_in_a_process_with_other_string_hashes_still_knows_every_id() -> None:
    """The filter is built from Python's string hashes, which differ between processes: a
    pickled SeenIds drops it there and searches every id instead of trusting it."""
    run = functools.partial(subprocess.run, check=True, capture_output=True)
    made = run([sys.executable, "-c", PICKLE_IN_ONE_PROCESS], env=hash_seed(1))
    answer = run([sys.executable, "-c", ANSWER_IN_ANOTHER], input=made.stdout, env=hash_seed(2))
    assert answer.stdout.decode().split() == ["[1000]", "True"]
    same = run([sys.executable, "-c", ANSWER_IN_ANOTHER], input=made.stdout, env=hash_seed(1))
    assert same.stdout.decode().split() == ["[1000]", "False"]


def hash_seed(seed: int) -> dict[str, str]:
    return {**os.environ, "PYTHONHASHSEED": str(seed)}
