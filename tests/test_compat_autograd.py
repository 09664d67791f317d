"""wengert.compat.autograd against HIPS autograd itself: the same programs give the same numbers."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

import wengert.compat.autograd as wag
import wengert.compat.autograd.numpy as wnp
from wengert.compat.autograd import extend as wext
from wengert.compat.autograd.misc import flatten as wflatten
from wengert.compat.autograd.misc import optimizers as woptimizers
from wengert.compat.autograd.test_util import check_grads as wcheck_grads
from wengert.errors import ArgumentError, DtypeError, GradientCheckError, ShapeError, TransformError

autograd = pytest.importorskip("autograd")
import autograd.numpy as anp  # noqa: E402
from autograd import extend as aext  # noqa: E402
from autograd.misc import flatten as aflatten  # noqa: E402
from autograd.misc import optimizers as aoptimizers  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.standard_normal(3)
Y = RNG.standard_normal(3)
A = RNG.standard_normal((2, 3))


def both(make):
    """``make(autograd_module, numpy_module)`` built once on each library."""
    return make(wag, wnp), make(autograd, anp)


def functions(np_):
    return {
        "scalar": lambda x, y: np_.sum(np_.tanh(x) * y) + np_.dot(x, y) ** 2,
        "vector": lambda x, y: np_.sin(x) * np_.exp(y) + x**3,
        "matrix": lambda x, y: np_.dot(A, np_.tanh(x * y)),
    }


def assert_same(ours, theirs):
    ours_leaves, theirs_leaves = _leaves(ours), _leaves(theirs)
    assert len(ours_leaves) == len(theirs_leaves)
    for a, b in zip(ours_leaves, theirs_leaves):
        assert np.shape(a) == np.shape(b)
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def _leaves(tree):
    if isinstance(tree, (list, tuple)):
        return [leaf for item in tree for leaf in _leaves(item)]
    if isinstance(tree, dict):
        return [leaf for key in sorted(tree) for leaf in _leaves(tree[key])]
    return [tree]


@pytest.mark.parametrize("name", ["scalar", "vector", "matrix"])
@pytest.mark.parametrize("op", ["elementwise_grad", "jacobian", "make_jvp", "make_vjp", "deriv"])
@pytest.mark.parametrize("argnum", [0, 1, (0, 1)])
def test_operators_agree_with_autograd(name, op, argnum):
    if op == "deriv" and argnum == (0, 1):
        pytest.skip("deriv takes one argument's ones as its direction")
    if op == "jacobian" and argnum == (0, 1):
        pytest.skip("autograd's jacobian takes array arguments only")
    results = []
    for lib, np_ in ((wag, wnp), (autograd, anp)):
        fun = functions(np_)[name]
        if op == "make_jvp":
            direction = Y if argnum != (0, 1) else (Y, X)
            results.append(lib.make_jvp(fun, argnum)(X, Y)(direction))
        elif op == "make_vjp":
            vjp, ans = lib.make_vjp(fun, argnum)(X, Y)
            results.append((vjp(np.ones(np.shape(ans))), ans))
        else:
            results.append(getattr(lib, op)(fun, argnum)(X, Y))
    assert_same(*results)


@pytest.mark.parametrize("op", ["grad", "value_and_grad", "hessian"])
@pytest.mark.parametrize("argnum", [0, 1])
def test_scalar_operators_agree_with_autograd(op, argnum):
    ours, theirs = both(lambda lib, np_: getattr(lib, op)(functions(np_)["scalar"], argnum)(X, Y))
    assert_same(ours, theirs)


def test_grad_of_pytrees_and_of_a_size_one_output():
    def make(lib, np_):
        params = {"w": A, "b": [0.5, X]}
        loss = lambda p, x: np_.sum(np_.tanh(np_.dot(p["w"], x) + p["b"][0]) * p["b"][1][:2])  # noqa: E731
        return lib.grad(loss)(params, X), lib.grad(lambda x: np_.sin(x[:1]))(X)

    assert_same(*both(make))


def test_products_agree_with_autograd():
    def make(lib, np_):
        f = functions(np_)["scalar"]
        g = functions(np_)["matrix"]
        hvp, gradient = lib.make_hvp(f)(X, Y)
        return (
            hvp(Y),
            gradient,
            lib.hessian_tensor_product(f)(X, Y, Y),
            lib.tensor_jacobian_product(g)(X, Y, np.ones(2)),
            lib.make_ggnvp(lambda x: g(x, Y))(X)(Y),
        )

    assert_same(*both(make))


def test_grad_and_aux_grad_named_multigrad_dict_and_checkpoint():
    def make(lib, np_):
        def f(x, y, scale=2.0):
            return np_.sum(np_.sin(x) * y) * scale

        aux_grad, aux = lib.grad_and_aux(lambda x: (f(x, Y), np_.cos(x)))(X)
        if lib is wag:
            grads = lib.multigrad_dict(f)(X, Y)  # autograd's needs the funcsigs package: compared with grad
        else:
            grads = {"x": lib.grad(f, 0)(X, Y), "y": lib.grad(f, 1)(X, Y), "scale": lib.grad(f, 2)(X, Y, 2.0)}
        return (
            aux_grad,
            aux,
            lib.grad_named(f, "y")(X, Y),
            [grads["x"], grads["y"], grads["scale"]],
            lib.grad(lambda x: np_.sum(lib.checkpoint(lambda x: np_.tanh(x) ** 2)(x)))(X),
        )

    assert_same(*both(make))


def test_holomorphic_grad_of_a_real_input_warns_and_agrees():
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert_same(*both(lambda lib, np_: lib.holomorphic_grad(lambda x: np_.sum(x**3))(X)))


def test_grad_of_a_vector_output_is_refused_like_autograd():
    with pytest.raises(ShapeError, match="scalar-output"):
        wag.grad(lambda x: x * 2.0)(X)


def define_logsumexp(ext, np_, with_jvp: bool):
    """autograd's own example primitive, defined the same way on each library."""

    @ext.primitive
    def logsumexp(x):
        max_x = np.max(x)
        return max_x + np.log(np.sum(np.exp(x - max_x)))

    ext.defvjp(logsumexp, lambda ans, x: lambda g: np_.full(x.shape, g) * np_.exp(x - np_.full(x.shape, ans)))
    if with_jvp:
        ext.defjvp(logsumexp, lambda g, ans, x: np_.sum(g * np_.exp(x - ans)))
    return logsumexp


def test_a_user_primitive_with_a_vjp_agrees_to_second_order():
    def make(lib, np_):
        ext = wext if lib is wag else aext
        logsumexp = define_logsumexp(ext, np_, with_jvp=False)
        loss = lambda x: logsumexp(np_.sin(x)) * np_.sum(x)  # noqa: E731
        third = lib.grad(lambda t: lib.grad(lambda t: lib.grad(lambda t: logsumexp(t * X))(t))(t))(0.7)
        return logsumexp(X), lib.grad(loss)(X), lib.hessian(loss)(X), lib.grad(lambda x: lib.grad(loss)(x)[0])(X), third

    assert_same(*both(make))


def test_a_user_primitive_with_a_jvp_runs_in_forward_mode_and_mixed_modes():
    logsumexp = define_logsumexp(wext, wnp, with_jvp=True)
    reference = define_logsumexp(aext, anp, with_jvp=True)
    f, g = (lambda x: logsumexp(np.cos(1.0) * x)), (lambda x: reference(np.cos(1.0) * x))  # noqa: E731
    assert_same(wag.make_jvp(f)(X)(Y), autograd.make_jvp(g)(X)(Y))
    import wengert

    hessian_fwd_over_rev = wengert.jacfwd(wengert.grad(f))(X)
    assert_same(hessian_fwd_over_rev, autograd.hessian(g)(X))
    wcheck_grads(f, modes=["fwd", "rev"], order=2)(X)


def test_a_primitive_without_a_jvp_says_so_in_forward_mode():
    logsumexp = define_logsumexp(wext, wnp, with_jvp=False)
    with pytest.raises(TransformError, match="defjvp"):
        wag.make_jvp(logsumexp)(X)(Y)


def test_defvjp_argnum_def_linear_and_none_rules():
    def make(lib, np_):
        ext = wext if lib is wag else aext

        @ext.primitive
        def scaled(x, y):
            return x * y

        ext.defvjp_argnum(scaled, lambda argnum, ans, args, kwargs: lambda g: g * args[1 - argnum])

        @ext.primitive
        def double(x):
            return 2.0 * x

        ext.def_linear(double)

        @ext.primitive
        def only_first(x, y):
            return x * np.sum(y)

        ext.defvjp(only_first, lambda ans, x, y: lambda g: g * np_.sum(y), None)
        loss = lambda x, y: np_.sum(scaled(x, y) ** 2) + np_.sum(only_first(x, y))  # noqa: E731
        return (
            lib.grad(loss, (0, 1))(X, Y),
            lib.make_jvp(double)(X)(Y),
            lib.deriv(lambda t: np_.sum(double(np_.sin(t) * X)))(0.3),
        )

    assert_same(*both(make))


def test_check_grads_passes_on_good_rules_and_fails_on_a_wrong_one():
    wcheck_grads(lambda x, y: wnp.sum(wnp.tanh(x) * y), modes=["fwd", "rev"], order=2)(X, Y)

    @wext.primitive
    def wrong_sin(x):
        return np.sin(x)

    wext.defvjp(wrong_sin, lambda ans, x: lambda g: g * wnp.sin(x))
    with pytest.raises(GradientCheckError):
        wcheck_grads(wrong_sin, modes=["rev"], order=1)(X)


def test_flatten_round_trips_in_autograds_order():
    value = {"b": [1.5, A], "a": (X, {"z": np.ones(2), "y": 2.0})}
    (flat, unflatten), (flat_ref, unflatten_ref) = wflatten(value), aflatten(value)
    np.testing.assert_array_equal(flat, flat_ref)
    assert_same(unflatten(flat), unflatten_ref(flat_ref))
    assert_same(unflatten(flat), value)


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adam"])
def test_optimizer_trajectories_equal_autograds(name):
    def run(lib, np_, optimizers):
        target = {"w": A, "b": np.array([0.3, -0.2])}

        def objective(params, i):
            return np_.sum((params["w"] - target["w"]) ** 2) + np_.sum(np_.sin(params["b"] * (i + 1)) ** 2)

        seen = []
        callback = lambda x, i, g: seen.append((x["w"].copy(), x["b"].copy(), g["w"].copy(), i))  # noqa: E731
        start = {"w": np.zeros((2, 3)), "b": np.ones(2)}
        final = getattr(optimizers, name)(lib.grad(objective), start, callback, num_iters=20, step_size=0.05)
        return final, seen

    (ours, our_path), (theirs, their_path) = run(wag, wnp, woptimizers), run(autograd, anp, aoptimizers)
    assert [step[3] for step in our_path] == list(range(20))
    assert_same([s[:3] for s in our_path], [s[:3] for s in their_path])
    assert_same(ours, theirs)


def test_builtins_see_through_traced_values():
    seen = []

    def f(x):
        seen.append((wag.isinstance(x, np.ndarray), wag.type(x) is np.ndarray, isinstance(x, wext.Box)))
        return wnp.sum(wag.tuple([x, x])[1] ** 2)

    assert_same(wag.grad(f)(X), 2 * X)
    assert seen == [(True, True, True)]


def test_install_makes_import_autograd_give_wengert():
    program = (
        "import wengert.compat.autograd as wag; wag.install()\n"
        "import autograd, autograd.numpy as np, autograd.numpy.random as npr\n"
        "from autograd import grad\n"
        "from autograd.extend import primitive, defvjp\n"
        "from autograd.misc.optimizers import adam\n"
        "import wengert.numpy\n"
        "assert autograd is wag and np.sin is wengert.numpy.sin and grad is wag.grad\n"
        "npr.seed(0); x = npr.randn(3)\n"
        "print(float(grad(lambda x: np.sum(np.tanh(x)))(x)[0]))\n"
        "try:\n"
        "    import autograd.numpy.numpy_jvps\n"
        "except ImportError as error:\n"
        "    print('refused', 'does not provide' in str(error))\n"
        "wag.uninstall()\n"
        "import autograd\n"
        "print(autograd.__name__)\n"
    )
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    np.random.seed(0)
    expected = 1.0 - np.tanh(np.random.randn(3)[0]) ** 2
    lines = result.stdout.split()
    assert float(lines[0]) == pytest.approx(expected, rel=1e-12)
    assert lines[1:] == ["refused", "True", "autograd"]


def test_a_user_primitive_with_only_a_jvp_differentiates_in_reverse_mode_by_transposition():
    @wext.primitive
    def cube(x):
        return x**3

    wext.defjvp(cube, lambda g, ans, x: 3.0 * g * x**2)
    assert_same(wag.grad(lambda x: wnp.sum(cube(x)))(X), 3.0 * X**2)
    assert_same(wag.hessian(lambda x: wnp.sum(cube(x)))(X), np.diag(6.0 * X))


@pytest.mark.parametrize(
    "name", ["", ".core", ".extend", ".tracer", ".misc.flatten", ".test_util", ".differential_operators"]
)
def test_the_docstring_examples_run(name):
    import doctest
    import importlib

    module = importlib.import_module("wengert.compat.autograd" + name)
    assert doctest.testmod(module).failed == 0


def test_autograd_internals_trace_and_backward_pass_pull_back_to_the_root():
    from autograd import core as acore
    from autograd import tracer as atracer

    from wengert.compat.autograd import core as wcore
    from wengert.compat.autograd import tracer as wtracer

    def f(x):
        for _ in range(5):
            x = x * wnp.sin(x) if wtracer.isbox(x) else x * anp.sin(x)
        return x

    results = []
    for core, tracer in ((wcore, wtracer), (acore, atracer)):
        value, end_node = tracer.trace(core.VJPNode.new_root(), f, X)
        results.append((value, core.backward_pass(np.ones(3), end_node)))
    assert_same(results[0][0], results[1][0])
    assert_same(results[0][1], results[1][1])


def test_new_box_outside_a_trace_records_on_its_roots_tape():
    from wengert.compat.autograd import core as wcore
    from wengert.compat.autograd import tracer as wtracer

    root = wcore.VJPNode.new_root()
    box = wtracer.new_box(X, 0, root)
    _, end_node = wtracer.trace(wcore.VJPNode.new_root(), lambda x: x, X)
    out = wnp.exp(box) * 2.0
    node = wcore.VJPNode(out._trace, out.index, out.slot, root)
    assert_same(wcore.backward_pass(np.ones(3), node), 2.0 * np.exp(X))
    with pytest.raises(ArgumentError, match="not a root node"):
        wtracer.new_box(X, 0, end_node)


def test_boxes_of_floats_on_one_root_sum_their_cotangents_as_autograds_do():
    """A box enters its root's tape when first used; one never used adds nothing (autograd's zero)."""
    from autograd import core as acore
    from autograd import tracer as atracer

    from wengert.compat.autograd import core as wcore
    from wengert.compat.autograd import tracer as wtracer

    def pulled_back(core, tracer, np_, end):
        root = core.VJPNode.new_root()
        a, b, _unused = (tracer.new_box(value, 0, root) for value in (0.5, 1.5, 2.5))
        out = np_.sin(a) * b
        return core.backward_pass(1.0, end(out, root))

    ours = pulled_back(wcore, wtracer, wnp, lambda out, root: wcore.VJPNode(out._trace, out.index, out.slot, root))
    theirs = pulled_back(acore, atracer, anp, lambda out, root: out._node)
    np.testing.assert_allclose(ours, theirs, rtol=1e-15)
    np.testing.assert_allclose(ours, np.cos(0.5) * 1.5 + np.sin(0.5), rtol=1e-15)


def test_a_box_of_a_value_with_no_derivative_is_refused_when_first_used():
    from wengert.compat.autograd import core as wcore
    from wengert.compat.autograd import tracer as wtracer

    box = wtracer.new_box(np.arange(3), 0, wcore.VJPNode.new_root())
    with pytest.raises(DtypeError, match="new_box: value 0 has dtype int64"):
        wnp.sin(box)


def test_trace_of_a_complex_value_pulls_back_as_make_vjp_does():
    """A complex box starts a complex tape, as a complex input of make_vjp does (docs/complex.md)."""
    from wengert.compat.autograd import core as wcore
    from wengert.compat.autograd import tracer as wtracer

    z = X + 1j * Y

    def f(z):
        return wnp.real(wnp.sum(wnp.sin(z) * z))

    _, end_node = wtracer.trace(wcore.VJPNode.new_root(), f, z)
    vjp, _ = wag.make_vjp(f)(z)
    np.testing.assert_allclose(wcore.backward_pass(1.0, end_node), vjp(1.0), rtol=1e-12)


def test_make_vjp_of_a_tuple_argnum_matches_autograd_and_a_container_output_pulls_back_each_part():
    (w_vjp, w_ans), (a_vjp, a_ans) = (
        op.make_vjp(lambda x, y: np_.sin(x) * y, argnum=(0, 1))(X, Y) for op, np_ in ((wag, wnp), (autograd, anp))
    )
    assert_same(w_ans, a_ans)
    assert_same(w_vjp(A[0]), a_vjp(A[0]))
    # autograd boxes a container output only when built with autograd.builtins; wengert's outputs are pytrees
    vjp, ans = wag.make_vjp(lambda x: (wnp.sin(x) * Y, {"s": wnp.sum(x * Y)}))(X)
    np.testing.assert_allclose(vjp((Y, {"s": 2.0})), np.cos(X) * Y * Y + 2.0 * Y, rtol=1e-12)
    with pytest.raises(ShapeError, match="cotangent 0 has shape"):
        vjp((np.ones(2), {"s": 1.0}))


def test_make_diagonal_and_unbroadcast_f_match_autograd():
    from autograd.numpy.numpy_vjps import unbroadcast_f as a_unbroadcast_f

    from wengert.compat.autograd.numpy.numpy_vjps import unbroadcast_f as w_unbroadcast_f

    d = RNG.standard_normal((3, 4))
    assert_same(wnp.make_diagonal(d, axis1=-1, axis2=-2), anp.make_diagonal(d, axis1=-1, axis2=-2))
    assert_same(wag.jacobian(lambda d: wnp.make_diagonal(d, axis1=-1, axis2=-2))(d[0]),
                autograd.jacobian(lambda d: anp.make_diagonal(d, axis1=-1, axis2=-2))(d[0]))  # fmt: skip
    g = RNG.standard_normal((2, 3, 4))
    for target in (np.ones((3, 1)), np.ones(4), 1.0):
        assert_same(w_unbroadcast_f(target, lambda g: 2.0 * g)(g), a_unbroadcast_f(target, lambda g: 2.0 * g)(g))


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_deprecated_rule_setters_on_a_primitive_still_define_its_vjps():
    @wext.primitive
    def product(x, y):
        return x * y

    product.defgrad(lambda ans, x, y: lambda g: g * y)
    product.defvjp(lambda g, ans, vs, gvs, x, y: g * x, argnum=1)
    assert_same(wag.grad(lambda x, y: wnp.sum(product(x, y)), argnum=(0, 1))(X, Y), (Y, X))
    product.defvjp_is_zero([1])
    assert_same(wag.grad(lambda y: wnp.sum(product(X, y)))(Y), np.zeros(3))


def test_util_toposort_yields_each_node_after_its_users():
    from wengert.compat.autograd.util import subval, toposort

    parents = {"out": ["a", "b"], "a": ["x"], "b": ["x"], "x": []}
    order = list(toposort("out", parents=parents.__getitem__))
    assert order[0] == "out" and order[-1] == "x" and sorted(order) == ["a", "b", "out", "x"]
    assert subval((1, 2, 3), 1, 9) == (1, 9, 3)
