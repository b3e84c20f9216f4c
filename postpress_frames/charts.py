"""``postpress_frames.charts``: the public name of :mod:`postpress_frames.analysis.charts`."""

from postpress_frames.analysis.charts import *  # noqa: F403
from postpress_frames.analysis.charts import __all__ as __all__
