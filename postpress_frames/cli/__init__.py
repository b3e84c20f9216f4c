"""The ``postpress-frames`` command line: fetch, sync, validate, stats, report, fake-server, demo.

Key and base URL come from ``--api-key``/``--base-url`` or ``POSTPRESS_API_KEY`` /
``POSTPRESS_BASE_URL``. Progress goes to stderr, results to stdout. Exit codes: 0 ok,
2 usage (a wrong option, argument or setting: ``ConfigurationError``, ``ArgumentTypeError``),
3 authentication or permission, 4 not found, 5 API failure after retries, 6 invalid data,
1 a file that cannot be read or written (``StorageError``: a disk full, a read-only target,
a truncated Parquet file, an output path holding files the package did not write).
Every :class:`PostpressError` prints as one line on stderr; ``--debug`` (before or after the
command) adds the traceback and debug logs, and never changes the exit code.

Outputs (``--out``, ``--dataset``) never replace files the package did not write: each
command checks its targets (:mod:`._targets`) before any request or computation.

Modules: :mod:`._app` (the group, exit codes, one-line errors, shared options),
:mod:`._targets` (what an output may replace), :mod:`._inputs` (reading a fetch folder or
a dataset, bad files as one line), :mod:`._commands` (fetch, sync, validate, fake-server)
and :mod:`._analysis` (stats, report, demo).
"""

from __future__ import annotations

from postpress_frames.cli import _analysis, _commands
from postpress_frames.cli._app import (
    EXIT_API,
    EXIT_AUTH,
    EXIT_DATA,
    EXIT_ERROR,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    cli,
    exit_code_for,
    main,
)

__all__ = [
    "EXIT_API",
    "EXIT_AUTH",
    "EXIT_DATA",
    "EXIT_ERROR",
    "EXIT_NOT_FOUND",
    "EXIT_OK",
    "EXIT_USAGE",
    "cli",
    "exit_code_for",
    "main",
]

_REGISTERED = (_commands, _analysis)  # importing them adds their commands to `cli`
