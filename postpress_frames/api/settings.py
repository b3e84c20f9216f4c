"""The client's settings, checked before any request: the API key, the base URL, the timeout.

The key is held by :class:`Secret`, whose repr never shows more than four characters. The
base URL must be https, or plain http to a loopback host only (the key would otherwise travel
unencrypted); :func:`origin` is the (scheme, host, port) the key may be sent to, and the
client refuses redirects anywhere else.

>>> check_base_url("https://api.postpress.ai/api/v1/")
'https://api.postpress.ai/api/v1'
>>> check_base_url("http://10.0.0.8/api/v1")
Traceback (most recent call last):
...
postpress_frames._exceptions.ConfigurationError: base_url '...' uses plain http to a ...
>>> check_timeout((3, 10)), origin_text(origin("https://api.postpress.ai/api/v1"))
((3.0, 10.0), 'https://api.postpress.ai:443')
>>> Secret("pp_live_0123456789")
'pp_l…***'
"""

from __future__ import annotations

import ipaddress
from typing import NoReturn
from urllib.parse import urlsplit

from postpress_frames._args import as_str
from postpress_frames._exceptions import ArgumentTypeError, ConfigurationError

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "Secret",
    "check_api_key",
    "check_base_url",
    "check_timeout",
    "is_loopback",
    "origin",
    "origin_text",
]

DEFAULT_BASE_URL = "https://api.postpress.ai/api/v1"
API_KEY_ENV = "POSTPRESS_API_KEY"
BASE_URL_ENV = "POSTPRESS_BASE_URL"

_DEFAULT_PORTS = {"http": 80, "https": 443}
_TIMEOUT_TAKES = "a positive number of seconds or a (connect, read) pair of them"


class Secret:
    """Holds the API key; its repr shows at most the first four characters."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        shown = self._value[:4] + "…" if len(self._value) >= 12 else ""
        return f"'{shown}***'"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("the API key cannot be pickled")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or a loopback address (127.0.0.0/8, ::1).

    >>> is_loopback("127.8.9.10"), is_loopback("::1"), is_loopback("127.0.0.1.nip.io")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin(url: str) -> tuple[str, str, int]:
    """The (scheme, host, port) of ``url``, lower-cased, with the scheme's default port."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or _DEFAULT_PORTS.get(scheme, 0)
    except ValueError:
        port = -1
    return scheme, host, port


def origin_text(where: tuple[str, str, int]) -> str:
    """An origin as ``scheme://host:port``, for error messages."""
    scheme, host, port = where
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


def check_base_url(base_url: object) -> str:
    """``base_url`` without a trailing slash, if it is a URL the key may be sent to."""
    text = as_str(base_url, "base_url").strip()
    if not text:
        raise ConfigurationError("base_url must be a non-empty URL string")
    parts = urlsplit(text)
    if parts.username is not None or parts.password is not None:
        # Checked first: the other messages quote the URL, which must not show credentials.
        raise ConfigurationError("base_url must not contain credentials; pass api_key instead")
    if parts.scheme not in ("http", "https"):
        raise ConfigurationError(
            f"base_url must start with https:// (or http:// for a local server), got {text!r}"
        )
    if not parts.hostname:
        raise ConfigurationError(f"base_url has no host: {text!r}")
    if parts.query or parts.fragment:
        raise ConfigurationError(f"base_url must not have a query or fragment: {text!r}")
    try:
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise ConfigurationError(f"base_url has an invalid port: {text!r}") from None
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigurationError(
            f"base_url {text!r} uses plain http to a non-loopback host, which would send the "
            "API key unencrypted; use https (http is allowed only for 127.0.0.0/8, ::1, localhost)"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def check_api_key(api_key: object) -> str:
    """``api_key`` stripped, if it can go in a header; no message ever shows the key."""
    if api_key is None:
        raise ConfigurationError(
            f"no API key: pass api_key=... or set the {API_KEY_ENV} environment variable"
        )
    if not isinstance(api_key, str):
        error = ArgumentTypeError("api_key", "a string", None)
        # The value is never shown, whatever its type: it may be the key (e.g. as bytes).
        error.args = (f"api_key must be a string, got {type(api_key).__name__} (not shown)",)
        raise error
    key = api_key.strip()
    if not key:
        raise ConfigurationError(
            f"the API key is empty: pass api_key=... or set {API_KEY_ENV} to your key"
        )
    if not key.isascii() or not key.isprintable() or any(c.isspace() for c in key):
        raise ConfigurationError("the API key contains whitespace, control or non-ASCII characters")
    return key


def _seconds(value: object, timeout: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ArgumentTypeError("timeout", _TIMEOUT_TAKES, timeout)
    if not 0 < value < 1e9:  # also refuses NaN
        raise ConfigurationError(f"timeout must be {_TIMEOUT_TAKES}, got {timeout!r}")
    return float(value)


def check_timeout(timeout: object) -> float | tuple[float, float]:
    """``timeout`` as seconds, or as a (connect, read) pair of seconds."""
    if isinstance(timeout, tuple):
        if len(timeout) != 2:
            raise ConfigurationError(f"timeout must be {_TIMEOUT_TAKES}, got {timeout!r}")
        return _seconds(timeout[0], timeout), _seconds(timeout[1], timeout)
    return _seconds(timeout, timeout)
