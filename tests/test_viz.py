"""Specification of wengert.viz: graphs with values and gradients, the FD error plot, landscapes, training pictures."""

from __future__ import annotations

import doctest
import re
import shutil

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
import wengert.viz
from wengert.errors import ArgumentError, MissingDependencyError
from wengert.scalar import Value
from wengert.viz import draw, fd_errors, landscape_grid, plot_fd_error, plot_landscape, sweep_program, trajectory
from wengert.viz.fd_error import optimal_steps

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="the Graphviz `dot` program is not installed")


def e_of(a, b):
    return (a * b) * (b + 1)


def seed_network_loss(v):
    """The 1-2-1 ReLU network of the classic text, input 0.8, target 1.9; v = (w11, w12, w21, w22)."""
    hidden_1 = wnp.maximum(0.0, 0.8 * v[0])
    hidden_2 = wnp.maximum(0.0, 0.8 * v[1])
    return (hidden_1 * v[2] + hidden_2 * v[3] - 1.9) ** 2


# --- graphs -------------------------------------------------------------------------------------------


def test_draw_of_a_function_shows_each_value_and_its_gradient():
    graph = draw(e_of, 2.0, 3.0).graphs[0]
    a, b = graph.node("t1"), graph.node("t2")
    assert (a.title, a.value, a.grad) == ("a", "2", "12")
    assert (b.title, b.value, b.grad) == ("b", "3", "14")
    (out,) = [n for n in graph.nodes if n.kind == "output"]
    assert (out.value, out.grad) == ("24", "1")


def test_the_adjoints_of_every_variable_are_wengerts_gradients():
    x = np.array([0.3, -1.2, 2.0])
    f = lambda x: wnp.sum(wnp.tanh(x) * x)
    program = wengert.trace(f)(x)
    sweep = sweep_program(program, (x,), tangents=(np.array([1.0, 0.0, 0.0]),))
    np.testing.assert_allclose(sweep.adjoints[program.invars[0]], wengert.grad(f)(x))
    _, tangent = wengert.jvp(f, (x,), (np.array([1.0, 0.0, 0.0]),))
    np.testing.assert_allclose(sweep.tangents[program.outvars[0]], tangent)


def test_large_arrays_are_summarised():
    graph = draw(lambda x: wnp.sum(wnp.sin(x)), np.linspace(0, 1, 100)).graphs[0]
    assert re.match(r"mean \S+ std \S+ \[0, 1\]", graph.node("t1").value)


def test_a_derivative_program_draws_like_any_other():
    program = wengert.trace(wengert.grad(lambda x: wnp.sin(x) * x))(1.0)
    drawing = draw(program, 1.0)
    (out,) = [n for n in drawing.graphs[0].nodes if n.kind == "output"]
    assert float(out.value) == pytest.approx(np.cos(1.0) * 1.0 + np.sin(1.0), rel=1e-3)


def test_both_draws_the_forward_and_the_adjoint_graph_side_by_side():
    drawing = draw(e_of, 2.0, 3.0, show="both", rankdir="TB")
    forward, adjoint = drawing.graphs
    assert "forward" in forward.title and "adjoint" in adjoint.title
    adjoint_outputs = sorted(float(n.value) for n in adjoint.nodes if n.kind == "output")
    assert adjoint_outputs == [12.0, 14.0]
    assert "subgraph cluster_0" in drawing.source and "subgraph cluster_1" in drawing.source
    assert "rankdir=TB" in drawing.source


@needs_dot
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_graphviz_draws_the_forward_and_the_adjoint_graph_side_by_side_forward_first(rankdir):
    svg = draw(e_of, 2.0, 3.0, show="both", rankdir=rankdir).svg(engine="dot")
    spans = []  # each cluster's horizontal extent, from its outline
    for cluster in re.findall(r'class="cluster">.*?d="([^"]+)"', svg, flags=re.S):
        xs = [float(x) for x in re.findall(r"(-?[\d.]+),-?[\d.]+", cluster)]
        spans.append((min(xs), max(xs)))
    (forward_left, forward_right), (adjoint_left, _) = spans
    assert forward_right < adjoint_left  # beside each other, not one above the other


def test_a_program_without_arguments_draws_operations_and_types_only():
    program = wengert.trace(lambda x: wnp.exp(x))(np.ones(2))
    (node,) = [n for n in draw(program).graphs[0].nodes if n.kind == "output"]
    assert (node.title, node.type, node.value, node.grad) == ("t2 = exp", "f64[2]", None, None)


def test_draw_of_a_tensor_shows_its_history_torchviz_style():
    w = wengert.tensor(np.array([1.0, 2.0]), requires_grad=True)
    loss = (w * 3.0).tanh().sum()
    titles = [n.title for n in draw(loss).graphs[0].nodes]
    assert titles == ["leaf", "multiplyBackward", "tanhBackward", "reduce_sumBackward"]
    loss.backward()
    leaf = draw(loss).graphs[0].nodes[0]
    assert leaf.grad == wengert.viz.graph.summarize(w.grad.numpy())


def test_draw_of_a_value_is_the_micrograd_picture():
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    e = (a * b) * (b + 1)
    e.backward()
    nodes = {n.title: n for n in draw(e).graphs[0].nodes}
    assert (nodes["a"].value, nodes["a"].grad, nodes["b"].grad) == ("2", "12", "14")


def test_the_pure_python_svg_needs_no_graphviz(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    drawing = draw(e_of, 2.0, 3.0)
    svg = drawing.svg()
    assert svg.startswith("<svg") and "grad  14" in svg and svg.count('class="node"') == 6
    with pytest.raises(MissingDependencyError, match="apt-get install graphviz.*engine='python'"):
        drawing.svg(engine="dot")


@needs_dot
def test_graphviz_renders_svg_and_png(tmp_path):
    drawing = draw(e_of, 2.0, 3.0)
    assert "<svg" in drawing.svg(engine="dot")
    assert drawing.save(tmp_path / "e.png").read_bytes()[:4] == b"\x89PNG"
    assert drawing.save(tmp_path / "e.dot").read_text() == drawing.source


def test_jupyter_displays_programs_values_and_drawings():
    program = wengert.trace(lambda x: wnp.sin(x * 2.0))(np.ones(3))
    html = program._repr_html_()
    assert "<table>" in html and "sin" in html and "f64[3]" in html
    assert "<svg" in program._repr_svg_()
    value = Value(2.0) * 3.0
    assert "<svg" in value._repr_svg_()
    assert "<svg" in draw(e_of, 1.0, 1.0)._repr_svg_()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: draw(e_of, 1.0, 1.0, show="sideways"), "show must be one of"),
        (lambda: draw(e_of, 1.0, 1.0, rankdir="RL"), "rankdir must be"),
        (lambda: draw(e_of), "needs the arguments"),
        (lambda: draw(42), "draw takes a Program"),
        (lambda: draw(Value(1.0), show="adjoint"), "draw the function"),
        (lambda: draw(e_of, 1.0, 1.0).svg(engine="cairo"), "engine must be one of"),
        (lambda: draw(e_of, 1.0, 1.0).save("e.jpeg"), "cannot tell the format"),
    ],
)
def test_mistakes_are_explained(call, message):
    with pytest.raises(ArgumentError, match=message):
        call()


# --- finite-difference error --------------------------------------------------------------------------


def test_the_forward_difference_of_x_cubed_is_best_near_1e_minus_8():
    errors = fd_errors(lambda x: x**3, 1.0, steps=np.logspace(-14, -2, 121))
    best = errors["h"][np.argmin(errors["forward"])]
    assert 1e-9 < best < 1e-7
    assert optimal_steps(lambda x: x**3, 1.0)["forward"] == pytest.approx(np.sqrt(2 * np.finfo(float).eps / 6))


@pytest.mark.parametrize("step", ["nominal", "representable"])
def test_below_the_float_spacing_the_error_is_the_whole_derivative(step):
    errors = fd_errors(lambda x: x**3, 1.0, steps=[1e-18, 1e-17], step=step)
    np.testing.assert_array_equal(errors["forward"], [3.0, 3.0])
    assert np.all(errors["complex_step"] < 1e-15)


def test_dividing_by_the_representable_step_removes_the_rounding_of_x_plus_h():
    errors = fd_errors(lambda x: x**3, 1.0, steps=[1e-12, 1e-10], step="representable")
    np.testing.assert_array_equal(errors["forward"], [0.0, 0.0])  # (1 + h)^3 rounds to 1 + 3h


def test_plot_fd_error_draws_the_differences_the_asymptotes_and_the_optimal_steps(tmp_path):
    pytest.importorskip("matplotlib")
    figure = plot_fd_error(lambda x: x**3, 1.0, path=tmp_path / "fd.png")
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert {"forward difference", "central difference", "complex step"} <= set(labels)
    assert any(label.startswith("optimal h (forward) = 8.6e-09") for label in labels)
    assert any("truncation" in label for label in labels) and any("rounding" in label for label in labels)
    assert figure.axes[0].get_xscale() == "log" and (tmp_path / "fd.png").read_bytes()[:4] == b"\x89PNG"


# --- landscapes ---------------------------------------------------------------------------------------


def test_the_landscape_is_the_loss_at_every_grid_point():
    params = np.array([1.0, 1.2, -1.0, 0.8])
    xs, ys, losses = landscape_grid(
        seed_network_loss, params, dims=(0, 2), ranges=[(0, 3.5), (-3.5, 3.5)], resolution=9
    )
    for i in (0, 4, 8):
        for j in (0, 3, 8):
            point = params.copy()
            point[[0, 2]] = xs[j], ys[i]
            assert losses[i, j] == pytest.approx(float(seed_network_loss(point)))


def test_gradient_descent_walks_down_the_seed_landscape_on_its_slice():
    start = np.array([1.0, 1.2, -0.5, 0.8])
    path = trajectory(seed_network_loss, start, steps=60, learning_rate=0.1, dims=(0, 2))
    losses = [float(seed_network_loss(p)) for p in path]
    assert losses[-1] < 1e-3 < losses[0] and all(b <= a + 1e-12 for a, b in zip(losses, losses[1:]))
    np.testing.assert_array_equal(path[:, [1, 3]], np.tile([1.2, 0.8], (61, 1)))


def test_plot_landscape_draws_contours_and_the_path(tmp_path):
    pytest.importorskip("matplotlib")
    params = {"w11": 1.0, "w12": 1.2, "w21": -0.5, "w22": 0.8}
    loss = lambda p: seed_network_loss(wnp.stack([p["w11"], p["w12"], p["w21"], p["w22"]]))
    path = trajectory(loss, params, steps=30, dims=("w11", "w21"))
    figure = plot_landscape(loss, params, dims=("w11", "w21"), path=path, surface=True, save=tmp_path / "l.png")
    assert figure.axes[0].get_xlabel() == "w11" and figure.axes[0].get_ylabel() == "w21"
    assert len(figure.axes) == 3  # contours, colour bar, surface
    assert (tmp_path / "l.png").read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ArgumentError, match="not a parameter"):
        plot_landscape(loss, params, dims=("w11", "w33"))


# --- training pictures --------------------------------------------------------------------------------


def test_training_pictures_are_slide_sized_with_legends_beside_the_data(tmp_path):
    pytest.importorskip("matplotlib")
    from PIL import Image

    figure = wengert.viz.plot_loss_curve(np.linspace(3, 2, 300), tmp_path / "loss.png", window=50, val_loss=2.1)
    assert figure.legends and figure.axes[0].get_legend() is None  # the legend is the figure's, outside the axes
    assert Image.open(tmp_path / "loss.png").size == (2000, 1125)


def test_gradient_histograms_take_tensors_and_plain_arrays_alike(tmp_path):
    pytest.importorskip("matplotlib")
    w = wengert.tensor(np.linspace(-1.0, 1.0, 50), requires_grad=True)
    (w * w).sum().backward()
    untrained = wengert.tensor(np.ones(3), requires_grad=True)
    plain = np.asarray(wengert.grad(lambda v: wnp.sum(wnp.sin(v)))(np.linspace(0, 3, 50)))
    figure = wengert.viz.plot_gradient_histograms({"w": w, "untrained": untrained, "by grad": plain})
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert labels == [
        f"w: std {np.std(2 * w.detach().numpy()):.1e}, grad:data 2.0e+00",
        f"by grad: std {np.std(plain):.1e}",
    ]
    assert len(figure.axes[0].lines) == 2


def test_the_examples_in_the_docstrings_run():
    for module in (
        wengert.viz.sweep,
        wengert.viz.draw_graph,
        wengert.viz.render,
        wengert.viz.fd_error,
        wengert.viz.landscape,
        wengert.viz.training,
    ):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__
