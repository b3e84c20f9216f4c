"""``postpress_frames.stats``: the public name of :mod:`postpress_frames.analysis.stats`."""

from postpress_frames.analysis.stats import *  # noqa: F403
from postpress_frames.analysis.stats import __all__ as __all__
