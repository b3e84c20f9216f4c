"""The pure core: raw pages -> the typed tables, their pandera models, ``ChatFrames``."""
