"""Specification of the explorer: its JSON API gives wengert's numbers, it survives bad input, answers the loopback
only, and its page, driven in a real browser, shows the numbers wengert computes."""

from __future__ import annotations

import json
import os
import shutil
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

import wengert
from wengert.apps.cli import main
from wengert.apps.explorer import ExplorerServer, api_network, api_sweep
from wengert.apps.explorer.server import network_loss
from wengert.apps.expression import parse_expression

SCREENSHOTS = Path(os.environ.get("WENGERT_SCREENSHOTS", Path(__file__).parent / "screenshots"))


@pytest.fixture(scope="module")
def server():
    running = ExplorerServer(0).start()
    yield running
    running.shutdown()
    running.server_close()


def post(server, path: str, body) -> tuple[int, dict]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(server.url.rstrip("/") + path, data=data, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_sweep_gives_wengerts_values_tangents_and_adjoints():
    answer = api_sweep({"expression": "(sigmoid(w*x + b) - t)**2", "point": {"w": 0.5, "x": 1.5, "b": -0.2, "t": 1.0}})
    f = parse_expression("(sigmoid(w*x + b) - t)**2")
    point = (0.5, 1.5, -0.2, 1.0)
    grads = wengert.grad(f, argnums=(0, 1, 2, 3))(*point)
    rows = {row["name"]: row for row in answer["rows"]}
    for name, g in zip(answer["variables"], grads):
        assert rows[name]["adjoint"] == pytest.approx(float(g), rel=1e-12)
    out = rows[answer["output"]]
    assert out["value"] == pytest.approx(float(f(*point))) and out["tangent"] == pytest.approx(float(grads[0]))
    for check in answer["central"]:
        assert check["error"] < 1e-8


def test_each_adjoint_is_the_sum_of_its_childrens_adjoints_times_the_local_partials():
    answer = api_sweep({"expression": "(a*b)*(b+1)", "point": {"a": 2, "b": 3}})
    rows = {row["name"]: row for row in answer["rows"]}
    assert rows["b"]["children"] == [["v1", 2.0], ["v2", 1.0]]
    for row in answer["rows"]:
        if row["children"]:
            assert row["adjoint"] == sum(rows[c]["adjoint"] * p for c, p in row["children"])


def test_the_sweep_takes_arrays_that_broadcast_and_differentiates_the_sum_of_an_array_result():
    answer = api_sweep({"expression": "(a*b)*(b+1)", "point": {"a": [1, 2, 3], "b": 2}})
    rows = {row["name"]: row for row in answer["rows"]}
    a, b = np.array([1.0, 2.0, 3.0]), 2.0
    grads = wengert.grad(lambda a, b: wengert.numpy.sum((a * b) * (b + 1)), argnums=(0, 1))(a, b)
    assert rows["a"]["type"] == "f64[3]" and rows["a"]["value"] == [1.0, 2.0, 3.0]
    assert rows["a"]["adjoint"] == pytest.approx(list(grads[0]))
    assert rows["b"]["adjoint"] == pytest.approx(float(grads[1]))
    assert rows["v1"]["partials"][0] == ["a", (2 * np.eye(3)).tolist()]  # a Jacobian, diagonal for an elementwise op
    assert answer["point"] == {"a": [1.0, 2.0, 3.0], "b": 2.0}
    assert [c["name"] for c in answer["central"]] == ["a", "b"] and all(c["error"] < 1e-6 for c in answer["central"])


@pytest.mark.parametrize(
    ("value", "message"),
    [([], "from 1 to 1000 elements"), (list(range(1001)), "from 1 to 1000 elements"), (["x"], "list of numbers")],
)
def test_an_array_input_the_page_cannot_use_is_refused_with_a_reason(value, message):
    with pytest.raises(ValueError, match=message):
        api_sweep({"expression": "a*2", "point": {"a": value}})


def test_the_network_api_takes_gradient_steps_and_draws_the_landscape_by_vmap():
    answer = api_network({"w11": 1.0, "w12": 1.2, "w21": -0.5, "w22": 0.8, "x": 0.8, "t": 1.9, "lr": 0.1, "steps": 3})
    w = np.array([1.0, 1.2, -0.5, 0.8])
    for _ in range(3):
        w = w - 0.1 * np.asarray(wengert.grad(network_loss)(w, 0.8, 1.9))
    assert list(answer["weights"].values()) == pytest.approx(list(w))
    assert answer["loss"] == pytest.approx(float(network_loss(w, 0.8, 1.9)))
    landscape = answer["landscape"]
    i, j = 7, 11
    point = w.copy()
    point[[0, 2]] = landscape["w11"][j], landscape["w21"][i]
    assert landscape["loss"][i][j] == pytest.approx(float(network_loss(point, 0.8, 1.9)))


def test_bad_input_gets_the_clis_one_line_error_and_the_server_keeps_serving(server, capsys):
    main(["diff", "x^2", "--at", "x=1"])
    cli_error = capsys.readouterr().err.strip().removeprefix("wengert diff: error: ")
    status, answer = post(server, "/api/sweep", {"expression": "x^2", "point": {"x": 1}})
    assert status == 400 and answer["error"] == cli_error
    for body in (
        b"not json",
        b"[1, 2]",
        {"expression": 3},
        {"expression": "x", "point": {"x": "one"}},
        {"expression": "x" * 100_000},
        {"expression": "exp(x)", "point": {"x": 1e308}},
    ):
        status, answer = post(server, "/api/sweep", body)
        assert status in (200, 400) and ("error" in answer or "rows" in answer)
    status, answer = post(server, "/api/network", {"steps": "many"})
    assert status == 400 and "steps" in answer["error"]
    status, answer = post(server, "/api/sweep", {"expression": "x*x", "point": {"x": 3}})
    assert status == 200 and answer["rows"][0]["adjoint"] == 6.0


def test_the_server_listens_on_the_loopback_only_and_refuses_other_clients(server, monkeypatch):
    assert server.server_address[0] == "127.0.0.1"
    from wengert.apps.explorer import server as module

    monkeypatch.setattr(module, "LOOPBACK", ())
    status, answer = post(server, "/api/sweep", {"expression": "x", "point": {"x": 1}})
    assert status == 403 and "only requests from this machine" in answer["error"]


def test_the_page_needs_nothing_from_outside(server):
    with urllib.request.urlopen(server.url, timeout=10) as response:
        page = response.read().decode()
    assert "<svg" in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in page and "<script src" not in page and "<link" not in page


def test_wengert_explore_rejects_a_bad_port(capsys):
    assert main(["explore", "--port", "70000", "--no-browser"]) == 2
    assert "is not a port" in capsys.readouterr().err


# --- in a real browser ----------------------------------------------------------------------------------


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def page(server):
    playwright = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    executable = _chromium()
    if executable is None:
        pytest.skip("no Chromium browser installed (apt-get install chromium) to drive the explorer's page")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox", "--headless=new"])
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        tab.goto(server.url)
        tab.wait_for_selector("#node-v3")
        yield tab
        browser.close()


def _number(text: str) -> float:
    return float(text.split()[-1])


def test_in_the_browser_the_numbers_shown_are_wengerts(page):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "explorer-start.png"), full_page=True)
    page.fill("#expr", "x**3 * exp(-x) + sin(x*y)")
    page.click("#go")
    page.wait_for_selector("#slider-y")
    page.locator("#slider-x").fill("1.5")
    page.wait_for_function("document.querySelector('#val-x').value === '1.5'")
    page.wait_for_timeout(300)
    f = parse_expression("x**3 * exp(-x) + sin(x*y)")
    y = float(page.locator("#slider-y").input_value())
    gx, gy = wengert.grad(f, argnums=(0, 1))(1.5, y)
    shown = "parseFloat(document.querySelector('#node-x .line-adjoint').textContent.split(' ').pop())"
    page.wait_for_function(f"document.querySelector('#node-x .line-adjoint') && Math.abs({shown} - {float(gx)}) < 1e-4")
    assert _number(page.locator("#node-x .line-adjoint").text_content()) == pytest.approx(float(gx), rel=1e-5)
    assert _number(page.locator("#node-y .line-adjoint").text_content()) == pytest.approx(float(gy), rel=1e-5)
    assert _number(page.locator("#node-x .line-value").text_content()) == 1.5

    rows = page.locator("#trace-table tr").count() - 1
    page.click("#step-back")
    assert "seed the output" in page.text_content("#explain")
    for _ in range(rows - 1):
        page.click("#step-back")
    explain = page.text_content("#explain")
    assert f"backward step {rows} of {rows}: x̄" in explain and explain.strip().endswith(f"{float(gx):.6g}".rstrip("0"))
    page.click("#node-x")
    assert "Σ (child's adjoint × local partial)" in page.text_content("#inspector")
    page.screenshot(path=str(SCREENSHOTS / "explorer-backward.png"), full_page=True)

    page.fill("#expr", "x^2")
    page.click("#go")
    page.wait_for_function("document.querySelector('#error').textContent.length > 0")
    assert "'^' is not a power here; write x**2" in page.text_content("#error")


def test_in_the_browser_the_network_steps_down_its_landscape(page):
    page.select_option("#examples", label="2-2-1 network (ReLU)")
    page.wait_for_selector("#slider-w22")
    page.wait_for_function("document.querySelector('#loss').textContent !== '–'")
    before = float(page.text_content("#loss"))
    for _ in range(3):
        page.click("#net-step")
        page.wait_for_timeout(250)
    page.wait_for_function(f"parseFloat(document.querySelector('#loss').textContent) < {before}")
    point = page.evaluate("state.point")  # the sliders show the weights rounded to their step
    weights = [point[k] for k in ("w11", "w12", "w21", "w22")]
    assert [float(page.locator(f"#slider-{k}").input_value()) for k in ("w11", "w21")] == pytest.approx(
        [point["w11"], point["w21"]], abs=0.006
    )
    shown = float(page.text_content("#loss"))
    assert shown == pytest.approx(float(network_loss(np.array(weights), 0.8, 1.9)), rel=1e-4)
    overlaps = page.evaluate(
        """() => {
        const boxes = (selector) => [...document.querySelectorAll(selector)].map((e) => e.getBoundingClientRect());
        const meet = (a, b) => a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
        const labels = boxes("#network text.halo"), circles = boxes("#network circle");
        return labels.filter((l) => circles.some((c) => meet(l, c))).length;
    }"""
    )
    assert overlaps == 0  # every weight's label stands clear of the units' circles
    page.screenshot(path=str(SCREENSHOTS / "explorer-network.png"), full_page=True)


def test_in_the_browser_an_input_typed_as_a_list_is_an_array_with_its_shape_values_and_gradients(page):
    page.select_option("#examples", label="e = (a·b)·(b+1)")
    page.wait_for_selector("#slider-b")
    page.fill("#val-a", "[1, 2, 3]")
    page.press("#val-a", "Enter")
    page.wait_for_function("document.querySelector('#node-a .line-value').textContent.includes('[')")
    grads = wengert.grad(lambda a, b: wengert.numpy.sum((a * b) * (b + 1)), argnums=(0, 1))(np.array([1.0, 2, 3]), 3.0)
    assert page.text_content("#node-a .line-type") == "f64[3]"
    assert page.text_content("#node-a .line-value") == "value [1, 2, 3]"
    assert page.text_content("#node-a .line-adjoint") == "grad [" + ", ".join(f"{g:g}" for g in grads[0]) + "]"
    assert _number(page.text_content("#node-b .line-adjoint")) == pytest.approx(float(grads[1]))
    assert page.locator("#slider-a").is_disabled() and not page.locator("#slider-b").is_disabled()
    page.click("#node-b")
    assert "[4, 4, 4] · [1, 2, 3] + 18 × 1" in page.text_content("#inspector")  # b̄ = v̄1 · ∂v1/∂b + v̄2 · ∂v2/∂b
    page.screenshot(path=str(SCREENSHOTS / "explorer-array.png"), full_page=True)
    page.fill("#val-a", "[1, 2,")
    page.press("#val-a", "Enter")
    assert "a list of numbers such as [1, 2, 3]" in page.text_content("#error")


def test_in_the_browser_forward_mode_steps_explain_each_tangent(page):
    page.select_option("#examples", label="e = (a·b)·(b+1)")
    page.wait_for_selector("#slider-b")
    page.wait_for_function("document.querySelector('#node-a .line-value').textContent === 'value 2'")
    page.check("input[name=mode][value=forward]")
    assert page.locator("#step-back").is_disabled()
    for _ in range(3):
        page.click("#step-fwd")
    explain = page.text_content("#explain")
    assert "forward step 3 of 5: v1 = multiply a b = multiply(2, 3) = 6" in explain
    dot = "\u0307"  # u̇, the tangent of u: u followed by a combining dot above
    assert f"= ∂v1/∂a · a{dot} + ∂v1/∂b · b{dot}\n  = 3 × 1 + 2 × 0\n  = 3" in explain
    assert page.text_content("#node-v3 .line-tangent") == "tangent ?"
    page.click("#step-fwd")
    page.click("#step-fwd")
    assert page.text_content("#node-v3 .line-tangent") == "tangent 12"  # de/da by forward mode
    page.screenshot(path=str(SCREENSHOTS / "explorer-forward.png"), full_page=True)
    page.check("input[name=mode][value=reverse]")


def test_in_the_browser_play_animates_the_forward_then_the_backward_pass(page):
    page.select_option("#examples", label="e = (a·b)·(b+1)")
    page.wait_for_selector("#slider-b")
    page.evaluate("state.playMs = 40")
    page.click("#play")
    assert page.text_content("#play") == "❚❚ Pause"
    page.wait_for_function("document.querySelector('#explain').textContent.startsWith('backward step 5 of 5')")
    page.wait_for_function("document.querySelector('#play').textContent === '▶ Play'")
    assert page.text_content("#explain").strip().endswith("= 12")  # ā = de/da
    page.evaluate("state.playMs = 900")
