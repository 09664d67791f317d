"""The compat package's ``tanh``, ``logsumexp`` and ``norm``/``t`` ``logpdf`` give autograd's gradients bit for bit.

autograd differentiates these by formulas of its own (``tanh' = 1 / cosh(x)^2``, closed-form
VJPs of the log-densities); the compat package's namespaces use the same formulas, so an
optimizer driven by them follows autograd's trajectory (docs/autograd_migration.md), while
``wengert.numpy.tanh`` keeps its faster rule.
"""

import numpy as np
import pytest

import wengert
import wengert.compat.autograd as wag
import wengert.compat.autograd.numpy as wnp
import wengert.compat.autograd.scipy.special as wsp
import wengert.compat.autograd.scipy.stats.norm as wnorm
import wengert.compat.autograd.scipy.stats.t as wt
import wengert.numpy

autograd = pytest.importorskip("autograd")
import autograd.numpy as anp  # noqa: E402
import autograd.scipy.special as asp  # noqa: E402
import autograd.scipy.stats.norm as anorm  # noqa: E402
import autograd.scipy.stats.t as at  # noqa: E402

RNG = np.random.default_rng(3)
W = RNG.standard_normal((6, 5)) * 2.0
X = RNG.standard_normal((4, 6))
TARGETS = RNG.standard_normal((4, 5))


def model(np_, sp, norm, t):
    """A small network whose gradient passes through every one of the four rules."""

    def loss(w):
        hidden = np_.tanh(np_.dot(X, w))
        logits = hidden - sp.logsumexp(hidden, axis=1, keepdims=True)
        return (
            np_.sum(norm.logpdf(logits, TARGETS, 0.3))
            + np_.sum(t.logpdf(hidden, 2.4, TARGETS, 0.7))
            + sp.logsumexp(np_.ravel(logits))
        )

    return loss


def test_gradients_equal_autograds_bit_for_bit():
    ours = wag.grad(model(wnp, wsp, wnorm, wt))(W)
    theirs = autograd.grad(model(anp, asp, anorm, at))(W)
    assert np.array_equal(ours, theirs)


def test_values_are_scipys_as_in_autograd():
    assert np.array_equal(model(wnp, wsp, wnorm, wt)(W), model(anp, asp, anorm, at)(W))


def test_wengert_numpy_keeps_its_own_tanh():
    assert wnp.tanh is not wengert.numpy.tanh
    x = np.linspace(-3.0, 3.0, 7)
    ours = wengert.grad(lambda x: wengert.numpy.sum(wengert.numpy.tanh(x)))(x)
    np.testing.assert_allclose(ours, wag.grad(lambda x: wnp.sum(wnp.tanh(x)))(x), rtol=1e-14)


@pytest.mark.parametrize(
    "f",
    [
        lambda x: wnp.sum(wnp.tanh(x) ** 3),
        lambda x: wsp.logsumexp(x * x),
        lambda x: wnp.sum(wnorm.logpdf(x, 0.2, 1.3 + x**2)),
        lambda x: wnp.sum(wt.logpdf(x, 2.0 + x**2, 0.1, 0.9)),
    ],
    ids=["tanh", "logsumexp", "norm.logpdf", "t.logpdf"],
)
def test_the_rules_differentiate_to_second_order_in_both_modes(f):
    from wengert.compat.autograd.test_util import check_grads

    check_grads(f, modes=["fwd", "rev"], order=2)(np.array([0.3, -0.8, 1.1]))


def test_complex_tanh_takes_wengerts_rule_proven_in_complex():
    z = np.array([0.3 + 0.2j, -0.5 + 1.0j])
    ours = wag.grad(lambda z: wnp.sum(wnp.abs(wnp.tanh(z)) ** 2))(z)
    reference = wengert.grad(lambda z: wengert.numpy.sum(wengert.numpy.abs(wengert.numpy.tanh(z)) ** 2))(z)
    np.testing.assert_allclose(ours, reference, rtol=1e-13)
