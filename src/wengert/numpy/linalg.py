"""``wengert.numpy.linalg``: linear algebra with derivatives (filled in by the linalg family)."""
