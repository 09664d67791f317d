"""The explorer's server: a small JSON API over wengert, and the single page that draws what it returns.

Everything is computed here, by wengert: the page only draws. The server
listens on 127.0.0.1 only, answers only requests from the loopback, and
answers a bad request (a malformed expression, a missing value) with the
one-line error ``wengert diff`` prints, never by crashing.

* ``GET /``: the page (``index.html``, shipped in the package; no external assets);
* ``POST /api/sweep`` ``{"expression", "point": {name: number or list}, "seed", "rankdir"}``:
  the evaluation trace with each row's value, tangent, adjoint, local partials
  and children, the graph's layout, and central differences with their error.
  A variable may be an array (a list such as ``[1, 2, 3]``, or nested lists);
  the arrays broadcast together as NumPy's do, and for an array result the
  derivatives are those of the sum of its elements;
* ``POST /api/network`` ``{"w11", "w12", "w21", "w22", "x", "t", "lr", "steps"}``:
  the 2-2-1 network of the classic text (one input, two ReLU hidden units,
  one output): its loss, gradient, the loss landscape over ``(w11, w21)``
  (by ``vmap``), and the weights after ``steps`` gradient-descent steps.
"""

from __future__ import annotations

import json
import threading
import webbrowser
from dataclasses import replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

import numpy as np

import wengert
import wengert.numpy as wnp
from wengert.apps.expression import parse_expression
from wengert.apps.expression_sweep import sweep_expression
from wengert.check import numerical_grad
from wengert.errors import WengertError
from wengert.viz.graph import Graph
from wengert.viz.layout import layout_graph

__all__ = ["EXAMPLES", "ExplorerServer", "api_network", "api_sweep", "serve"]

EXAMPLES = {
    "e = (a·b)·(b+1)": {"expression": "(a*b)*(b+1)", "point": {"a": 2.0, "b": 3.0}},
    "sigmoid neuron: L = (σ(w·x + b) − t)²": {
        "expression": "(sigmoid(w*x + b) - t)**2",
        "point": {"w": 0.5, "x": 1.5, "b": -0.2, "t": 1.0},
    },
    "2-2-1 network (ReLU)": {
        "expression": "(maximum(0, x*w11)*w21 + maximum(0, x*w12)*w22 - t)**2",
        "point": {"x": 0.8, "w11": 1.0, "w21": -0.5, "w12": 1.2, "w22": 0.8, "t": 1.9},
        "network": True,
    },
    "x³·exp(−x)": {"expression": "x**3 * exp(-x)", "point": {"x": 1.5}},
}
"""The examples the page offers: the classic texts' expression, sigmoid neuron and 2-2-1 network."""

MAX_BODY = 64 * 1024
MAX_ELEMENTS = 1000
"""The most elements an input array of the page may have (the page draws every node's value)."""
LANDSCAPE_RESOLUTION = 61
LANDSCAPE_RANGES = ((0.0, 3.5), (-3.5, 3.5))
"""The slice the classic text draws: w11 from 0 to 3.5, w21 from -3.5 to 3.5."""


class RequestError(ValueError):
    """A request the API cannot answer: its message goes back to the page as one line."""


def _number(value, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestError(f"{what} must be a number, got {value!r}")
    number = float(value)
    if not np.isfinite(number):
        raise RequestError(f"{what} must be a finite number")
    return number


def _input(value, what: str) -> np.ndarray:
    """A variable's value from the page: a number, or a (nested) list of numbers of at most MAX_ELEMENTS."""
    if not isinstance(value, list):
        return np.asarray(_number(value, what))
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise RequestError(f"{what} must be a number or a list of numbers such as [1, 2, 3]") from None
    if array.size == 0 or array.size > MAX_ELEMENTS:
        raise RequestError(f"{what} must have from 1 to {MAX_ELEMENTS} elements, got {array.size}")
    if not np.all(np.isfinite(array)):
        raise RequestError(f"{what} must hold finite numbers only")
    return array


def _plain(value):
    """Arrays and NumPy scalars as JSON: numbers and nested lists (nan and inf as strings)."""
    if value is None:
        return None
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        number = float(array)
        return number if np.isfinite(number) else str(number)
    return [_plain(v) for v in array]


def _summed(expression):
    """The sum of the expression's elements: what the adjoints of an array result differentiate."""

    def total(*args):
        return wnp.sum(expression(*args))

    return total


def api_sweep(request: dict) -> dict:
    """``/api/sweep``: everything the page shows about an expression at a point (see the module docstring)."""
    text = request.get("expression")
    if not isinstance(text, str):
        raise RequestError("give the expression as text, e.g. (a*b)*(b+1)")
    expression = parse_expression(text)
    given = request.get("point") or {}
    if not isinstance(given, dict):
        raise RequestError("point must map each variable to a number or a list of numbers")
    point = [_input(given.get(name, 1.0), name) for name in expression.variables]
    seed = request.get("seed") or None
    if seed is not None and seed not in expression.variables:
        seed = None
    with np.errstate(all="ignore"):
        sweep = sweep_expression(expression, point, seed)
        try:
            central = list(numerical_grad(_summed(expression), *point, argnums=tuple(range(len(point)))))
        except WengertError:
            central = [np.full(np.shape(p), np.nan) for p in point]
    rankdir = "TB" if request.get("rankdir") == "TB" else "LR"
    layout = layout_graph(_as_the_page_writes_it(sweep), rankdir)
    rows = [
        {
            "name": row.name,
            "definition": row.definition,
            "operation": row.operation,
            "inputs": list(row.inputs),
            "type": row.type,
            "value": _plain(row.value),
            "tangent": _plain(row.tangent),
            "adjoint": _plain(row.adjoint),
            "partials": [[name, _plain(p)] for name, p in row.partials],
            "children": [[name, _plain(p)] for name, p in row.children],
        }
        for row in sweep.rows
    ]
    by_name = {row.name: row for row in sweep.rows}
    return {
        "expression": expression.text,
        "variables": list(expression.variables),
        "point": {name: _plain(value) for name, value in zip(expression.variables, point)},
        "seed": sweep.seed,
        "rankdir": rankdir,
        "output": sweep.output,
        "rows": rows,
        "graph": {
            "width": layout.width,
            "height": layout.height,
            "boxes": [
                {
                    "id": box.node.id,
                    "row": sweep.node_names.get(box.node.id),
                    "kind": box.node.kind,
                    "title": box.node.title,
                    "type": box.node.type,
                    "x": box.x,
                    "y": box.y,
                    "width": box.width,
                    "height": box.height,
                }
                for box in layout.boxes.values()
            ],
            "edges": [[e.source, e.target] for e in sweep.graph.edges],
        },
        "central": [
            {
                "name": name,
                "central": _plain(c),
                "reverse": _plain(by_name[name].adjoint),
                "error": _plain(np.max(np.abs(np.asarray(c) - by_name[name].adjoint))),
            }
            for name, c in zip(expression.variables, central)
        ],
    }


def _page_text(value) -> str:
    """A value as the page writes it in a box (its ``short``): 6 digits, up to 6 elements, or mean and sd."""
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return f"{float(array):.6g}"
    if array.size <= 6:
        return "[" + ", ".join(f"{v:.4g}" for v in array.ravel()) + "]"
    return f"mean {array.mean():.3g} sd {array.std():.3g}"


def _as_the_page_writes_it(sweep) -> Graph:
    """The sweep's graph with each box's text as long as the page's, so the layout leaves each box its room."""
    rows = {row.name: row for row in sweep.rows}
    nodes = []
    for node in sweep.graph.nodes:
        row = rows.get(sweep.node_names.get(node.id))
        if row is not None:
            derivatives = [_page_text(d) for d in (row.tangent, row.adjoint) if d is not None]
            node = replace(node, value=_page_text(row.value), grad="  " + max(derivatives, key=len, default=""))
        nodes.append(node)
    return Graph(nodes, sweep.graph.edges, sweep.graph.title)


def network_loss(w, x: float, t: float):
    """The 2-2-1 network's squared error; ``w = (w11, w12, w21, w22)``: input to hidden 1, 2; hidden 1, 2 to output."""
    hidden = wnp.maximum(0.0, x * w[:2])
    return (wnp.sum(hidden * w[2:]) - t) ** 2


def api_network(request: dict) -> dict:
    """``/api/network``: the 2-2-1 network's loss, gradient, landscape and gradient-descent steps."""
    w = np.array([_number(request.get(k, d), k) for k, d in (("w11", 1.0), ("w12", 1.2), ("w21", -0.5), ("w22", 0.8))])
    x, t = _number(request.get("x", 0.8), "x"), _number(request.get("t", 1.9), "t")
    lr = _number(request.get("lr", 0.1), "lr")
    steps = request.get("steps", 0)
    if not isinstance(steps, int) or isinstance(steps, bool) or not 0 <= steps <= 1000:
        raise RequestError("steps must be a whole number from 0 to 1000")
    value_and_grad = wengert.value_and_grad(network_loss)
    path = [w.copy()]
    for _ in range(steps):
        w = w - lr * np.asarray(value_and_grad(w, x, t)[1])
        path.append(w.copy())
    loss, grad = value_and_grad(w, x, t)
    xs = np.linspace(*LANDSCAPE_RANGES[0], LANDSCAPE_RESOLUTION)
    ys = np.linspace(*LANDSCAPE_RANGES[1], LANDSCAPE_RESOLUTION)
    gx, gy = np.meshgrid(xs, ys)
    batch = np.tile(w, (gx.size, 1))
    batch[:, 0], batch[:, 2] = gx.ravel(), gy.ravel()
    grid = np.asarray(wengert.vmap(lambda v: network_loss(v, x, t))(batch)).reshape(gx.shape)
    names = ("w11", "w12", "w21", "w22")
    return {
        "weights": dict(zip(names, map(float, w))),
        "loss": float(loss),
        "output": float(np.sum(np.maximum(0.0, x * w[:2]) * w[2:])),
        "hidden": [float(h) for h in np.maximum(0.0, x * w[:2])],
        "grad": dict(zip(names, map(float, grad))),
        "path": [[float(p[0]), float(p[2])] for p in path],
        "landscape": {"w11": xs.tolist(), "w21": ys.tolist(), "loss": grid.tolist()},
    }


ROUTES = {"/api/sweep": api_sweep, "/api/network": api_network}
LOOPBACK = ("127.0.0.1", "::1", "::ffff:127.0.0.1")


class _Handler(BaseHTTPRequestHandler):
    server_version = "wengert-explore"

    def log_message(self, format, *args):  # quiet: the terminal shows the URL, not every request
        return

    def _loopback(self) -> bool:
        if self.client_address[0] in LOOPBACK:
            return True
        self._send(HTTPStatus.FORBIDDEN, {"error": "the explorer answers only requests from this machine"})
        return False

    def do_GET(self):
        if not self._loopback():
            return
        if self.path.split("?")[0] in ("/", "/index.html"):
            page = resources.files("wengert.apps.explorer").joinpath("index.html").read_bytes()
            self._send_bytes(HTTPStatus.OK, page, "text/html; charset=utf-8")
        elif self.path == "/api/examples":
            self._send(HTTPStatus.OK, EXAMPLES)
        else:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"no such page: {self.path[:100]}"})

    def do_POST(self):
        if not self._loopback():
            return
        route = ROUTES.get(self.path)
        if route is None:
            self._send(HTTPStatus.NOT_FOUND, {"error": f"no such API: {self.path[:100]}"})
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 <= length <= MAX_BODY:
                raise RequestError(f"the request is too large ({length} bytes; at most {MAX_BODY})")
            request = json.loads(self.rfile.read(length) or b"{}")
            if not isinstance(request, dict):
                raise RequestError("send a JSON object")
            answer = route(request)
        except (RequestError, WengertError, json.JSONDecodeError, UnicodeDecodeError, ValueError) as error:
            self._send(HTTPStatus.BAD_REQUEST, {"error": str(error).splitlines()[0] if str(error) else "bad request"})
            return
        except Exception as error:  # the server must outlive any input: report, keep serving
            self._send(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"{type(error).__name__}: {error}"[:300]})
            return
        self._send(HTTPStatus.OK, answer)

    def _send(self, status: HTTPStatus, payload: dict) -> None:
        self._send_bytes(status, json.dumps(payload).encode("utf-8"), "application/json")

    def _send_bytes(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


class ExplorerServer(ThreadingHTTPServer):
    """The explorer's HTTP server, bound to 127.0.0.1 (``port=0``: a free port). ``url`` says where."""

    daemon_threads = True

    def __init__(self, port: int = 0):
        super().__init__(("127.0.0.1", port), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"

    def start(self) -> ExplorerServer:
        """Serve in a background thread (for tests and notebooks); ``shutdown()`` stops it."""
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self


def serve(port: int = 0, open_browser: bool = True, stream=None) -> None:
    """Run the explorer until interrupted: print its URL, open a browser unless told not to."""
    import sys

    stream = sys.stdout if stream is None else stream
    server = ExplorerServer(port)
    print(f"wengert explorer: {server.url}  (Ctrl+C to stop)", file=stream, flush=True)
    if open_browser:
        webbrowser.open(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=stream)
    finally:
        server.server_close()
