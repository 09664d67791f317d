"""Vertex elimination: the linearized graph, every order's cost, the exact optimum, and Jacobians equal to jacfwd."""

import doctest
import itertools
import pathlib

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from tests import sweep
from tests.registry import all_cases
from wengert import elimination
from wengert.errors import ArgumentError, TracerError

DOC = pathlib.Path(__file__).parent.parent / "docs" / "elimination.md"


def lighthouse(nu, gamma, omega, t):
    """Griewank and Walther's lighthouse: y1 = nu tan(omega t) / (gamma - tan(omega t)), y2 = gamma y1."""
    tangent = wnp.tan(omega * t)
    y1 = nu * tangent / (gamma - tangent)
    return y1, gamma * y1


LIGHTHOUSE_POINT = (3.0, 2.0, 1.0, 0.5)
ALL = (0, 1, 2, 3)


def lighthouse_graph():
    return elimination.linearized_graph(lighthouse, *LIGHTHOUSE_POINT, argnums=ALL)


def diamond(x, a, b):
    """Wide -> narrow -> wide: R^n -> R^k -> R^n with elementwise work on both sides."""
    return wnp.exp(b @ wnp.tanh(a @ wnp.sin(x)))


def brute_force_minimum(graph) -> int:
    return min(graph.cost(list(order)) for order in itertools.permutations(graph.intermediates))


# --- the textbook results -----------------------------------------------------------------------------------


def test_lighthouse_costs_under_the_cost_model():
    costs = elimination.elimination_report(lighthouse, *LIGHTHOUSE_POINT, argnums=ALL).costs()
    assert {name: costs[name] for name in ("forward", "reverse", "markowitz", "lowest_fill", "optimal")} == {
        "forward": 13,
        "reverse": 12,
        "markowitz": 10,
        "lowest_fill": 10,
        "optimal": 9,
    }


def test_markowitz_beats_forward_and_reverse_on_the_lighthouse():
    graph = lighthouse_graph()
    assert graph.cost("markowitz") < min(graph.cost("forward"), graph.cost("reverse"))


def test_greedy_markowitz_is_beaten_by_the_exact_optimum_on_the_lighthouse():
    graph = lighthouse_graph()
    assert graph.cost("optimal") < graph.cost("markowitz")


def test_the_exact_optimum_is_the_cheapest_of_all_orders():
    graph = lighthouse_graph()
    assert graph.cost("optimal") == brute_force_minimum(graph)
    two_layers = elimination.linearized_graph(
        lambda x, y: (wnp.sin(x * y) * wnp.cos(x + y), wnp.exp(x * y) / (x + y)), 0.3, 0.7, argnums=(0, 1)
    )
    assert 3 <= len(two_layers.intermediates) <= 7
    assert two_layers.cost("optimal") == brute_force_minimum(two_layers)


def test_an_output_that_feeds_another_is_copied_into_an_output_vertex():
    graph = lighthouse_graph()
    copies = [v for v in graph.outputs if graph.vertices[v].label.startswith("copy of")]
    assert len(copies) == 1
    (source,) = [u for (u, v) in graph.edges if v == copies[0]]
    assert graph.vertices[source].role == "intermediate"
    assert graph.edges[(source, copies[0])].structure == "identity"


def test_the_diamond_needs_far_fewer_multiplications_by_elimination_than_either_mode():
    rng = np.random.default_rng(0)
    x, a, b = rng.standard_normal(40), rng.standard_normal((3, 40)), rng.standard_normal((40, 3))
    report = elimination.elimination_report(diamond, x, a, b)
    costs = report.costs()
    assert costs["optimal"] <= costs["markowitz"]
    assert 2 * costs["optimal"] < min(costs["jacfwd"], costs["jacrev"])
    assert costs["jacobian"] == min(costs["jacfwd"], costs["jacrev"])


# --- the graph ----------------------------------------------------------------------------------------------


def test_the_graph_of_e_prints_vertices_and_structured_edges():
    graph = elimination.linearized_graph(lambda a, b: (a * b) * (b + 1), 2.0, 3.0, argnums=(0, 1))
    text = str(graph)
    assert "vertex" in text and "structure" in text
    assert {graph.vertices[v].role for v in graph.vertices} == {"input", "intermediate", "output"}
    assert {edge.structure for edge in graph.edges.values()} <= {"scalar", "identity"}
    assert all(name in text for name in graph.vertices)


def test_the_sigmoid_neuron_loss_has_diagonal_selection_and_sum_edges():
    def loss(w, x, y):
        return wnp.sum((1 / (1 + wnp.exp(-(x @ w))) - y) ** 2)

    rng = np.random.default_rng(1)
    graph = elimination.linearized_graph(
        loss, rng.standard_normal(3), rng.standard_normal((5, 3)), rng.standard_normal(5), fold=False
    )
    structures = {edge.structure for edge in graph.edges.values()}
    assert {"dense", "diagonal", "sum"} <= structures
    assert graph.cost("reverse") <= graph.cost("forward")


def test_a_primitive_that_declares_nothing_is_dense():
    graph = elimination.linearized_graph(lambda x: wnp.cumsum(x), np.ones(4))
    (edge,) = graph.edges.values()
    assert edge.structure == "dense" and edge.shape == (4, 4)
    np.testing.assert_array_equal(edge.to_dense(), np.tril(np.ones((4, 4))))


def test_declared_structures_are_used():
    graph = elimination.linearized_graph(lambda x: wnp.sin(x).T * 2.0, np.ones((2, 3)), fold=False)
    assert [e.structure for e in graph.edges.values()] == ["diagonal", "selection", "diagonal"]


def test_folding_removes_relays_at_no_cost():
    raw = elimination.linearized_graph(lighthouse, *LIGHTHOUSE_POINT, argnums=ALL, fold=False)
    folded = lighthouse_graph()
    assert len(folded.intermediates) < len(raw.intermediates)
    assert raw.cost("forward") == folded.cost("forward")


def test_the_graph_draws_with_graphviz():
    pytest.importorskip("graphviz")
    dot = lighthouse_graph().draw()
    assert "t1" in dot.source and "identity" in dot.source


def _sigmoid_neuron_loss(w, x, y):
    return wnp.sum((1 / (1 + wnp.exp(-(x @ w))) - y) ** 2)


SEED_EXAMPLES = {
    "e = (a b)(b + 1)": (lambda a, b: (a * b) * (b + 1), (2.0, 3.0)),
    "f = 1 + x + exp(sin(x y))": (lambda x, y: 1 + x + wnp.exp(wnp.sin(x * y)), (0.5, 2.0)),
    "sigmoid neuron loss": (_sigmoid_neuron_loss, (np.full(3, 0.1), np.arange(15.0).reshape(5, 3) / 10, np.ones(5))),
}


@pytest.mark.parametrize("name", SEED_EXAMPLES)
def test_the_seeds_examples_print_and_draw(name):
    fun, args = SEED_EXAMPLES[name]
    graph = elimination.linearized_graph(fun, *args, argnums=tuple(range(len(args))))
    text = str(graph)
    assert all(vertex in text for vertex in graph.vertices)
    assert all(edge.structure in text for edge in graph.edges.values())
    pytest.importorskip("graphviz")
    source = graph.draw().source
    assert all(vertex in source for vertex in graph.vertices)


# --- Jacobians by elimination equal jacfwd -------------------------------------------------------------------

SWEEP_ORDERS = ("markowitz", "forward", "reverse", "lowest_fill", "optimal")


def _compare(case, order_index: int, dtype) -> None:
    f, x = sweep.differentiated(case)
    x = tuple(np.asarray(a).astype(dtype) for a in x)
    argnums = tuple(range(len(x)))
    order = SWEEP_ORDERS[order_index % len(SWEEP_ORDERS)]
    if order == "optimal" and len(elimination.linearized_graph(f, *x, argnums=argnums).intermediates) > 8:
        order = "markowitz"
    want = wengert.tree_leaves(wengert.jacfwd(f, argnums=argnums)(*x))
    eliminating = wengert.jacobian(f, argnums=argnums, method="elimination", order=order)
    rtol = 1e-10 if dtype == np.float64 else 1e-4
    for call in ("first call: the graph read whole", "second call: the graph on its skeleton"):
        got = wengert.tree_leaves(eliminating(*x))
        assert len(want) == len(got), call
        for a, b in zip(want, got):
            a, b = np.asarray(a), np.asarray(b)
            assert a.shape == b.shape and a.dtype == b.dtype, (case.name, order, call)
            np.testing.assert_allclose(b, a, rtol=rtol, atol=rtol * max(1.0, float(np.abs(a).max(initial=0))))


def _through_complex(case) -> bool:
    """An FFT case: its path goes through complex values, which elimination refuses (the test below)."""
    return case.name.startswith("wnp.fft.") and "shift" not in case.name


def test_elimination_refuses_complex_intermediates_with_a_dtype_error():
    cases = [case for case in all_cases() if _through_complex(case)]
    assert cases
    for case in cases:
        f, x = sweep.differentiated(case)
        with pytest.raises(wengert.errors.DtypeError, match="jacfwd or jacrev"):
            wengert.jacobian(f, argnums=tuple(range(len(x))), method="elimination")(*x)


def test_elimination_equals_jacfwd_on_every_differentiable_registry_case():
    cases = [case for case in all_cases() if case.order >= 1 and not _through_complex(case)]
    for index, case in enumerate(cases):
        _compare(case, index, np.float64)
        if case.float32:
            _compare(case, index + 1, np.float32)


@pytest.mark.parametrize("order", SWEEP_ORDERS)
def test_every_order_gives_the_same_jacobian_over_pytrees(order):
    def f(params, scale):
        hidden = wnp.tanh(params["w"] @ params["x"] + params["b"])
        return {"out": hidden * scale, "total": wnp.sum(hidden**2)}

    rng = np.random.default_rng(2)
    params = {"w": rng.standard_normal((3, 4)), "x": rng.standard_normal(4), "b": rng.standard_normal(3)}
    want = wengert.jacrev(f, argnums=(0, 1))(params, 0.5)
    got = wengert.jacobian(f, argnums=(0, 1), method="elimination", order=order)(params, 0.5)
    for a, b in zip(wengert.tree_leaves(want), wengert.tree_leaves(got)):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-12)


def test_a_selection_that_moves_with_the_point_is_read_at_each_point():
    eliminating = wengert.jacobian(lambda x: wnp.max(x) * wnp.sin(x), method="elimination")
    for x in (np.array([3.0, 1.0, 2.0]), np.array([1.0, 3.0, 2.0]), np.array([1.0, 2.0, 3.0])):
        np.testing.assert_allclose(eliminating(x), wengert.jacfwd(lambda x: wnp.max(x) * wnp.sin(x))(x), rtol=1e-12)


def test_a_second_point_of_the_same_shapes_reuses_the_staged_graph_with_its_own_values():
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((3, 6)), rng.standard_normal((6, 3))
    jac = wengert.jacobian(diamond, method="elimination", order="optimal")
    for _ in range(3):  # new x and new (undifferentiated) matrices at every call
        x = rng.standard_normal(6)
        np.testing.assert_allclose(jac(x, a, b), wengert.jacfwd(diamond)(x, a, b), rtol=1e-12, atol=1e-12)
        a, b = a + 1.0, b * 0.5


def test_array_aux_is_computed_at_each_point():
    jac = wengert.jacobian(
        lambda x: (wnp.sin(x), {"norm": wnp.sum(x**2), "tag": "t"}), method="elimination", has_aux=True
    )
    for x in (np.ones(3), np.arange(3.0)):
        got, aux = jac(x)
        np.testing.assert_allclose(got, np.diag(np.cos(x)))
        assert aux["tag"] == "t" and np.isclose(aux["norm"], np.sum(x**2))


def test_a_matrix_products_edge_is_its_operand():
    rng = np.random.default_rng(4)
    a, x = rng.standard_normal((3, 5)), rng.standard_normal(5)
    graph = elimination.linearized_graph(lambda x, a: a @ x, x, a, fold=False)
    (edge,) = graph.edges.values()
    assert edge.structure == "dense" and edge.shape == (3, 5)
    np.testing.assert_array_equal(edge.to_dense(), a)
    matrices = elimination.linearized_graph(lambda x, a: a @ x, rng.standard_normal((5, 2)), a, fold=False)
    (edge,) = matrices.edges.values()
    np.testing.assert_array_equal(edge.to_dense(), np.kron(a, np.eye(2)))  # d vec(A X) / d vec(X) = A ⊗ I


def test_a_sums_edge_is_a_unit_zero_one_matrix():
    graph = elimination.linearized_graph(lambda x: wnp.sum(x, axis=0), np.ones((2, 3)), fold=False)
    (edge,) = graph.edges.values()
    assert edge.structure == "sum" and edge.apply_cost() == 0
    np.testing.assert_array_equal(edge.to_dense(), np.tile(np.eye(3), 2))


def test_the_exact_search_takes_each_connected_part_alone():
    def two_chains(x, s):
        for _ in range(6):
            x, s = wnp.sin(x) * 1.5, wnp.cos(s) * 0.5
        return x, s

    graph = elimination.linearized_graph(two_chains, np.ones(3), 0.5, argnums=(0, 1))
    assert len(graph.intermediates) > elimination.MAX_EXACT_VERTICES
    parts = elimination.connected_parts(graph)
    assert len(parts) == 2 and max(map(len, parts)) <= elimination.MAX_EXACT_VERTICES
    assert graph.cost("optimal") <= graph.cost("markowitz")


def test_an_explicit_order_by_name_and_has_aux():
    graph = lighthouse_graph()
    order = list(graph.intermediates)[::-1]
    jac, aux = wengert.jacobian(
        lambda *a: (lighthouse(*a), "aux"), argnums=ALL, has_aux=True, method="elimination", order=order
    )(*LIGHTHOUSE_POINT)
    assert aux == "aux"
    want = wengert.jacfwd(lighthouse, argnums=ALL)(*LIGHTHOUSE_POINT)
    np.testing.assert_allclose(np.array(jac, dtype=float), np.array(want, dtype=float), rtol=1e-12)


def test_elimination_cost_is_an_int_per_order():
    cost = wengert.elimination_cost(lighthouse, *LIGHTHOUSE_POINT, argnums=ALL, order="reverse")
    assert type(cost) is int and cost == 12


def test_the_report_prints_every_order_beside_the_modes():
    text = str(elimination.elimination_report(lighthouse, *LIGHTHOUSE_POINT, argnums=ALL))
    for name in (*elimination.ORDERS, "jacfwd", "jacrev", "jacobian"):
        assert name in text


# --- bad input ----------------------------------------------------------------------------------------------


def test_an_unknown_order_name_is_refused():
    with pytest.raises(ArgumentError, match="not one of"):
        lighthouse_graph().order("sideways")


def test_an_order_that_is_not_a_permutation_is_refused():
    graph = lighthouse_graph()
    with pytest.raises(ArgumentError, match="not a permutation"):
        graph.order(graph.intermediates[:-1])
    with pytest.raises(ArgumentError, match="is an input"):
        graph.order([graph.inputs[0], *graph.intermediates])
    with pytest.raises(ArgumentError, match="is an output"):
        graph.order([*graph.intermediates, graph.outputs[0]])
    with pytest.raises(ArgumentError, match="no vertex"):
        wengert.jacobian(lighthouse, argnums=ALL, method="elimination", order=["t999"])(*LIGHTHOUSE_POINT)


def test_the_exact_search_refuses_large_graphs_and_suggests_markowitz():
    def chain(x):
        for k in range(25):
            x = wnp.sin(x) * (k + 1.5)
        return x

    with pytest.raises(ArgumentError, match="markowitz"):
        wengert.elimination_cost(chain, 0.5, order="optimal")


def branchy(x):
    if x[0] > 0:  # value-dependent control flow: no single graph
        return wnp.sin(x)
    return wnp.cos(x)


@pytest.mark.parametrize(
    "call",
    [
        lambda x: wengert.jacobian(branchy, method="elimination")(x),
        lambda x: wengert.elimination_cost(branchy, x),
        lambda x: elimination.elimination_report(branchy, x),
    ],
    ids=["jacobian", "elimination_cost", "elimination_report"],
)
def test_value_dependent_control_flow_gets_the_staging_error_at_the_users_line(call):
    line = branchy.__code__.co_firstlineno + 1
    with pytest.raises(TracerError, match=rf"vertex elimination: .*test_elimination.py:{line} \(in branchy\).*where"):
        call(np.ones(3))


def test_an_unknown_method_is_refused():
    with pytest.raises(ArgumentError, match="method"):
        wengert.jacobian(wnp.sin, method="symbolic")


# --- docs ---------------------------------------------------------------------------------------------------


def test_the_docs_examples_run():
    assert doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0


def test_module_doctests_run():
    from wengert._src.transforms import elimination as implementation

    for module in (elimination, implementation):
        assert doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE).failed == 0
