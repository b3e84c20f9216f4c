"""``postpress_frames.schemas``: the public name of :mod:`postpress_frames.tables.schemas`."""

from postpress_frames.tables.schemas import *  # noqa: F403
from postpress_frames.tables.schemas import __all__ as __all__
