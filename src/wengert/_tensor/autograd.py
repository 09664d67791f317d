"""``backward`` and ``grad`` of the eager graph: seeds checked, the walk run, results handed back.

``backward`` accumulates into the ``.grad`` of leaves (``Tensor.backward``
calls it); ``grad`` returns the gradients of chosen tensors and touches no
``.grad`` (PyTorch's ``torch.autograd.grad``). Both check what PyTorch checks,
and say so in plain words: outputs that require grad, a ``gradient`` for
every output that is not a single number, shapes that match.

``Tensor`` (``tensor.py``) sits below this module, so its ``backward()``
method is installed on it here (:func:`install`, called when the face is
assembled in ``api.py``).
"""

from __future__ import annotations

from collections.abc import Sequence

from wengert.errors import AutogradError, ShapeError

from .._src.backend import xp
from .._src.transforms.complex_guard import refuse_complex_seed
from .graph import accumulate_grad, run_backward
from .tensor import Tensor, wrap_history


def _as_tuple(value, what: str) -> tuple:
    if isinstance(value, Tensor):
        return (value,)
    if isinstance(value, Sequence):
        return tuple(value)
    raise TypeError(f"{what} must be a Tensor or a sequence of Tensors, got {type(value).__name__}")


def _seeds(outputs: tuple, gradients, create_graph: bool, caller: str) -> tuple[list, list]:
    """The roots ``(node, slot)`` and seed cotangents of ``outputs``, checked."""
    if gradients is None:
        gradients = (None,) * len(outputs)
    else:
        gradients = (gradients,) if isinstance(gradients, (Tensor, xp.ndarray)) else _as_tuple(gradients, "gradients")
    if len(gradients) != len(outputs):
        raise AutogradError(
            f"{caller}: {len(outputs)} output(s) but {len(gradients)} gradient(s); give one gradient per output "
            "(None for a one-element output)."
        )
    roots, seeds = [], []
    for i, (out, gradient) in enumerate(zip(outputs, gradients)):
        if not isinstance(out, Tensor):
            raise TypeError(f"{caller}: output {i} is a {type(out).__name__}, not a Tensor")
        if out._synced()._node is None:
            raise AutogradError(
                f"{caller}: output {i} does not require grad and has no grad_fn, so no gradient can flow "
                "from it. Set requires_grad=True on the leaf tensors it is computed from (and do not compute "
                "it under no_grad())."
            )
        if gradient is None:
            if out._primal.size != 1:
                raise AutogradError(
                    f"{caller}: output {i} has shape {out.shape}, so its gradient cannot be implied (only a "
                    "one-element output has the implicit gradient 1). Reduce it first (out.sum().backward()) "
                    "or pass gradient= (dL/d out, a tensor of the output's shape)."
                )
            seed = xp.ones(out.shape, out.dtype)
        else:
            refuse_complex_seed(_array(gradient), caller, f"the gradient for output {i}")
            if tuple(gradient.shape if hasattr(gradient, "shape") else xp.shape(gradient)) != out.shape:
                raise ShapeError(
                    f"{caller}: the gradient for output {i} has shape {xp.shape(_array(gradient))}, but the "
                    f"output has shape {out.shape}; give it the output's shape."
                )
            if create_graph and isinstance(gradient, Tensor):
                seed = gradient if gradient.dtype == out.dtype else gradient.type_to(out.dtype)
            else:
                seed = xp.asarray(_array(gradient), dtype=out.dtype)
        roots.append((out._node, out._slot))
        seeds.append(seed)
    return roots, seeds


def _array(value):
    return value._primal if isinstance(value, Tensor) else value


def backward(
    tensors, grad_tensors=None, retain_graph: bool | None = None, create_graph: bool = False, inputs=None
) -> None:
    """Accumulate d(tensors)/d(leaf), weighted by ``grad_tensors``, into each leaf's ``.grad``.

    ``retain_graph`` (default: ``create_graph``) keeps the saved values for
    another backward pass; ``create_graph`` records the gradient computation
    so the gradients can be differentiated again; ``inputs`` accumulates into
    those tensors only.
    """
    outputs = _as_tuple(tensors, "tensors")
    roots, seeds = _seeds(outputs, grad_tensors, create_graph, "backward")
    retain = create_graph if retain_graph is None else retain_graph
    if inputs is None:
        run_backward(
            roots,
            seeds,
            retain_graph=retain,
            create_graph=create_graph,
            wrap=wrap_history,
            unit_seeds=grad_tensors is None,
        )
        return
    targets = _as_tuple(inputs, "inputs")
    captured = _gradients_reaching(targets, roots, seeds, retain, create_graph, "backward")
    given: set = set()
    for tensor, ct in zip(targets, captured):
        if ct is not None:
            accumulate_grad(tensor, ct, wrap_history, create_graph, given)


def _gradients_reaching(targets: tuple, roots, seeds, retain: bool, create_graph: bool, caller: str) -> list:
    """The gradient that reaches each of ``targets`` (``None`` where none does), accumulated nowhere."""
    for i, tensor in enumerate(targets):
        if not isinstance(tensor, Tensor) or tensor._synced()._node is None:
            raise AutogradError(
                f"{caller}: input {i} does not require grad, so it has no gradient; set requires_grad=True on it "
                "before computing the outputs."
            )
    return run_backward(
        roots,
        seeds,
        retain_graph=retain,
        create_graph=create_graph,
        wrap=wrap_history,
        inputs=[(t._node, t._slot) for t in targets],
    )


def grad(
    outputs,
    inputs,
    grad_outputs=None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple:
    """The gradients of ``outputs`` (weighted by ``grad_outputs``) with respect to ``inputs``, as a tuple.

    No ``.grad`` is changed. An input the outputs do not depend on is an
    error unless ``allow_unused`` (its gradient is then None, or zeros with
    ``materialize_grads``). With ``create_graph`` the gradients are recorded
    Tensors, so ``grad`` of a ``grad`` gives second derivatives.
    """
    outputs = _as_tuple(outputs, "outputs")
    targets = _as_tuple(inputs, "inputs")
    roots, seeds = _seeds(outputs, grad_outputs, create_graph, "autograd.grad")
    retain = create_graph if retain_graph is None else retain_graph
    allow_unused = materialize_grads if allow_unused is None else allow_unused
    captured = _gradients_reaching(targets, roots, seeds, retain, create_graph, "autograd.grad")
    results = []
    for i, (tensor, ct) in enumerate(zip(targets, captured)):
        if ct is None:
            if not allow_unused:
                raise AutogradError(
                    f"autograd.grad: input {i} (shape {tensor.shape}) was not used to compute the outputs, so "
                    "it has no gradient. Pass allow_unused=True to get None for it (or materialize_grads=True "
                    "for zeros)."
                )
            results.append(wrap_history(xp.zeros(tensor.shape, tensor.dtype)) if materialize_grads else None)
            continue
        if not isinstance(ct, Tensor):
            ct = xp.asarray(ct)
            if ct.base is not None or not ct.flags.writeable:
                ct = ct.copy()
        results.append(wrap_history(ct))
    return tuple(results)


def _tensor_backward(
    self, gradient=None, retain_graph: bool | None = None, create_graph: bool = False, inputs=None
) -> None:
    """Accumulate the gradient of this tensor into ``.grad`` of the leaves it depends on.

    ``gradient`` is dL/d(self) (required unless the tensor has one
    element). The graph's saved values are freed afterwards unless
    ``retain_graph`` (default: ``create_graph``). With ``create_graph`` the
    gradients are recorded too, so they can be differentiated again.
    ``inputs`` limits accumulation to those tensors.
    """
    backward((self._synced(),), None if gradient is None else (gradient,), retain_graph, create_graph, inputs=inputs)


def install() -> None:
    """Give ``Tensor`` its ``backward()`` method."""
    _tensor_backward.__name__ = _tensor_backward.__qualname__ = "backward"
    Tensor.backward = _tensor_backward


__all__ = ["backward", "grad", "install"]
