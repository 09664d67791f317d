"""The core: trace stack, tracers, primitives and ``bind``, pytrees."""
