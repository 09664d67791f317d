"""Probes: transforms keep their promises (checkpoint's randomness, argnums, what a differentiated function
returns) and stay linear in the number of pieces they stack (issue 12)."""

import random

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert import nn
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
