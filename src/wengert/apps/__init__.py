"""Applications built on wengert: the command line (``wengert``), makemore, the explorer, their data and diagnostics."""
