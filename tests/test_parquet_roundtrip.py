"""Hypothesis round trips: any valid pages -> frames -> Parquet (folder or dataset) -> equal frames."""

from __future__ import annotations

import tempfile
import warnings
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postpress_frames.storage.dataset import read_chat, split_by_chat, write_dataset
from postpress_frames.storage.parquet import read_parquet, write_parquet
from postpress_frames.tables.build import frames_from_pages
from postpress_frames.tables.chat_frames import ChatFrames
from tests.strategies import Chat, chat_pages

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def build(chat: Chat, include_original: bool) -> ChatFrames:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # generated pages may carry undocumented enum values
        return frames_from_pages(chat.pages, include_original=include_original)


@SETTINGS
@given(chat_pages(), st.booleans())
def test_folder_round_trip_is_exact(chat: Chat, include_original: bool) -> None:
    frames = build(chat, include_original)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        write_parquet(frames, Path(tmp) / "chat")
        assert read_parquet(Path(tmp) / "chat") == frames


@SETTINGS
@given(chat_pages())
def test_dataset_round_trip_is_exact_per_chat(chat: Chat) -> None:
    frames = build(chat, include_original=True)
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        written = write_dataset(frames, Path(tmp))
        for chat_id, expected in split_by_chat(frames).items():
            assert chat_id in written
            assert read_chat(Path(tmp), chat_id) == expected
