"""Products and contractions of the NumPy face: matmul, dot, einsum, tensordot, ...

All are ``matmul``, ``tensordot`` or ``einsum`` underneath; ``einsum`` specs are made
explicit here (ellipsis expanded, output letters written out) before they
reach the primitive.
"""

import string

from wengert._src.backend import xp
from wengert._src.core.source_info import user_frame_summary
from wengert._src.primitives import contractions as ct
from wengert.errors import ShapeError

from ._core import asarray_or_tracer
from ._math import conj
from ._shape import broadcast_to, reshape


def matmul(a, b):
    """Matrix product with NumPy's rules (1-D operands, batch broadcasting)."""
    a, b = asarray_or_tracer(a), asarray_or_tracer(b)
    try:
        return ct.matmul(a, b)
    except ValueError:
        _check_matmul_shapes(a, b)  # names the mistake, if it is one of the usual two
        raise


def _check_matmul_shapes(a, b) -> None:
    if a.ndim == 0 or b.ndim == 0:
        raise ShapeError(f"matmul: operands must not be scalars, at {user_frame_summary()}; use * for scaling")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ShapeError(
            f"matmul: shapes {a.shape} and {b.shape} do not align "
            f"({a.shape[-1]} != {b.shape[-2 if b.ndim > 1 else 0]}), at {user_frame_summary()}; "
            "transpose or reshape an operand so the inner dimensions match"
        )


def dot(a, b):
    """NumPy's dot: products for scalars, matmul for 1-D and 2-D, sum over a's last and b's
    second-to-last axis beyond (one ``tensordot``).

    On plain arrays of at most two dimensions it is NumPy's ``dot``, called at once.
    """
    if isinstance(a, xp.ndarray) and isinstance(b, xp.ndarray) and a.ndim <= 2 and b.ndim <= 2:
        try:
            return xp.dot(a, b)
        except ValueError:
            pass  # misaligned shapes: matmul below names the mistake
    a, b = asarray_or_tracer(a), asarray_or_tracer(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    if b.ndim <= 2:
        return matmul(a, b)
    if a.shape[-1] != b.shape[-2]:
        raise ShapeError(
            f"dot: shapes {a.shape} and {b.shape} do not align ({a.shape[-1]} != {b.shape[-2]}), at "
            f"{user_frame_summary()}; a's last axis is summed with b's second-to-last"
        )
    return ct.tensordot(a, b, axes=((a.ndim - 1,), (b.ndim - 2,)))


def vdot(a, b):
    """Dot product of the flattened arrays, the first conjugated (as NumPy: a no-op on real arrays)."""
    return dot(reshape(conj(a), (-1,)), reshape(b, (-1,)))


def inner(a, b):
    """Sum over the last axes of both."""
    a, b = asarray_or_tracer(a), asarray_or_tracer(b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    letters = iter(string.ascii_letters)
    a_spec = "".join(next(letters) for _ in range(a.ndim - 1))
    b_spec = "".join(next(letters) for _ in range(b.ndim - 1))
    return einsum(f"{a_spec}z,{b_spec}z->{a_spec}{b_spec}", a, b)


def outer(a, b):
    """Outer product of the flattened arrays."""
    return einsum("i,j->ij", reshape(a, (-1,)), reshape(b, (-1,)))


def tensordot(a, b, axes=2):
    """Sum products over ``axes`` of ``a`` and ``b`` (an int N: a's last N with b's first N), as NumPy's
    tensordot: the result has a's other axes, then b's. One primitive, however many axes."""
    a, b = asarray_or_tracer(a), asarray_or_tracer(b)
    if isinstance(axes, int):
        a_axes, b_axes = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        a_axes, b_axes = axes
        a_axes = [a_axes] if isinstance(a_axes, int) else list(a_axes)
        b_axes = [b_axes] if isinstance(b_axes, int) else list(b_axes)
    a_axes, b_axes = _axes_of("a", a, a_axes), _axes_of("b", b, b_axes)
    if len(a_axes) != len(b_axes):
        raise ShapeError(
            f"tensordot: {len(a_axes)} axes of a are paired with {len(b_axes)} of b, at {user_frame_summary()}; "
            "give as many axes of each"
        )
    for i, j in zip(a_axes, b_axes):
        if a.shape[i] != b.shape[j]:
            raise ShapeError(f"tensordot: axis {i} of {a.shape} and axis {j} of {b.shape} differ")
    return ct.tensordot(a, b, axes=(a_axes, b_axes))


def _axes_of(name: str, x, axes: list) -> tuple:
    """``axes`` of ``x`` as non-negative axes, checked: in range and each once."""
    for k in axes:
        if not -x.ndim <= k < x.ndim:
            raise ShapeError(
                f"tensordot: axis {k} is out of range for {name} of shape {x.shape}, at {user_frame_summary()}; "
                f"give axes from -{x.ndim} to {x.ndim - 1}"
            )
    normalized = tuple(k % x.ndim for k in axes)
    if len(set(normalized)) != len(normalized):
        raise ShapeError(f"tensordot: {name}'s axes {axes} repeat an axis, at {user_frame_summary()}; name each once")
    return normalized


def kron(a, b):
    """Kronecker product of two 2-D (or 1-D) arrays."""
    a, b = asarray_or_tracer(a), asarray_or_tracer(b)
    if a.ndim == 1 and b.ndim == 1:
        return reshape(outer(a, b), (-1,))
    if a.ndim != 2 or b.ndim != 2:
        raise ShapeError("kron: wengert supports 1-D or 2-D operands")
    product = einsum("ij,kl->ikjl", a, b)
    return reshape(product, (a.shape[0] * b.shape[0], a.shape[1] * b.shape[1]))


def cross(a, b, axis: int = -1):
    """Cross product of 3-vectors along ``axis``."""
    from ._shape import moveaxis, stack

    a = moveaxis(asarray_or_tracer(a), axis, -1)
    b = moveaxis(asarray_or_tracer(b), axis, -1)
    if a.shape[-1] != 3 or b.shape[-1] != 3:
        raise ShapeError("cross: wengert supports 3-vectors")
    out = stack(
        [
            a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1],
            a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
            a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0],
        ],
        axis=-1,
    )
    return moveaxis(out, -1, axis)


def trace(a, offset: int = 0, axis1: int = 0, axis2: int = 1):
    """Sum of the diagonal."""
    from ._reductions import sum
    from ._shape import diagonal

    return sum(diagonal(a, offset, axis1, axis2), axis=-1)


def einsum(subscripts, *operands, optimize=None):
    """Einstein summation, as NumPy's ``einsum`` (implicit output and ``...`` supported).

    Also NumPy's interleaved form, operands each followed by the list of its axes' labels (integers, or
    ``Ellipsis``) and, last, optionally the output's: ``einsum(a, [0, 1], b, [1, 2], [0, 2])`` is ``a @ b``.
    """
    if not isinstance(subscripts, str):
        subscripts, operands = _subscripts_of_sublists((subscripts, *operands))
    operands = [asarray_or_tracer(op) for op in operands]
    spec = explicit_einsum_spec(subscripts, [op.ndim for op in operands])
    inputs = spec.split("->")[0].split(",")
    sizes = {}
    for term, op in zip(inputs, operands):
        if len(term) != op.ndim:
            raise ShapeError(f"einsum: '{term}' names {len(term)} axes but the operand has shape {op.shape}")
        for letter, size in zip(term, op.shape):
            known = sizes.setdefault(letter, size)
            if known != size and 1 not in (known, size):
                raise ShapeError(f"einsum: axis '{letter}' has sizes {known} and {size} in {subscripts!r}")
            sizes[letter] = max(known, size)
    # An axis of size 1 against a longer one broadcasts (as NumPy's einsum allows): made explicit, so that
    # the derivative in that operand sums over the broadcast axis (the broadcast's own rule).
    operands = [
        broadcast_to(op, tuple(sizes[letter] for letter in term)) if any(
            size != sizes[letter] for letter, size in zip(term, op.shape)) else op
        for term, op in zip(inputs, operands)
    ]  # fmt: skip
    return ct.einsum(*operands, spec=spec)


def _subscripts_of_sublists(arguments: tuple) -> tuple[str, tuple]:
    """``(a, [0, 1], b, [1, 2], [0, 2])`` -> ``('AB,BC->AC', (a, b))``: NumPy's interleaved form as a string
    (labels 0-25 are ``A``-``Z`` and 26-51 ``a``-``z``, as NumPy reads them; ``Ellipsis`` is ``...``)."""

    def term(sublist) -> str:
        letters = []
        for label in sublist:
            if label is Ellipsis:
                letters.append("...")
            elif isinstance(label, int) and 0 <= label < 52:
                letters.append(string.ascii_uppercase[label] if label < 26 else string.ascii_lowercase[label - 26])
            else:
                raise ShapeError(
                    f"einsum: an axis label of the interleaved form must be an integer in [0, 52) or Ellipsis, "
                    f"got {label!r}"
                )
        return "".join(letters)

    operands, sublists = arguments[0::2], arguments[1::2]
    output = None
    if len(arguments) % 2:  # the last argument is the output's sublist
        operands, output = operands[:-1], arguments[-1]
    subscripts = ",".join(term(sublist) for sublist in sublists)
    return (subscripts if output is None else f"{subscripts}->{term(output)}"), operands


def explicit_einsum_spec(subscripts: str, ndims: list) -> str:
    """``'...ij,jk'`` -> ``'ABij,jk->ABik'``: ellipses expanded, output written out."""
    subscripts = subscripts.replace(" ", "")
    if "->" in subscripts:
        inputs, output = subscripts.split("->")
    else:
        inputs, output = subscripts, None
    terms = inputs.split(",")
    if len(terms) != len(ndims):
        raise ShapeError(f"einsum: {subscripts!r} names {len(terms)} operands but {len(ndims)} were given")
    used = set(subscripts)
    spare = [c for c in string.ascii_uppercase + string.ascii_lowercase if c not in used]
    ellipsis_ndim = max([n - (len(t) - 3) for t, n in zip(terms, ndims) if "..." in t], default=0)
    ellipsis_letters = "".join(spare[:ellipsis_ndim])
    expanded = []
    for term, ndim in zip(terms, ndims):
        if "..." in term:
            k = ndim - (len(term) - 3)
            term = term.replace("...", ellipsis_letters[ellipsis_ndim - k :] if k else "")
        expanded.append(term)
    if output is None:
        counts = {}
        for term in expanded:
            for c in term:
                counts[c] = counts.get(c, 0) + 1
        once = sorted(c for c, n in counts.items() if n == 1 and c not in ellipsis_letters)
        output = ellipsis_letters + "".join(once)
    else:
        output = output.replace("...", ellipsis_letters)
    return ",".join(expanded) + "->" + output
