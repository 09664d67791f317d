"""The in-place operations on Tensors (``add_``, ``copy_``, ``t[i] = v``, ``+=`` ...), installed on ``Tensor``.

Without gradients to record, an in-place operation changes the tensor's array
in place and counts a new version (``storage.bump_version``), which a node
that saved the old value refuses to use. With them, it is recorded as an
out-of-place operation on a snapshot of the old value whose result is written
back, the tensor taking the result's history (PyTorch's rebase of
``grad_fn``); through a view, the base's history is rewritten too
(``_assign_recorded``). PyTorch's refusals are kept: a leaf that requires grad,
or a view of one, cannot be changed in place with gradients on.

Two writes serve ``nn`` and ``optim`` at every training step without a method's
per-call work, each where it has nothing to check or record:
:func:`untracked_array` (batch norm's running statistics) and
:func:`foreach_add_` (an optimiser's update of its parameter list).

The class ``Tensor`` (``tensor.py``) sits below this module, which needs it to
make tensors, so the methods are installed on it by :func:`install` (called
when the Tensor face is assembled, in ``api.py``), as ``wengert.numpy``
installs NumPy's methods on the core's ``Tracer``.
"""

from __future__ import annotations

import wengert.numpy as wnp
from wengert.errors import AutogradError, DtypeError, ShapeError
from wengert.random import resolve_generator

from .._src.backend import is_float_dtype, xp
from .._src.primitives import elementwise, structural
from .graph import LeafNode, grad_enabled
from .storage import bump_version, positions_in_base
from .tensor import Tensor, array_of, flat_history, make_tensor


def _record_inplace(self, others) -> bool:
    """Whether an in-place operation on ``self`` must be recorded; raises where PyTorch refuses it."""
    if not self._primal.flags.writeable:
        raise AutogradError(
            f"an in-place operation on a tensor of shape {self.shape} whose array is read-only: a view made "
            "by expand, expand_as or broadcast_to, where more than one element refers to a single memory "
            "location, or a read-only NumPy array. Change a clone() of it instead."
        )
    if not grad_enabled.get():
        return False
    node = self._synced()._node
    base = self._base
    if base is not None and type(base._node) is LeafNode:
        raise AutogradError(
            "a view of a leaf tensor that requires grad is being used in an in-place operation: it would "
            "overwrite the value the gradient is taken at. Do it under `with wengert.no_grad():` (as "
            "optimizers do), or write it out-of-place."
        )
    if node is None and base is not None and base._node is not None:
        raise AutogradError(
            "a view made under no_grad() of a tensor that requires grad is being changed in place with "
            "gradients recorded: it is ambiguous whether the change should be tracked. Make both the view "
            "and the in-place operation inside no_grad() (not tracked), or both outside it (tracked)."
        )
    if node is None:
        for other in others:
            if isinstance(other, Tensor) and other._synced()._node is not None:
                break
        else:
            return False
    if type(node) is LeafNode:
        raise AutogradError(
            "an in-place operation on a leaf tensor that requires grad: it would overwrite the "
            "value the gradient is taken at. Do it under `with wengert.no_grad():` (as optimizers "
            "do), or write it out-of-place (`x = x + 1`)."
        )
    return True


def untracked_array(tensor):
    """``tensor``'s array, to change in place with nothing recorded and nothing checked; ``None`` unless the
    tensor requires no grad, is no view and its array is writeable.

    State a module keeps beside the graph (batch norm's running statistics, its batch count) is
    changed this way, by NumPy's in-place operations, as PyTorch's kernels change it; the caller
    then counts the change (``storage.bump_version``). Where this returns ``None``, the tensor's
    in-place methods make the change, with the checks PyTorch makes.
    """
    array = tensor._primal
    if tensor._node is None and tensor._base is None and array.flags.writeable:
        return array
    return None


def _snapshot(self, copy: bool = True):
    """The current value with its history, as a new tensor (a copy unless the rule only reads shapes)."""
    return make_tensor(self._primal.copy() if copy else self._primal, self._node, self._slot)


def _assign_recorded(self, new) -> Tensor:
    """Write ``new`` (computed out-of-place, recorded) into this tensor's array and take its history.

    On a view, the base takes a new history too: its old one with the view's
    elements replaced by ``new`` (PyTorch's ``CopySlices``); other views of the
    base then derive theirs again when next used.
    """
    if not isinstance(new, Tensor):
        new = make_tensor(xp.asarray(new))
    if new.shape != self.shape:
        raise ShapeError(
            f"in-place operation: the result has shape {new.shape}, which does not fit this tensor's "
            f"shape {self.shape} (an in-place operation cannot change a tensor's shape)."
        )
    if new.dtype != self.dtype:
        if not xp.can_cast(new.dtype, self.dtype, casting="same_kind"):
            raise DtypeError(
                f"in-place operation: the result has dtype {new.dtype}, which cannot be stored in "
                f"this tensor of dtype {self.dtype}; write it out-of-place."
            )
        new = structural.astype(new, dtype=self.dtype)
    base = self._base
    if base is not None:
        positions = positions_in_base(self._primal, base._primal)
        rebased = wnp.reshape(wnp.at(flat_history(base))[positions].set(new), base.shape)
        base._node = rebased._node
        base._slot = rebased._slot
        self._view_of = rebased._node
    self._primal[...] = new._primal
    self._node = new._node
    self._slot = new._slot
    self._bump_version()
    return self


def _update(self, raw, recorded, others=(), copy: bool = True):
    """Apply an in-place operation: ``raw(array)`` in place, or ``recorded(old)`` on the graph."""
    if _record_inplace(self, others):
        return _assign_recorded(self, recorded(_snapshot(self, copy)))
    raw(self._primal)
    self._bump_version()
    return self


def add_(self, other, *, alpha=1):
    """``self += alpha * other``, in place."""
    if _record_inplace(self, (other,)):
        return _assign_recorded(self, _snapshot(self, False) + (other if alpha == 1 else alpha * other))
    array = self._primal
    xp.add(array, array_of(other) if alpha == 1 else alpha * array_of(other), out=array)
    self._bump_version()
    return self


def foreach_add_(tensors: list, others: list, alpha=1) -> None:
    """``tensor.add_(other, alpha=alpha)`` for each pair (PyTorch's ``torch._foreach_add_``, an optimiser's update).

    Under ``no_grad`` (an optimiser's step) an in-place method checks only that the array is
    writeable; so here, once grad mode is read for the whole list, each pair is one NumPy add
    into the tensor's array and one new version, the method's work without its call.
    """
    if grad_enabled.get():
        for tensor, other in zip(tensors, others):
            tensor.add_(other, alpha=alpha)
        return
    for tensor, other in zip(tensors, others):
        array = tensor._primal
        if not array.flags.writeable:
            _record_inplace(tensor, ())  # raises: a read-only array
        xp.add(array, array_of(other) if alpha == 1 else alpha * array_of(other), out=array)
        bump_version(tensor)


def sub_(self, other, *, alpha=1):
    """``self -= alpha * other``, in place."""
    if _record_inplace(self, (other,)):
        return _assign_recorded(self, _snapshot(self, False) - (other if alpha == 1 else alpha * other))
    array = self._primal
    xp.subtract(array, array_of(other) if alpha == 1 else alpha * array_of(other), out=array)
    self._bump_version()
    return self


def mul_(self, other):
    """``self *= other``, in place."""
    return _update(self, lambda a: xp.multiply(a, array_of(other), out=a), lambda old: old * other, (other,))


def div_(self, other):
    """``self /= other``, in place."""
    return _update(self, lambda a: xp.true_divide(a, array_of(other), out=a), lambda old: old / other, (other,))


def pow_(self, exponent):
    """``self **= exponent``, in place."""
    return _update(self, lambda a: xp.power(a, array_of(exponent), out=a), lambda old: old**exponent, (exponent,))


def addcmul_(self, tensor1, tensor2, *, value=1):
    """``self += value * tensor1 * tensor2``, in place."""
    return _update(
        self,
        lambda a: xp.add(a, value * array_of(tensor1) * array_of(tensor2), out=a),
        lambda old: old + value * tensor1 * tensor2,
        (tensor1, tensor2),
        False,
    )


def addcdiv_(self, tensor1, tensor2, *, value=1):
    """``self += value * tensor1 / tensor2``, in place."""
    return _update(
        self,
        lambda a: xp.add(a, value * array_of(tensor1) / array_of(tensor2), out=a),
        lambda old: old + value * tensor1 / tensor2,
        (tensor1, tensor2),
        False,
    )


def lerp_(self, end, weight):
    """``self += weight * (end - self)``, in place."""
    return _update(
        self,
        lambda a: xp.add(a, array_of(weight) * (array_of(end) - a), out=a),
        lambda old: old + weight * (end - old),
        (end, weight),
    )


def clamp_(self, min=None, max=None):
    """Limit the values to ``[min, max]``, in place."""
    lo, hi = array_of(min), array_of(max)
    return _update(self, lambda a: xp.clip(a, lo, hi, out=a), lambda old: wnp.clip(old, min, max), (min, max))


def copy_(self, src):
    """Overwrite the values with ``src`` (broadcast and converted to this tensor's dtype), in place."""
    if _record_inplace(self, (src,)):
        if isinstance(src, Tensor):
            return _assign_recorded(self, wnp.broadcast_to(src, self.shape))
        return _assign_recorded(self, make_tensor(xp.broadcast_to(src, self.shape)))
    xp.copyto(self._primal, array_of(src), casting="unsafe")
    self._bump_version()
    return self


def fill_(self, value):
    """Set every element to ``value``, in place."""
    return _update(self, lambda a: a.fill(array_of(value)), lambda old: _filled(old, value), (value,), False)


def zero_(self):
    """Set every element to 0, in place."""
    return self.fill_(0)


def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None):
    """Fill with samples of U(a, b), in place (``generator``: see ``wengert.random``)."""
    values = resolve_generator(generator).uniform(a, b, self.shape)
    return self.copy_(values)


def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None):
    """Fill with samples of N(mean, std^2), in place."""
    values = resolve_generator(generator).normal(mean, std, self.shape)
    return self.copy_(values)


def _unary_(self, ufunc, method: str):
    return _update(self, lambda a: ufunc(a, out=a), lambda old: getattr(old, method)())


def sqrt_(self):
    """Square root, in place."""
    return _unary_(self, xp.sqrt, "sqrt")


def exp_(self):
    return _unary_(self, xp.exp, "exp")


def log_(self):
    return _unary_(self, xp.log, "log")


def neg_(self):
    return _unary_(self, xp.negative, "neg")


def abs_(self):
    return _unary_(self, xp.abs, "abs")


def tanh_(self):
    return _unary_(self, xp.tanh, "tanh")


def sigmoid_(self):
    return _update(self, lambda a: xp.copyto(a, elementwise.expit(a)), lambda old: old.sigmoid())


def relu_(self):
    return _update(self, lambda a: xp.maximum(a, 0, out=a), lambda old: old.relu())


def __setitem__(self, index, value):
    """``t[index] = value``, in place; recorded (as a functional update) when gradients are."""
    if _record_inplace(self, (value,)):
        _assign_recorded(self, wnp.at(_snapshot(self, False))[_index_of(index)].set(value))
        return
    self._primal[_index_of(index)] = array_of(value)
    self._bump_version()


def floor_divide_(self, other):
    """``self //= other``, in place (no derivative flows through a floor)."""
    return _update(self, lambda a: xp.floor_divide(a, array_of(other), out=a), lambda old: old // other, (other,))


def remainder_(self, other):
    """``self %= other``, in place."""
    return _update(self, lambda a: xp.remainder(a, array_of(other), out=a), lambda old: old % other, (other,))


def masked_fill_(self, mask, value):
    """Set the elements where ``mask`` holds to ``value``, in place."""
    condition = array_of(mask)
    return _update(
        self,
        lambda a: xp.copyto(a, array_of(value), where=condition),
        lambda old: wnp.where(condition, value, old),
        (value,),
        False,
    )


def _bitwise_(self, ufunc, other):
    if is_float_dtype(self.dtype):
        raise DtypeError(f"{ufunc.__name__} in place of a tensor of dtype {self.dtype}: it takes integers or bools")
    ufunc(self._primal, array_of(other), out=self._primal)
    self._bump_version()
    return self


def __iand__(self, other):
    return _bitwise_(self, xp.bitwise_and, other)


def __ior__(self, other):
    return _bitwise_(self, xp.bitwise_or, other)


def __ixor__(self, other):
    return _bitwise_(self, xp.bitwise_xor, other)


def __iadd__(self, other):
    return self.add_(other)


def __isub__(self, other):
    return self.sub_(other)


def __imul__(self, other):
    return self.mul_(other)


def __itruediv__(self, other):
    return self.div_(other)


def __ifloordiv__(self, other):
    return self.floor_divide_(other)


def __imod__(self, other):
    return self.remainder_(other)


def __ipow__(self, other):
    return self.pow_(other)


def _filled(old, value):
    """A tensor like ``old`` holding ``value`` everywhere; its derivative with respect to ``old`` is 0."""
    return wnp.where(xp.ones(old.shape, dtype=bool), value, old)


def _index_of(index):
    """An index with Tensors replaced by their arrays (indices carry no derivative)."""
    if isinstance(index, tuple):
        return tuple(array_of(i) for i in index)
    return array_of(index)


_METHODS = (
    add_, sub_, mul_, div_, pow_, addcmul_, addcdiv_, lerp_, clamp_, copy_, fill_, zero_, uniform_, normal_,
    sqrt_, exp_, log_, neg_, abs_, tanh_, sigmoid_, relu_, floor_divide_, remainder_, masked_fill_, __setitem__,
    __iand__, __ior__, __ixor__, __iadd__, __isub__, __imul__, __itruediv__, __ifloordiv__, __imod__, __ipow__,
)  # fmt: skip


def install() -> None:
    """Give ``Tensor`` its in-place methods (``clip_`` is ``clamp_``, as in PyTorch)."""
    for method in _METHODS:
        setattr(Tensor, method.__name__, method)
    Tensor.clip_ = clamp_
