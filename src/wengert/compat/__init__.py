"""Other AD libraries' APIs on wengert's engine: ``wengert.compat.autograd`` is HIPS autograd's."""
