"""The command group, its exit codes and one-line errors, and the options commands share.

Every :class:`PostpressError` and ``OSError`` a command lets through is printed by
:class:`_Group` as one line on stderr (after the traceback with ``--debug``) and exits with
:func:`exit_code_for` of it.
"""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from postpress_frames._exceptions import (
    APIError,
    AuthenticationError,
    ConfigurationError,
    InvalidResponseError,
    NotFoundError,
    PermissionDeniedError,
    PostpressError,
    SchemaValidationError,
    StorageError,
    TransportError,
)
from postpress_frames._version import __version__

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
EXIT_AUTH, EXIT_NOT_FOUND, EXIT_API, EXIT_DATA = 3, 4, 5, 6

F = TypeVar("F", bound=Callable[..., Any])


def exit_code_for(error: BaseException) -> int:
    """Map an error to the CLI's exit code (see the module docstring).

    >>> from postpress_frames._exceptions import ArgumentTypeError, NotFoundError
    >>> exit_code_for(NotFoundError(404)), exit_code_for(ArgumentTypeError("root", "a path", 1))
    (4, 2)
    >>> exit_code_for(StorageError("disk full", path="lake")), exit_code_for(FileNotFoundError())
    (1, 2)

    A missing input (a ``FileNotFoundError``, such as ``MissingInputError``, the
    ``StorageError`` of a folder or dataset that is not there) is a usage error.
    """
    if isinstance(error, FileNotFoundError):
        return EXIT_USAGE
    if isinstance(error, StorageError):
        return EXIT_ERROR
    if isinstance(error, AuthenticationError | PermissionDeniedError):
        return EXIT_AUTH
    if isinstance(error, NotFoundError):
        return EXIT_NOT_FOUND
    if isinstance(error, APIError | TransportError):
        return EXIT_API
    if isinstance(error, InvalidResponseError | SchemaValidationError):
        return EXIT_DATA
    if isinstance(error, ConfigurationError | click.UsageError):
        return EXIT_USAGE
    return EXIT_ERROR


class _Group(click.Group):
    """Turns package and file errors into one line on stderr and their exit code.

    With ``--debug`` the traceback comes first; the line and the exit code are the same.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (PostpressError, OSError) as exc:
            echo_error(ctx, exc)
            ctx.exit(exit_code_for(exc))


def echo_error(ctx: click.Context, error: BaseException, *, prefix: str = "") -> None:
    """``error`` as one line on stderr, after its traceback with ``--debug``."""
    root = ctx.find_root()
    if root.obj and root.obj.get("debug"):
        click.echo("".join(traceback.format_exception(error)).rstrip(), err=True)
    message = " ".join(str(error).split()).replace(_LIBRARY_POLICY, _CLI_POLICY)
    click.echo(f"error: {prefix}{type(error).__name__}: {message}", err=True)


LOG_FORMAT = "%(levelname)s %(name)s: %(message)s"


def _set_debug(ctx: click.Context, _param: click.Parameter, debug: bool) -> None:
    """``--debug`` on the group or on a command: both turn on the same root setting."""
    root = ctx.find_root()
    root.ensure_object(dict)
    if not debug or root.obj.get("debug"):
        return
    root.obj["debug"] = True
    handler = root.obj.get("log_handler")
    if isinstance(handler, logging.Handler):
        handler.setLevel(logging.DEBUG)
        logging.getLogger().setLevel(logging.DEBUG)


def debug_option(func: F) -> F:
    return click.option(
        "--debug",
        is_flag=True,
        expose_value=False,
        is_eager=True,
        callback=_set_debug,
        help="Show tracebacks and debug logs (before or after the command).",
    )(func)


def _start_logging(ctx: click.Context) -> None:
    """Log to stderr (warnings, or everything with ``--debug``) for this invocation only."""
    debug = bool(ctx.obj.get("debug"))
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(logging.DEBUG if debug else logging.WARNING)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else min(level or logging.WARNING, logging.WARNING))
    ctx.obj["log_handler"] = handler

    def stop() -> None:
        root.removeHandler(handler)
        root.setLevel(level)

    ctx.call_on_close(stop)


def client_options(func: F) -> F:
    func = click.option(
        "--base-url", envvar="POSTPRESS_BASE_URL", help="API base URL [env POSTPRESS_BASE_URL]."
    )(func)
    return click.option(
        "--api-key",
        envvar="POSTPRESS_API_KEY",
        show_envvar=False,
        help="API key [env POSTPRESS_API_KEY]; prefer the environment variable.",
    )(func)


PROGRESS_OPTION = click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr [default: when stderr is a terminal].",
)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="postpress-frames")
@debug_option
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Fetch postpress chats into typed tables and BI-ready Parquet.

    \b
    Example:
      export POSTPRESS_API_KEY=pp_live_...
      postpress-frames fetch chat_01HXYZ --out out/chat

    \b
    Exit codes:
      0 ok                1 a file could not be read or written
      2 usage, a setting  3 authentication or permission
      4 not found         5 API failure after retries
      6 invalid data
    Errors print as one line; --debug (before or after the command) adds the
    traceback and never changes the exit code.

    Outputs (--out, --dataset) never replace files the package did not write:
    such a target is refused (exit 1) before any request.
    """
    ctx.ensure_object(dict)
    _start_logging(ctx)


def counts(frames: Any) -> str:
    """``messages=120, attachments=...``: the row count of each table, then how many
    messages were set aside (``, 3 set aside (see rejects)``) when some were."""
    text = ", ".join(f"{name}={frame.height}" for name, frame in frames.items())
    rejected = frames.rejects.height
    return f"{text}, {rejected} set aside (see rejects)" if rejected else text


#: How the library names the policy in a message, and how the command line names it.
_LIBRARY_POLICY, _CLI_POLICY = 'on_invalid="quarantine"', "--on-invalid quarantine"


def _storage_options(
    _ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]
) -> dict[str, str] | None:
    options: dict[str, str] = {}
    for value in values:
        key, sep, setting = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {value!r}")
        options[key.strip()] = setting
    return options or None


class DataPath(click.ParamType[Any]):
    """A local path (checked as ``click.Path`` checks it) or an ``s3://`` URL (kept as text:
    the store is reached with ``--storage-option``, checked by the library)."""

    name = "path"

    def __init__(self, **path_checks: Any) -> None:
        self._local = click.Path(path_type=Path, **path_checks)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from postpress_frames._args import is_url

        if isinstance(value, str) and is_url(value):
            return value
        return self._local.convert(value, param, ctx)


#: ``--storage-option KEY=VALUE`` (repeatable): polars-style options of an ``s3://`` URL.
STORAGE_OPTION = click.option(
    "--storage-option",
    "storage_options",
    multiple=True,
    metavar="KEY=VALUE",
    callback=_storage_options,
    help="An option of an s3:// location, as polars takes it (aws_region=eu-west-1, "
    "aws_endpoint_url=http://localhost:9000, ...); repeatable. Without it the AWS_* "
    "environment is used (better for secrets: a command line is visible to other users).",
)


ON_INVALID_OPTION = click.option(
    "--on-invalid",
    "on_invalid",
    type=click.Choice(["raise", "quarantine"]),
    default="raise",
    show_default=True,
    help="A message that cannot be typed: fail (raise) or set it aside in rejects (quarantine).",
)


def progress_on(progress: bool | None) -> bool:
    """``--progress/--no-progress``, or whether stderr is a terminal when neither is given."""
    return sys.stderr.isatty() if progress is None else progress


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv, prog_name="postpress-frames")
