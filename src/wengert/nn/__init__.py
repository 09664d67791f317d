"""The neural-network face: ``import wengert.nn.functional as F`` (PyTorch's names)."""

from . import functional

__all__ = ["functional"]
