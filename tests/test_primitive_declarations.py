"""Every primitive declares each fact another part of the engine reads from it (issue 16).

A primitive is declared once, with everything about it (``Primitive``'s docstring lists the
fields). The parts that read a declared fact (code generation, the optimiser, the Tensor face,
``linearize``) keep no table of their own by name; these tests fail when a declaration lacks a
fact one of them needs, or declares one that contradicts its rules.
"""

import ast
import importlib
import keyword
from pathlib import Path

import numpy as np
import pytest

import wengert
import wengert.numpy as wnp
from wengert._src.compile.buffers import is_ufunc
from wengert._src.compile.source_text import importable
from wengert._src.core.primitive import (
    READS_ARGUMENTS,
    READS_ARGUMENTS_AND_OUTPUT,
    READS_NOTHING,
    Primitive,
    what_vjps_read,
)
from wengert._src.primitives import contractions, elementwise, indexing, linalg, reductions, special, structural
from wengert._src.primitives.rules import EveryArgument, Multilinear
from wengert._src.transforms import control_flow
from wengert._src.transforms.stage import stage

FAMILIES = (structural, elementwise, reductions, indexing, contractions, linalg, special)


def declared_primitives() -> list[Primitive]:
    """Every primitive declared in a family module under ``_src/primitives/``, once each."""
    found: dict[int, Primitive] = {}
    for module in FAMILIES:
        for value in vars(module).values():
            if isinstance(value, Primitive):
                found.setdefault(id(value), value)
    return list(found.values())


def linear_primitive_names() -> set[str]:
    """The primitives a linear program may hold: those linear in some argument."""
    return {prim.name for prim in declared_primitives() if prim.linear_in}


PRIMITIVES = declared_primitives()
DIFFERENTIABLE = [prim for prim in PRIMITIVES if prim.differentiable]
WITH_NEUTRAL = [prim for prim in PRIMITIVES if prim.neutral is not None]


def _ids(prims):
    return [prim.name for prim in prims]


def _transposed_positions(transposes):
    """The positions ``transposes`` gives a rule for: a tuple of positions, or ``"every"``."""
    if isinstance(transposes, Multilinear):
        transposes = transposes.rules
    if isinstance(transposes, EveryArgument):
        return "every"
    return tuple(i for i, rule in enumerate(transposes) if rule is not None)


def test_the_primitives_have_distinct_names():
    names = _ids(PRIMITIVES)
    assert sorted(name for name in set(names) if names.count(name) > 1) == []


@pytest.mark.parametrize("prim", PRIMITIVES, ids=_ids(PRIMITIVES))
def test_linear_inputs_agree_with_the_transpose_rules(prim):
    linear_in = prim.linear_in
    assert linear_in == "every" or (isinstance(linear_in, tuple) and all(type(i) is int for i in linear_in))
    if prim.transposes is None:
        assert linear_in == (), f"{prim.name} declares linear inputs {linear_in} but no transpose rule"
        return
    transposed = _transposed_positions(prim.transposes)
    assert transposed == linear_in, f"{prim.name}: linear_in {linear_in} but transpose rules for {transposed}"


WRITTEN = [*PRIMITIVES, control_flow.cond, control_flow.while_]
"""The primitives code generation writes: every family's, and the control flow's."""


@pytest.mark.parametrize("prim", WRITTEN, ids=_ids(WRITTEN))
def test_code_generation_can_write_every_primitive(prim):
    """Each primitive is written by its declared ``statements`` or ``source``, as a ufunc, or by
    calling ``impl`` through an importable name (which standalone source needs)."""
    if prim.statements is not None:
        assert callable(prim.statements)
        return
    source = prim.source
    if isinstance(source, str):
        assert is_ufunc(prim), f"{prim.name}: an operator is declared for a ufunc primitive only"
        compile(f"{source}a" if prim.impl.nin == 1 else f"a {source} b", prim.name, "eval")
        return
    if source is not None:
        assert callable(source)
        return
    assert is_ufunc(prim) or importable(prim) is not None, f"{prim.name}: code generation cannot write it"


def test_a_primitive_whose_parameters_are_programs_declares_its_statements():
    """A program is no parameter source text can hold (``to_source`` refuses it): ``cond`` and
    ``while`` are written as functions of their own, called from the statements they declare."""

    def f(x):
        y = wengert.lax.cond(x.sum() > 0, wnp.tanh, wnp.sin, x)
        return wengert.lax.while_loop(lambda a: a.sum() < 10.0, lambda a: a * 2.0, y)

    program = stage(f, [np.ones(3)], values_visible=False, purpose="the test")
    with_programs = [
        eqn.primitive
        for eqn in program.equations
        if any(isinstance(p, wengert.Program) for value in eqn.params.values() for p in _flat(value))
    ]
    assert {prim.name for prim in with_programs} == {"cond", "while"}
    assert all(prim.statements is not None for prim in with_programs)
    assert "def cond" in program.to_source() and "while while" in program.to_source()


def _flat(value) -> list:
    return [item for v in value for item in _flat(v)] if isinstance(value, (tuple, list)) else [value]


@pytest.mark.parametrize("prim", WRITTEN, ids=_ids(WRITTEN))
def test_result_memory_is_declared_in_the_known_terms(prim):
    memory = prim.result_memory
    assert memory in (None, "new", "view") or callable(memory)
    if is_ufunc(prim):
        assert memory == "new", f"{prim.name}: a single-result ufunc makes a new array"
    if prim.statements is not None and not prim.multiple_results:
        assert memory == "new", f"{prim.name}: its statements write into an array of its own"


def test_a_gather_is_a_view_for_a_basic_index_only():
    assert indexing.getitem.result_memory({"idx": (slice(1, 3),)}) == "view"
    assert indexing.getitem.result_memory({"idx": (np.array([0, 2]),)}) == "new"


@pytest.mark.parametrize("prim", DIFFERENTIABLE, ids=_ids(DIFFERENTIABLE))
def test_every_differentiable_primitive_says_what_its_vjp_rules_read(prim):
    assert prim.vjp_reads in (None, READS_NOTHING, READS_ARGUMENTS, READS_ARGUMENTS_AND_OUTPUT)
    assert what_vjps_read(prim) in (READS_NOTHING, READS_ARGUMENTS, READS_ARGUMENTS_AND_OUTPUT)


def test_rules_declared_to_read_nothing_run_on_zeros_of_the_right_shape():
    """A primitive declared ``READS_NOTHING`` gets the same cotangents whatever its values are."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(2, 3)), rng.normal(size=(2, 3))
    g = rng.normal(size=(2, 3))
    for prim, args in ((elementwise.add, (x, y)), (elementwise.subtract, (x, y)), (elementwise.neg, (x,))):
        assert prim.vjp_reads is READS_NOTHING
        ans = prim(*args)
        zeros = tuple(np.zeros_like(a) for a in args)
        for rule in prim.vjps:
            np.testing.assert_array_equal(rule(g, ans, *args), rule(g, np.zeros_like(ans), *zeros), err_msg=prim.name)


@pytest.mark.parametrize("prim", WITH_NEUTRAL, ids=_ids(WITH_NEUTRAL))
def test_a_declared_neutral_operand_leaves_the_other_unchanged(prim):
    neutral, side = prim.neutral
    assert side in ("either", "right")
    x = np.array([-1.5, 0.25, 3.0])
    np.testing.assert_array_equal(prim.impl(x, neutral), x)
    if side == "either":
        np.testing.assert_array_equal(prim.impl(neutral, x), x)


def test_the_linear_primitives_include_the_ones_linearize_emits():
    names = linear_primitive_names()
    linear = {"add", "subtract", "neg", "multiply", "matmul", "reduce_sum", "reshape", "getitem", "index_add"}
    assert linear | {"concatenate"} <= names
    assert not names & {"tanh", "exp", "power", "maximum", "reduce_max"}


def _wengert_modules() -> dict[str, Path]:
    """Every module of the ``wengert`` package, imported, by name, with its source file."""
    package = Path(wengert.__file__).parent
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        importlib.import_module(name)
        modules[name] = path
    return modules


MODULES = _wengert_modules()


def _declarations() -> list[tuple[str, str, Primitive]]:
    """``(module, Python name, primitive)`` for every ``name = <call>`` at the top of a module of wengert
    that binds a primitive: where each primitive is declared, and the name it is declared under."""
    found = []
    for name, path in MODULES.items():
        module = importlib.import_module(name)
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                for target in node.targets:
                    value = getattr(module, target.id, None) if isinstance(target, ast.Name) else None
                    if isinstance(value, Primitive):
                        found.append((name, target.id, value))
    return found


DECLARATIONS = _declarations()


def _python_name(printed: str) -> str:
    """The Python name a primitive printed ``printed`` is declared under: the same name, with PEP 8's
    trailing underscore where the name is a Python keyword (``while_`` prints ``while``)."""
    return f"{printed}_" if keyword.iskeyword(printed) else printed


@pytest.mark.parametrize("where", DECLARATIONS, ids=[f"{module}.{name}" for module, name, _ in DECLARATIONS])
def test_a_primitive_prints_the_name_it_is_declared_under(where):
    """The Wengert list, the registry and the code use one vocabulary: ``elementwise.multiply`` prints
    ``multiply``, not ``mul`` (docs/architecture.md, "Where a primitive lives")."""
    module, name, prim = where
    assert name == _python_name(prim.name), f"{module}.{name} prints {prim.name!r}"


def test_every_primitive_a_module_holds_is_declared_under_its_name_somewhere():
    """No primitive escapes the check above (made in a loop, or bound by ``globals()``): each one a module
    of wengert holds is declared by ``name = <call>`` in some module."""
    declared = {id(prim) for _, _, prim in DECLARATIONS}
    held = {
        f"{module}.{name}": value
        for module in MODULES
        for name, value in vars(importlib.import_module(module)).items()
        if isinstance(value, Primitive)
    }
    assert sorted(where for where, prim in held.items() if id(prim) not in declared) == []


def test_no_two_primitives_print_the_same_name():
    names = sorted(prim.name for prim in {id(prim): prim for _, _, prim in DECLARATIONS}.values())
    assert sorted({name for name in names if names.count(name) > 1}) == []
