"""wengert's internals: backend, core, primitives and transforms (not public API)."""
