"""``python -m postpress_frames``: the same as the ``postpress-frames`` command."""

from postpress_frames.cli import main

if __name__ == "__main__":
    main()
