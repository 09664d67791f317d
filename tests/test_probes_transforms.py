"""Probes: transforms keep their promises (checkpoint's randomness, argnums, what a differentiated function
returns) and stay linear in the number of pieces they stack (issue 12)."""

import functools
import random
import sys

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert import lax, nn
from wengert.errors import TransformError
from wengert.nn import functional as F

X = np.linspace(0.1, 1.0, 16)
MODULE_GENERATOR = np.random.default_rng(11)


def _sum_of(block):
    return lambda x: wnp.sum(block(x) * wnp.cos(x))


def _same_gradient_with_and_without_checkpoint(block, reseed):
    """grad through checkpoint(block) equals grad through block, each run from the same random state."""
    reseed()
    remat = wengert.grad(_sum_of(wengert.checkpoint(block)))(X)
    reseed()
    stored = wengert.grad(_sum_of(block))(X)
    np.testing.assert_array_equal(remat, stored)


# --- checkpoint recomputes with the forward pass's random numbers ------------------------------------------


def test_checkpointed_dropout_from_the_default_generator_has_the_forward_mask():
    _same_gradient_with_and_without_checkpoint(lambda x: F.dropout(wnp.sin(x), 0.5), lambda: wengert.manual_seed(0))


def test_checkpointed_block_drawing_from_numpy_global_generator_has_the_forward_mask():
    _same_gradient_with_and_without_checkpoint(
        lambda x: wnp.sin(x) * (np.random.random(x.shape) > 0.5), lambda: np.random.seed(0)
    )


def test_checkpointed_block_drawing_from_python_random_has_the_forward_numbers():
    _same_gradient_with_and_without_checkpoint(
        lambda x: wnp.sin(x) * np.array([random.random() for _ in range(x.shape[0])]), lambda: random.seed(0)
    )


def test_checkpointed_block_drawing_from_a_closed_over_generator_has_the_forward_mask():
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state

    def reseed():
        rng.bit_generator.state = state

    _same_gradient_with_and_without_checkpoint(lambda x: wnp.sin(x) * (rng.random(x.shape) > 0.5), reseed)


def test_checkpointed_block_drawing_from_a_module_level_generator_has_the_forward_mask():
    state = MODULE_GENERATOR.bit_generator.state

    def reseed():
        MODULE_GENERATOR.bit_generator.state = state

    _same_gradient_with_and_without_checkpoint(lambda x: wnp.sin(x) * (MODULE_GENERATOR.random(x.shape) > 0.5), reseed)


def test_checkpointed_block_drawing_from_a_generator_argument_has_the_forward_mask():
    def block(x, rng):
        return wnp.sin(x) * (rng.random(x.shape) > 0.5)

    remat = wengert.grad(lambda x: wnp.sum(wengert.checkpoint(block)(x, np.random.default_rng(3))))(X)
    stored = wengert.grad(lambda x: wnp.sum(block(x, np.random.default_rng(3))))(X)
    np.testing.assert_array_equal(remat, stored)


def test_checkpointed_module_with_its_own_dropout_generator_has_the_forward_mask():
    def make():
        return nn.Sequential(nn.Dropout(0.5, generator=7), nn.Tanh())

    def loss(model):
        return lambda x: wnp.sum(model(x))

    remat = wengert.grad(loss(wengert.checkpoint(make())))(X)
    stored = wengert.grad(loss(make()))(X)
    np.testing.assert_array_equal(remat, stored)


def test_checkpoint_leaves_the_generators_where_the_forward_pass_left_them():
    wengert.manual_seed(1)
    np.random.seed(1)
    wengert.grad(_sum_of(wengert.checkpoint(lambda x: F.dropout(x, 0.5) * (np.random.random(x.shape) > 0.5))))(X)
    after_remat = (wengert.random.default_generator().random(), np.random.random())
    wengert.manual_seed(1)
    np.random.seed(1)
    wengert.grad(_sum_of(lambda x: F.dropout(x, 0.5) * (np.random.random(x.shape) > 0.5)))(X)
    assert (wengert.random.default_generator().random(), np.random.random()) == after_remat


def test_checkpoint_replays_the_forward_mask_after_manual_seed_between_the_passes():
    block = wengert.checkpoint(lambda x: F.dropout(wnp.sin(x), 0.5))
    wengert.manual_seed(0)
    out, pullback = wengert.vjp(block, X)
    wengert.manual_seed(123)
    (remat,) = pullback(np.ones_like(X))
    np.testing.assert_array_equal(remat, np.where(out != 0, 2 * np.cos(X), 0.0))


def test_second_derivative_of_a_checkpointed_dropout_block_matches_the_plain_block():
    def block(x):
        return F.dropout(wnp.sin(x), 0.5) * x

    wengert.manual_seed(4)
    remat = wengert.hessian(lambda x: wnp.sum(wengert.checkpoint(block)(x)))(X[:5])
    wengert.manual_seed(4)
    stored = wengert.hessian(lambda x: wnp.sum(block(x)))(X[:5])
    np.testing.assert_allclose(remat, stored, rtol=1e-12)


def test_checkpoint_refuses_a_recomputation_drawing_numbers_it_cannot_restore():
    def block(x):
        return wnp.sin(x) * (np.random.default_rng().random(x.shape) > 0.5)  # a fresh, unseeded generator

    with pytest.raises(TransformError, match="recomputed in the backward pass.*not the same function"):
        wengert.grad(_sum_of(wengert.checkpoint(block)))(X)


def test_checkpoint_without_preserved_rng_state_refuses_a_different_mask():
    block = wengert.checkpoint(lambda x: F.dropout(wnp.sin(x), 0.5), preserve_rng_state=False)
    with pytest.raises(TransformError, match="different output"):
        wengert.grad(_sum_of(block))(X)


def test_checkpoint_without_preserved_rng_state_still_differentiates_a_deterministic_block():
    block = wengert.checkpoint(preserve_rng_state=False)(lambda x: wnp.sin(wnp.sin(x)))
    np.testing.assert_allclose(
        wengert.grad(_sum_of(block))(X), wengert.grad(_sum_of(lambda x: wnp.sin(wnp.sin(x))))(X), rtol=1e-14
    )


# --- argnums name each argument once ------------------------------------------------------------------------

ARGNUM_TRANSFORMS = ["grad", "value_and_grad", "jacrev", "jacfwd", "jacobian", "hessian"]


def _product(x, y):
    return x**2 * y


@pytest.mark.parametrize("argnums", [(0, 0), (0, -2), (1, 0, 1)])
@pytest.mark.parametrize("name", ARGNUM_TRANSFORMS)
def test_an_argument_named_twice_in_argnums_is_refused(name, argnums):
    with pytest.raises(TransformError, match=r"names argument \d more than once.*test_probes_transforms\.py"):
        getattr(wengert, name)(_product, argnums=argnums)(3.0, 2.0)


@pytest.mark.parametrize("name", ARGNUM_TRANSFORMS)
def test_an_argument_named_twice_in_argnums_is_refused_under_jit(name):
    with pytest.raises(TransformError, match="more than once"):
        wengert.jit(getattr(wengert, name)(_product, argnums=(0, 0)))(3.0, 2.0)


def test_numerical_grad_refuses_an_argument_named_twice():
    with pytest.raises(TransformError, match="more than once"):
        wengert.check.numerical_grad(_product, 3.0, 2.0, argnums=(0, 0))


@pytest.mark.parametrize("name", ["grad", "jacrev", "jacfwd", "jacobian"])
def test_negative_argnums_count_from_the_last_positional_argument(name):
    assert float(getattr(wengert, name)(_product, argnums=-1)(3.0, 2.0)) == 9.0
    first, second = getattr(wengert, name)(_product, argnums=(-2, -1))(3.0, 2.0)
    assert (float(first), float(second)) == (12.0, 9.0)


@pytest.mark.parametrize("name", ARGNUM_TRANSFORMS)
def test_argnums_past_the_positional_arguments_is_refused(name):
    def keyword_only(x, *, y):
        return x**2 * y

    with pytest.raises(TransformError, match="positionally"):
        getattr(wengert, name)(keyword_only, argnums=1)(3.0, y=2.0)


@pytest.mark.parametrize("argnums", ["0", 1.0, None, (0, "1")])
def test_argnums_that_are_not_positions_are_refused(argnums):
    with pytest.raises(TransformError, match="argnums"):
        wengert.grad(_product, argnums=argnums)(3.0, 2.0)


# --- a differentiated function returns arrays or numbers ----------------------------------------------------


class _Opaque:
    pass


DIFFERENTIATING = {
    "grad": lambda f: wengert.grad(f)(2.0),
    "value_and_grad": lambda f: wengert.value_and_grad(f)(2.0),
    "vjp": lambda f: wengert.vjp(f, 2.0),
    "vjp_by_transposition": lambda f: wengert.vjp(f, 2.0, method="transpose"),
    "jvp": lambda f: wengert.jvp(f, (2.0,), (1.0,)),
    "linearize": lambda f: wengert.linearize(f, 2.0),
    "jacfwd": lambda f: wengert.jacfwd(f)(2.0),
    "jacrev": lambda f: wengert.jacrev(f)(2.0),
    "jacobian": lambda f: wengert.jacobian(f)(2.0),
    "hessian": lambda f: wengert.hessian(f)(2.0),
    "hvp": lambda f: wengert.hvp(f, (2.0,), (1.0,)),
}


@pytest.mark.parametrize("transform", DIFFERENTIATING)
def test_a_function_returning_none_is_refused(transform):
    def forgot_to_return(x):
        x * 2.0

    with pytest.raises(TransformError, match=r"returned None.*test_probes_transforms\.py.*return"):
        DIFFERENTIATING[transform](forgot_to_return)


@pytest.mark.parametrize("returned", ["a string", _Opaque(), {"loss": "nan"}])
@pytest.mark.parametrize("transform", DIFFERENTIATING)
def test_a_function_returning_something_not_an_array_is_refused(transform, returned):
    with pytest.raises(TransformError, match=r"returned a value of type (str|_Opaque).*arrays or numbers"):
        DIFFERENTIATING[transform](lambda x: returned)


@pytest.mark.parametrize("name", ["grad", "value_and_grad", "jacfwd", "jacrev"])
def test_a_function_returning_none_is_refused_under_jit(name):
    with pytest.raises(TransformError, match="returned None"):
        wengert.jit(getattr(wengert, name)(lambda x: None))(2.0)


def test_grad_of_an_array_output_is_refused():
    with pytest.raises(TransformError, match=r"must return a scalar.*shape \(3,\)"):
        wengert.grad(lambda x: x * np.ones(3))(2.0)


@pytest.mark.parametrize(
    "transform",
    [
        lambda f: wengert.grad(f, has_aux=True)(2.0),
        lambda f: wengert.vjp(f, 2.0, has_aux=True),
        lambda f: wengert.jvp(f, (2.0,), (1.0,), has_aux=True),
        lambda f: wengert.linearize(f, 2.0, has_aux=True),
        lambda f: wengert.jacfwd(f, has_aux=True)(2.0),
        lambda f: wengert.jacrev(f, has_aux=True)(2.0),
    ],
)
def test_has_aux_with_a_function_returning_no_pair_is_refused(transform):
    with pytest.raises(TransformError, match=r"has_aux=True: the function must return a pair.*an array of shape \(\)"):
        transform(lambda x: x * 2.0)


def test_has_aux_with_none_as_the_output_is_refused():
    with pytest.raises(TransformError, match="returned None"):
        wengert.grad(lambda x: (None, x), has_aux=True)(2.0)


def test_jvp_with_has_aux_returns_the_aux_as_jax_does():
    out, tangent, aux = wengert.jvp(lambda x: (x * 3.0, {"note": "kept", "x": x}), (2.0,), (1.0,), has_aux=True)
    assert (float(out), float(tangent), aux["note"], float(aux["x"])) == (6.0, 3.0, "kept", 2.0)
    assert isinstance(aux["x"], (np.ndarray, np.generic, float))  # the primal, not a traced value


# --- stacking n pieces costs O(n) in every mode -------------------------------------------------------------
# Counted, not timed: the Python calls a transform makes (each NumPy function, each rule, each generator step)
# grow linearly with the number of pieces when the work is linear, and 16-fold for 4 times the pieces when it is
# quadratic (a tangent of the whole output for each piece, or each piece's offset summed over the pieces before).


def _calls(thunk) -> int:
    count = 0

    def profile(frame, event, arg):
        nonlocal count
        count += event in ("call", "c_call")

    sys.setprofile(profile)
    try:
        thunk()
    finally:
        sys.setprofile(None)
    return count


def _grows_linearly(work, n: int = 150) -> None:
    small, large = _calls(lambda: work(n)), _calls(lambda: work(4 * n))
    assert large < 5 * small, f"{small} calls for {n} pieces, {large} for {4 * n}: more than linear"


def _scanned(x, np_=wnp, scan=lax.scan):
    carry, ys = scan(lambda c, xi: (np_.sin(c) * xi, c * 2.0), x[0], x)
    return np_.sum(ys) + carry


def _stacked(x, np_=wnp, scan=None):
    return np_.sum(np_.stack([np_.sin(piece) for piece in np_.reshape(x, (-1, 2))]) ** 2)


def _concatenated(x, np_=wnp, scan=None):
    pieces = [x[i : i + 1 + i % 3] for i in range(0, x.shape[0] - 3, 3)]  # pieces of 1, 2 and 3 elements
    return np_.sum(np_.concatenate([np_.cos(p) for p in pieces]) ** 2)


def _hstacked(x, np_=wnp, scan=None):
    return np_.sum(np_.vstack([np_.hstack([np_.sin(p), p]) for p in np_.reshape(x, (-1, 2))]) ** 2)


LONG = {"scan": _scanned, "stack": _stacked, "concatenate": _concatenated, "hstack/vstack": _hstacked}
MODES = {
    "jvp": lambda f, x: wengert.jvp(f, (x,), (np.ones_like(x),)),
    "grad": lambda f, x: wengert.grad(f)(x),
    "vjp by transposition": lambda f, x: wengert.vjp(f, x, method="transpose")[1](1.0),
    "linearize": lambda f, x: wengert.linearize(f, x)[1](np.ones_like(x)),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("function", LONG)
def test_differentiating_n_stacked_pieces_does_work_linear_in_n(function, mode):
    _grows_linearly(lambda n: MODES[mode](LONG[function], np.linspace(0.1, 1.0, 2 * n)))


def test_backward_of_stacking_n_tensors_does_work_linear_in_n():
    def work(n):
        x = wengert.tensor(np.linspace(0.1, 1.0, n), requires_grad=True)
        (wengert.stack([x[i] * 2.0 for i in range(n)]) ** 2).sum().backward()

    _grows_linearly(work)


def test_the_linearized_stack_of_n_pieces_is_one_concatenation():
    _, f_lin = wengert.linearize(_stacked, np.linspace(0.1, 1.0, 40))
    primitives = [eqn.primitive.name for eqn in f_lin.program.equations]
    assert primitives.count("concatenate") == 1 and "add" not in primitives


@pytest.mark.parametrize("function", LONG)
def test_derivatives_of_n_stacked_pieces_agree_with_jax(function):
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    twin = functools.partial(LONG[function], np_=jax.numpy, scan=jax.lax.scan)
    x, tangent = np.linspace(0.1, 1.0, 12), np.cos(np.arange(12.0))
    gradient = np.asarray(jax.grad(twin)(x))
    np.testing.assert_allclose(wengert.grad(LONG[function])(x), gradient, rtol=1e-12)
    np.testing.assert_allclose(wengert.jvp(LONG[function], (x,), (tangent,))[1], gradient @ tangent, rtol=1e-12)
    np.testing.assert_allclose(wengert.vjp(LONG[function], x, method="transpose")[1](1.0)[0], gradient, rtol=1e-12)
    np.testing.assert_allclose(wengert.hessian(LONG[function])(x), jax.hessian(twin)(x), rtol=1e-10, atol=1e-12)


def _staged_control_flow(kind: str, n: int):
    """jvp under jit of a loop (or a branch) over ``n`` carried values: the staged ``while`` (``cond``) primitive's
    JVP rule, which once ran the whole loop (branch) again for each value's tangent."""

    def body(c):
        return tuple(wnp.sin(v) * c[0] for v in c)

    def function(*values):
        if kind == "while":
            return lax.while_loop(lambda c: wnp.sum(c[0]) < 3.0, lambda c: (c[0] + 1.0, *body(c)[1:]), values)
        return lax.cond(wnp.sum(values[0]) > 0.0, body, lambda c: c, values)

    values, tangents = tuple(np.full(2, 0.5 + k / n) for k in range(n)), tuple(np.ones(2) for _ in range(n))
    staged = wengert.jit(lambda v, t: wengert.jvp(function, v, t))(values, tangents)
    eager = wengert.jvp(function, values, tangents)
    for got, want in zip(wengert.tree_leaves(staged), wengert.tree_leaves(eager)):
        np.testing.assert_allclose(got, want, rtol=1e-13)


@pytest.mark.parametrize("kind", ["while", "cond"])
def test_jvp_of_staged_control_flow_over_n_values_does_work_linear_in_n(kind):
    _grows_linearly(lambda n: _staged_control_flow(kind, n), n=8)


@pytest.mark.parametrize("returned", ["s", None, object()], ids=["str", "None", "object"])
def test_linear_transpose_refuses_a_function_returning_a_non_array(returned):
    # a string was staged as a constant, and transposed to zeros
    with pytest.raises(TransformError):
        wengert.linear_transpose(lambda x: returned, 1.0)(1.0)
