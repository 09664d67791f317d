"""Applications built on wengert: the explorer (``wengert explore``)."""
