"""Validation as one polars query: it runs every check of the pandera models and fails wherever
pandera fails, and pandera only explains the failures.

The violations are generated from the models (``to_schema()``: columns, dtypes, nullability,
``pa.Field`` checks, ``@pa.check`` methods, ``Config.unique``), one per check, each applied to
valid frames; for every one, pandera must report that check and the one-query path must fail.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import polars as pl
import pytest

from postpress_frames._exceptions import SchemaValidationError
from postpress_frames._pandera import pa
from postpress_frames.tables import columns, models, schemas
from postpress_frames.tables.checks import BUILTIN_CHECKS, ROW_CHECKS, passes
from postpress_frames.tables.schemas import STORED_TABLES, table_schema, validate_frames
from postpress_frames.tables.values import DOCUMENTED_VALUES
from tests.conftest import demo_frames

CHILDREN = ("attachments", "reactions", "seen_by")


def _rejects() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "chat_id": ["chat_demo", None, "chat_demo"],
            "page": [1, 2, 2],
            "message_id": ["set_aside_1", None, None],
            "field": ["hidden", "id", "id"],
            "reason": ["expected a boolean", "no id", "no id"],
            "item": ['{"id": "set_aside_1"}', "{}", "{}"],
        },
        schema=table_schema("rejects"),
    )


@pytest.fixture(scope="module")
def valid() -> dict[str, pl.DataFrame]:
    frames = demo_frames(120)
    return {**frames, "rejects": _rejects()}


def fast_passes(tables: dict[str, pl.DataFrame]) -> bool:
    """What the one query says: True when every check passes."""
    queries = schemas._check_queries(tables)
    return queries is not None and all(all(r.row(0)) for r in pl.collect_all(queries))


# -- the generated module is the models' ----------------------------------------------------


def test_the_columns_module_is_what_the_models_give() -> None:
    assert dict(columns.MODELS) == {t: models.describe(m) for t, m in models.MODELS.items()}
    assert list(columns.MODELS) == list(STORED_TABLES)


def test_the_generated_source_is_the_module() -> None:
    generated: dict[str, Any] = {}
    exec(compile(models.source(), "columns.py", "exec"), generated)
    assert dict(generated["MODELS"]) == dict(columns.MODELS)


@pytest.mark.parametrize("table", list(models.MODELS))
def test_the_query_has_one_cell_per_check_of_the_model(table: str) -> None:
    schema = models.MODELS[table].to_schema()
    expected = sum(
        (not c.nullable) + c.unique + len(c.checks) for c in schema.columns.values()
    ) + bool(schema.unique)
    found = passes(columns.MODELS[table], table_schema(table))
    assert found is not None
    assert len(found) == expected
    for column in schema.columns.values():
        for check in column.checks:
            assert check.name in ROW_CHECKS or check.name in BUILTIN_CHECKS


# -- the models' own checks: the same expression on both paths -------------------------------


def _candidates(table: str, column: str, dtype: pl.DataType) -> list[Any]:
    if dtype == pl.String():
        return [None, "", "x", *DOCUMENTED_VALUES.get((table, column), ())]
    if dtype == pl.Boolean():
        return [None, True, False]
    if dtype.is_integer():
        return [None, -1, 0, 1]
    if dtype.is_float():
        return [None, -1.0, 0.0, 1.5, math.nan]
    if isinstance(dtype, pl.Datetime):
        return [None, datetime(2026, 1, 1, tzinfo=UTC)]
    if isinstance(dtype, pl.List):
        return [None, [], ["x"]]
    raise AssertionError(f"no candidate values for {dtype}")


def _combinations(table: str, check_name: str, key: str) -> pl.DataFrame:
    """Every combination of candidate values of the columns the check reads, each twice (so
    checks across rows, like uniqueness, see repeats)."""
    schema = table_schema(table)
    read = list(dict.fromkeys([key, *ROW_CHECKS[check_name](key).meta.root_names()]))
    values = [_candidates(table, c, schema[c]) for c in read]
    rows = list(itertools.product(*values)) * 2
    return pl.DataFrame(rows, schema={c: schema[c] for c in read}, orient="row")


def _row_checks() -> Iterator[tuple[str, str, Any]]:
    for table, model in models.MODELS.items():
        for name, column in model.to_schema().columns.items():
            for check in column.checks:
                if check.name in ROW_CHECKS:
                    yield table, name, check


ROW_CHECK_CASES = list(_row_checks())


@pytest.mark.parametrize(
    ("table", "key", "check"),
    ROW_CHECK_CASES,
    ids=[f"{t}.{k}.{c.name}" for t, k, c in ROW_CHECK_CASES],
)
def test_each_model_check_method_gives_what_the_query_evaluates(
    table: str, key: str, check: Any
) -> None:
    frame = _combinations(table, check.name, key)
    by_pandera = check(frame.lazy(), key).check_output.collect().to_series()
    by_query = frame.select(ROW_CHECKS[check.name](key).fill_null(check.ignore_na)).to_series()
    assert by_pandera.to_list() == by_query.to_list()
    assert not by_pandera.all(), "the candidate values never fail the check"


# -- a violation of every check fails the query, and pandera names it ------------------------


def _near_dtypes(dtype: pl.DataType) -> list[pl.DataType]:
    """Dtypes a table could carry by mistake instead of ``dtype``."""
    if isinstance(dtype, pl.Datetime):
        return [pl.Datetime("us", dtype.time_zone), pl.Datetime(dtype.time_unit, None)]
    if isinstance(dtype, pl.List):
        return [pl.List(pl.Categorical())]
    near: dict[pl.DataType, list[pl.DataType]] = {
        pl.String(): [pl.Categorical()],
        pl.Int64(): [pl.Int32(), pl.Float64()],
        pl.Int32(): [pl.Int64()],
        pl.Float64(): [pl.Float32()],
        pl.Boolean(): [pl.Int8()],
    }
    return near[dtype]


def _violating(check: Any) -> Any:
    """A value failing one of pandera's builtin checks, from its statistics."""
    stats = check.statistics
    if check.name == "str_length":
        if stats.get("exact_value") is not None:
            return "x" * (stats["exact_value"] + 1)
        if stats.get("min_value"):
            return "x" * (stats["min_value"] - 1)
        return "x" * (stats["max_value"] + 1)
    if check.name in ("greater_than_or_equal_to", "greater_than"):
        return stats["min_value"] - (1 if check.name.endswith("to") else 0)
    if check.name in ("less_than_or_equal_to", "less_than", "in_range"):
        return stats["max_value"] + 1
    raise AssertionError(f"teach this test a value that fails {check.name}")


def _set(frame: pl.DataFrame, values: dict[str, Any]) -> pl.DataFrame:
    """``frame`` with the first two rows' ``values`` replaced."""
    first = pl.int_range(pl.len()) < 2
    return frame.with_columns(
        pl.when(first).then(pl.lit(v, dtype=frame.schema[c])).otherwise(pl.col(c)).alias(c)
        for c, v in values.items()
    )


def _cases() -> Iterator[tuple[str, str, str | None, Any]]:
    """(table, what is violated, column, detail), one per check of every model."""
    for table, model in models.MODELS.items():
        schema = model.to_schema()
        yield table, "column_in_schema", None, None
        for name, column in schema.columns.items():
            if column.required:
                yield table, "column_in_dataframe", name, None
            for dtype in _near_dtypes(pl.Schema({name: column.dtype.type})[name]):
                yield table, "dtype", name, dtype
            if not column.nullable:
                yield table, "not_nullable", name, None
            if column.unique:
                yield table, "field_uniqueness", name, None
            for check in column.checks:
                yield table, "check", name, check
        if schema.unique:
            yield table, "multiple_fields_uniqueness", None, list(schema.unique)
    for child in CHILDREN:
        yield child, "message_id_in_messages", "message_id", None
    yield "rejects", "message_id_not_in_messages", "message_id", None


CASES = list(_cases())


def _case_id(case: tuple[str, str, str | None, Any]) -> str:
    table, kind, column, detail = case
    if kind == "check":
        kind = detail.name
    elif kind == "dtype":
        kind = f"dtype-{detail}"
    return ".".join(str(p) for p in (table, column, kind) if p is not None)


def _violate(
    valid: dict[str, pl.DataFrame], case: tuple[str, str, str | None, Any]
) -> tuple[dict[str, pl.DataFrame], str]:
    """The valid tables with one check of ``case`` violated, and pandera's name for it."""
    table, kind, column, detail = case
    tables = dict(valid)
    frame = tables[table]
    expected = kind
    if kind == "column_in_schema":
        frame = frame.with_columns(pl.lit(1).alias("unexpected"))
    elif kind == "column_in_dataframe":
        frame = frame.drop(column)
    elif kind == "dtype":
        frame = frame.with_columns(pl.col(column).cast(detail))
        expected = "dtype("
    elif kind == "not_nullable":
        frame = _set(frame, {column: None})
    elif kind == "field_uniqueness":
        frame = frame.with_columns(pl.col(column).first().alias(column))
    elif kind == "multiple_fields_uniqueness":
        frame = pl.concat([frame, frame.head(1)])
    elif kind == "check" and detail.name in ROW_CHECKS:
        combos = _combinations(table, detail.name, column)
        verdict = detail(combos.lazy(), column).check_output.collect().to_series()
        frame = _set(frame, combos.filter(~verdict).row(0, named=True))
        expected = detail.name
    elif kind == "check":
        frame = _set(frame, {column: _violating(detail)})
        expected = str(detail.error)
    elif kind == "message_id_in_messages":
        frame = _set(frame, {"message_id": "not_a_message"})
    elif kind == "message_id_not_in_messages":
        frame = _set(frame, {"message_id": tables["messages"]["id"][0]})
    tables[table] = frame
    return tables, expected


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_a_violation_of_each_check_fails_the_query_as_pandera_does(
    valid: dict[str, pl.DataFrame], case: tuple[str, str, str | None, Any]
) -> None:
    tables, expected = _violate(valid, case)
    table = case[0]
    if case[1].startswith("message_id_"):
        found = schemas._orphans(tables) + schemas._set_aside_and_kept(tables)
    else:
        found = models.failures(table, tables[table])
    assert any(f.table == table and f.check.startswith(expected) for f in found), found
    assert not fast_passes(tables)
    # The query's own cell for that check fails (the schema-level ones end it before any data).
    kind, column, detail = case[1:]
    cells = passes(columns.MODELS[table], tables[table].schema)
    if kind in ("column_in_schema", "column_in_dataframe", "dtype"):
        assert cells is None
    elif not kind.startswith("message_id_"):
        assert cells is not None
        name = {"check": f"{column}/{getattr(detail, 'name', '')}"}.get(kind, f"{column}/{kind}")
        result = tables[table].lazy().select(cells).collect().row(0, named=True)
        assert result["multiple_fields_uniqueness" if column is None else name] is False


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("case", CASES[::25], ids=[_case_id(c) for c in CASES[::25]])
def test_validate_frames_explains_a_failure_with_pandera(
    valid: dict[str, pl.DataFrame], case: tuple[str, str, str | None, Any]
) -> None:
    tables, _ = _violate(valid, case)
    with pytest.raises(SchemaValidationError) as caught:
        validate_frames(tables)
    assert caught.value.failures == schemas._failures(tables)


# -- valid tables never reach pandera --------------------------------------------------------


@pytest.fixture
def pandera_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("pandera was asked about valid tables")

    monkeypatch.setattr(models, "failures", refuse)
    monkeypatch.setattr(models, "row_failures", refuse)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.usefixtures("pandera_refused")
@pytest.mark.parametrize("n", [0, 1, 120, 700])
def test_valid_frames_pass_the_query_alone(n: int) -> None:
    frames = demo_frames(n, seed=n)
    assert fast_passes({**frames, "rejects": frames.rejects})
    frames.validate()
    frames.replace().validate()  # read back: the warnings' counts come from the same query
    assert schemas.row_failures("messages", frames.messages)[0].height == 0


@pytest.mark.usefixtures("pandera_refused")
def test_valid_rejects_and_lazy_frames_pass_the_query_alone(
    valid: dict[str, pl.DataFrame],
) -> None:
    validate_frames(valid)
    validate_frames({name: frame.lazy() for name, frame in valid.items()})


def test_a_hash_collision_only_sends_the_tables_to_pandera(
    valid: dict[str, pl.DataFrame], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Uniqueness compares hashes: a repeated hash fails the query, and pandera decides."""
    monkeypatch.setattr(pl.Expr, "hash", lambda self, seed=0: pl.lit(0, dtype=pl.UInt64))
    assert not fast_passes(valid)
    validate_frames(valid)  # pandera finds nothing: no failure


def test_model_lookups_import_the_models_on_first_use() -> None:
    assert schemas.TABLE_MODELS["seen_by"] is models.SeenBySchema
    assert schemas.MessageSchema is models.MessageSchema
    assert schemas.polars_schema(models.RejectSchema) == table_schema("rejects")
    assert schemas.table_model("rejects") is models.RejectSchema
    with pytest.raises(KeyError):
        schemas.TABLE_MODELS["rejects"]


def test_a_model_of_a_users_own_is_read_by_pandera() -> None:
    class Narrow(pa.DataFrameModel):
        id: str

    assert schemas.polars_schema(Narrow) == pl.Schema({"id": pl.String})
