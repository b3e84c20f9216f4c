"""The notebooks are committed with their outputs, current and self-contained.

A reader on a code host sees every table and chart without running anything: each chart is
a PNG image (no Vega script from a CDN), no output holds an API key or a traceback, and
re-running the notebooks (``notebooks/build_notebooks.py``, what ``make notebooks`` runs)
gives exactly the committed files.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from postpress_frames.testing import FakePostpress

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CANARY = "pp_canary_notebook_SECRET_42"
REGENERATE = "run `make notebooks` to rebuild and re-run the notebooks, then commit them"

IMAGES = ("image/png", "image/svg+xml")
ALTAIR_REPR = re.compile(r"^alt\.\w*Chart\(\.\.\.\)$")  # the text/plain of any displayed chart
# Scripts or styles a front end would fetch when showing an output: offline they fail.
EXTERNAL = re.compile(
    r"<script[^>]*\bsrc\s*=\s*[\"']?(https?:)?//"
    r"|<link[^>]*\bhref\s*=\s*[\"']?(https?:)?//"
    r"|cdn\.jsdelivr|unpkg\.com|cdnjs\.|https?://cdn\.|require(js)?\.config"
)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def load_builder() -> ModuleType:
    path = ROOT / "notebooks" / "build_notebooks.py"
    spec = importlib.util.spec_from_file_location("build_notebooks", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("build_notebooks", module)
    spec.loader.exec_module(module)
    return module


builder = load_builder()


def code_cells(nb: dict[str, Any]) -> list[dict[str, Any]]:
    return [cell for cell in nb["cells"] if cell["cell_type"] == "code"]


def text_of(value: Any) -> str:
    """An output field as one string (nbformat stores text as a list of lines)."""
    if isinstance(value, list):
        return "".join(value)
    return value if isinstance(value, str) else json.dumps(value)


def strings(value: Any) -> list[str]:
    """Every string in an output, at any depth (keys included)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in [key, *strings(item)]]
    if isinstance(value, list):
        return [text for item in value for text in strings(item)]
    return []


def is_chart_output(output: dict[str, Any]) -> bool:
    plain = text_of(output.get("data", {}).get("text/plain", ""))
    return bool(ALTAIR_REPR.match(plain))


def problems(nb: dict[str, Any], secrets: tuple[str, ...]) -> list[str]:
    """What is wrong with the outputs of ``nb``: one line per cell and problem."""
    found = []
    for cell in code_cells(nb):
        where = f"cell {cell['id']} ({text_of(cell['source']).splitlines()[:1]})"
        outputs = cell["outputs"]
        tagged = builder.CHART_TAG in cell["metadata"].get("tags", [])
        if tagged and not any(
            mime in output.get("data", {}) for output in outputs for mime in IMAGES
        ):
            found.append(f"{where}: a chart cell without an image output")
        for output in outputs:
            data = output.get("data", {})
            if is_chart_output(output) and not any(mime in data for mime in IMAGES):
                found.append(f"{where}: a chart shown without an image ({sorted(data)})")
            if output["output_type"] == "error":
                found.append(f"{where}: an error: {output.get('ename')}")
            if output.get("name") == "stderr":
                found.append(f"{where}: stderr: {text_of(output['text'])[:200]!r}")
            if WIDGET_VIEW in data:
                found.append(f"{where}: a widget (saved as {text_of(data.get('text/plain'))!r})")
            text = "\n".join(strings(output))
            if "Traceback" in text:
                found.append(f"{where}: a traceback")
            if match := EXTERNAL.search(text):
                found.append(f"{where}: an external script or style: {match.group()!r}")
            found += [f"{where}: an API key" for secret in secrets if secret in text]
    return found


def secrets_to_hide() -> tuple[str, ...]:
    keys = [CANARY, FakePostpress().api_key, os.environ.get("POSTPRESS_API_KEY", "")]
    return tuple(key for key in keys if key)


def test_the_committed_notebooks_are_the_built_ones() -> None:
    assert [p.name for p in NOTEBOOKS] == sorted(builder.NOTEBOOKS)
    assert [p.name for p in NOTEBOOKS][:1] == ["01_quickstart.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_committed_with_its_outputs(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = code_cells(nb)
    counts = [cell["execution_count"] for cell in cells]
    assert counts == list(range(1, len(cells) + 1)), f"{path.name} is not executed: {REGENERATE}"
    assert any(cell["outputs"] for cell in cells), path.name
    ids = [cell["id"] for cell in nb["cells"]]
    assert ids == [f"{path.stem}-{i:02d}" for i in range(len(ids))], "cell ids are not derived"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_outputs_are_self_contained(path: Path) -> None:
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert problems(nb, secrets_to_hide()) == [], path.name


def test_some_cells_are_charts_and_show_images() -> None:
    charts = [
        output
        for path in NOTEBOOKS
        for cell in code_cells(json.loads(path.read_text(encoding="utf-8")))
        if builder.CHART_TAG in cell["metadata"].get("tags", [])
        for output in cell["outputs"]
    ]
    assert charts, "no cell is tagged as a chart: the image check would check nothing"
    assert all(is_chart_output(output) and "image/png" in output["data"] for output in charts)


def test_progress_bar_is_saved_as_its_final_count() -> None:
    nb = json.loads((ROOT / "notebooks" / "01_quickstart.ipynb").read_text(encoding="utf-8"))
    (cell,) = [c for c in code_cells(nb) if "progress=True" in text_of(c["source"])]
    plain = [text_of(o.get("data", {}).get("text/plain", "")) for o in cell["outputs"]]
    assert "chat_demo: 2,000 msg, pages=8" in plain
    assert not any(WIDGET_VIEW in o.get("data", {}) for o in cell["outputs"])


def test_problems_names_each_kind_of_bad_output() -> None:
    def cell(outputs: list[dict[str, Any]], tags: list[str]) -> dict[str, Any]:
        metadata = {"tags": tags}
        return {
            "cell_type": "code",
            "id": "c",
            "source": "x",
            "metadata": metadata,
            "outputs": outputs,
        }

    html_chart = {
        "output_type": "execute_result",
        "data": {
            "text/html": '<script src="https://cdn.jsdelivr.net/npm/vega@6"></script>',
            "text/plain": "alt.LayerChart(...)",
        },
    }
    widget = {"output_type": "display_data", "data": {WIDGET_VIEW: {}, "text/plain": "c: 0 msg"}}
    leak = {"output_type": "stream", "name": "stdout", "text": f"key={CANARY}"}
    nb = {"cells": [cell([html_chart], [builder.CHART_TAG]), cell([widget, leak], [])]}
    found = problems(nb, (CANARY,))
    expected = [
        "a chart cell without an image output",
        "a chart shown without an image",
        "an external script or style: '<script src=\"https://'",
        "a widget (saved as 'c: 0 msg')",
        "an API key",
    ]
    assert len(found) == len(expected), found
    assert all(want in line for want, line in zip(expected, found, strict=True)), found


def test_normalize_makes_ports_and_temporary_folders_stable(tmp_path: Path) -> None:
    nb = builder.source("01_quickstart.ipynb")
    cell = next(c for c in nb.cells if c.cell_type == "code")
    cell.outputs = [
        {"output_type": "stream", "name": "stdout", "text": f"{tmp_path}/lake\n"},
        {
            "output_type": "execute_result",
            "execution_count": 1,
            "metadata": {},
            "data": {"text/plain": "Client(base_url='http://127.0.0.1:54321/api/v1')"},
        },
    ]
    nb.metadata["language_info"]["version"] = "3.11.7"
    nb.metadata["widgets"] = {"state": {}}
    cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
    out = builder.normalize(builder.from_dict(nb), workdir=str(tmp_path))
    outputs = next(c for c in out.cells if c.cell_type == "code").outputs
    assert outputs[0].text == "<tmp>/lake\n"
    assert outputs[1].data["text/plain"] == "Client(base_url='http://127.0.0.1:<port>/api/v1')"
    assert out.metadata == builder.metadata()
    assert "execution" not in next(c for c in out.cells if c.cell_type == "code").metadata


@pytest.mark.slow  # a Jupyter kernel per notebook
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_outputs_are_current(path: Path) -> None:
    # A real key in the environment must never show, nor change any output.
    env = {**builder.kernel_env(), "POSTPRESS_API_KEY": CANARY}
    built = builder.build(path.name, env=env)
    assert CANARY not in built
    fresh = json.loads(built)
    assert problems(fresh, secrets_to_hide()) == [], path.name
    committed = json.loads(path.read_text(encoding="utf-8"))
    stale = [
        f"cell {new['id']} ({text_of(new['source']).splitlines()[:1]})"
        for old, new in zip(committed["cells"], fresh["cells"], strict=False)
        if old != new
    ]
    if len(committed["cells"]) != len(fresh["cells"]):
        stale.append(f"{len(committed['cells'])} cells committed, {len(fresh['cells'])} built")
    if built != path.read_text(encoding="utf-8"):  # not `assert ==`: no diff of base64 images
        pytest.fail(f"{path.name} is not current ({'; '.join(stale) or 'metadata'}): {REGENERATE}")
