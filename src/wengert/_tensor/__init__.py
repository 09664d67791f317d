"""The eager, PyTorch-style face of the engine: the Tensor graph, its backward pass, ``autograd.Function``."""
