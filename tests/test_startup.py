"""Start-up: importing the package and using its fetch, sync, build and read paths loads
neither pandera nor altair nor pandas (each interpreter is fresh, so nothing was loaded
before). pandera is imported only to explain a validation failure or for a model itself."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("pandera", "altair", "pandas")

_REPORT = f"""
import json, sys
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""


def _loaded(code: str, cwd: Path) -> list[str]:
    """The heavy modules loaded after running ``code`` in a fresh interpreter."""
    result = subprocess.run(
        [sys.executable, "-c", code + _REPORT],
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_the_public_names_of_fetch_sync_and_read_import_no_heavy_module(tmp_path: Path) -> None:
    code = """
import postpress_frames as p
for name in ("fetch_chat", "sync_chat", "sync_chats", "frames_from_pages", "read_parquet",
             "write_parquet", "read_chat", "scan_dataset", "write_dataset", "Client",
             "ChatFrames", "validate_frames", "UnknownFieldWarning", "UnknownValueWarning",
             "SchemaValidationError"):
    getattr(p, name)
import postpress_frames.stats
from postpress_frames.tables.schemas import MissingFieldWarning, STORED_TABLES, TABLE_MODELS
list(TABLE_MODELS)
"""
    assert _loaded(code, tmp_path) == []


def test_fetching_validating_storing_and_reading_back_import_no_heavy_module(
    tmp_path: Path,
) -> None:
    code = """
import warnings
warnings.simplefilter("ignore")
import postpress_frames as p
from postpress_frames.testing import FakePostpress
with FakePostpress(messages=400) as server, p.Client(
        api_key=server.api_key, base_url=server.base_url) as client:
    frames = p.fetch_chat(server.chat_id, client=client).validate()
    p.write_parquet(frames, "chat")
    assert p.read_parquet("chat") == frames
    p.sync_chat(server.chat_id, "lake", client=client)
    p.read_chat("lake", server.chat_id).validate()
p.sender_activity(frames)
"""
    assert _loaded(code, tmp_path) == []


def test_a_model_or_a_failure_imports_pandera(tmp_path: Path) -> None:
    code = """
import polars as pl
from postpress_frames.schemas import MessageSchema
"""
    assert "pandera" in _loaded(code, tmp_path)
    code = """
import polars as pl
import postpress_frames as p
frames = p.ChatFrames.empty()
try:
    frames.replace(reactions=frames.reactions.drop("value")).validate()
except p.SchemaValidationError as error:
    assert error.failures[0].check == "column_in_dataframe", error.failures
else:
    raise AssertionError("a missing column passed")
"""
    assert "pandera" in _loaded(code, tmp_path)
