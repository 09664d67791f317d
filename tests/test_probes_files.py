"""Probes of ``wengert.save`` / ``wengert.load`` against hostile, malformed and awkward files and paths.

Each malformed file is built here by hand, as an attacker or a damaged disk
would make it, and ``load`` must refuse it with a ``SerializationError`` that
says what is wrong, quickly, without allocating what the file pretends to
hold, and without running anything from it. ``save`` must be atomic, clean up
after crashed saves, write through symbolic links, and round-trip every value
it accepts.
"""

import ast
import io
import json
import os
import pickle
import signal
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import wengert
from wengert import nn, optim, tensor
from wengert.errors import ArgumentError, SerializationError, WengertError

HEADER = "__wengert__.npy"


def _npy(array) -> bytes:
    """``array`` as the bytes of an ``.npy`` file."""
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=False)
    return buffer.getvalue()


def _npy_raw(header: str, data: bytes = b"", version: int = 1) -> bytes:
    """An ``.npy`` file with any header text at all (NumPy would refuse to write most of these)."""
    text = header.encode("latin1")
    length = struct.pack("<H" if version == 1 else "<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + length + text + data


def _header(tree, **fields) -> bytes:
    """The ``__wengert__`` member for ``tree`` (``fields`` override or add header keys)."""
    header = {"format": "wengert", "version": 1, "tree": tree, **fields}
    return _npy(np.frombuffer(json.dumps(header).encode(), dtype=np.uint8))


def _archive(path, members, compression=zipfile.ZIP_STORED) -> None:
    """A zip file of ``members``, ``(name, bytes)`` pairs written as given (repeated names included)."""
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members:
            archive.writestr(name, data)


def _header_text_only(path, text: bytes, compression=zipfile.ZIP_STORED) -> None:
    """A file of one member: the header, holding ``text`` as it is (it need not be JSON, nor UTF-8)."""
    _archive(path, [(HEADER, _npy(np.frombuffer(text, dtype=np.uint8)))], compression)


def _wengert_file(path, tree, *members, compression=zipfile.ZIP_STORED) -> None:
    _archive(path, [(HEADER, _header(tree)), *members], compression)


def _refused(path, match, **load_options) -> SerializationError:
    with pytest.raises(SerializationError, match=match) as error:
        wengert.load(path, **load_options)
    assert isinstance(error.value, WengertError)
    assert str(path) in str(error.value)  # says which file
    return error.value


ONE_ARRAY = {"array": "a0", "kind": "ndarray"}


def test_a_well_formed_hand_made_file_loads(tmp_path):
    """The helpers build what save builds: the refusals below are each for the one thing changed."""
    path = tmp_path / "ok.npz"
    _wengert_file(path, {"dict": [["w", ONE_ARRAY]]}, ("a0.npy", _npy(np.arange(3.0))))
    np.testing.assert_array_equal(wengert.load(path)["w"], np.arange(3.0))


# --- not an archive, truncated, damaged ---------------------------------------------------------------------


@pytest.mark.parametrize("content", [b"", b"hello", b"PK\x03\x04", b"\x93NUMPY\x01\x00", os.urandom(4096)])
def test_a_file_that_is_not_a_zip_archive_is_refused(tmp_path, content):
    path = tmp_path / "x.npz"
    path.write_bytes(content)
    _refused(path, "not a wengert file")


@pytest.mark.parametrize("fraction", [0.05, 0.3, 0.5, 0.9, 0.99])
def test_a_file_cut_anywhere_is_refused(tmp_path, fraction):
    path = tmp_path / "model.npz"
    wengert.save({"w": np.arange(500.0), "b": np.ones(7)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * fraction)])
    _refused(path, "not a wengert file|corrupt|truncated|malformed")


def test_a_directory_is_not_loaded(tmp_path):
    _refused(tmp_path, "not a regular file")


# --- members ------------------------------------------------------------------------------------------------


def test_an_array_the_header_names_but_the_file_lacks_is_refused(tmp_path):
    path = tmp_path / "x.npz"
    _wengert_file(path, {"list": [ONE_ARRAY, {"array": "a1", "kind": "ndarray"}]}, ("a0.npy", _npy(np.ones(2))))
    _refused(path, r"array 'a1', which the file does not hold \(at obj\[1\]\)")


def test_a_member_nothing_refers_to_is_refused(tmp_path):
    path = tmp_path / "x.npz"
    _wengert_file(path, ONE_ARRAY, ("a0.npy", _npy(np.ones(2))), ("a1.npy", _npy(np.ones(2))))
    _refused(path, r"arrays nothing in its header refers to: \['a1'\]")


def test_an_array_referred_to_twice_is_refused(tmp_path):
    """Two loaded values sharing one array would change together: save never writes that."""
    path = tmp_path / "x.npz"
    _wengert_file(path, {"list": [ONE_ARRAY, ONE_ARRAY]}, ("a0.npy", _npy(np.ones(2))))
    _refused(path, r"'a0', which it refers to twice \(at obj\[1\]\)")


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize("name", ["a0.npy", HEADER])
def test_two_members_of_one_name_are_refused(tmp_path, name):
    path = tmp_path / "x.npz"
    _wengert_file(path, ONE_ARRAY, ("a0.npy", _npy(np.ones(2))), (name, _npy(np.zeros(2))))
    _refused(path, f"two members of the same name .at member '{name}'")


@pytest.mark.parametrize(
    "name", ["../a0.npy", "/tmp/a0.npy", "sub/a0.npy", "..\\a0.npy", "C:/a0.npy", "a0", "a0.npy/", "a00.npy"]
)
def test_a_member_with_a_path_like_or_unknown_name_is_refused(tmp_path, name):
    path = tmp_path / "x.npz"
    _wengert_file(path, ONE_ARRAY, ("a0.npy", _npy(np.ones(2))), (name, _npy(np.ones(2))))
    _refused(path, "a member name wengert does not write")


@pytest.mark.parametrize("name", ["../a0", "/etc/passwd", "a0.npy", "__wengert__", 0, None])
def test_an_array_name_in_the_header_that_save_never_writes_is_refused(tmp_path, name):
    path = tmp_path / "x.npz"
    _wengert_file(path, {"array": name, "kind": "ndarray"}, ("a0.npy", _npy(np.ones(2))))
    _refused(path, "an array name .* that wengert does not write")


def test_a_plain_npz_is_named_as_not_wengerts(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, w=np.ones(2), **{"../x": np.ones(1)})
    _refused(path, "not a wengert file.*numpy.load")


# --- the header ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, match",
    [
        *[
            (text, "the header is a JSON .*, not an object")
            for text in [b"[1, 2]", b'"wengert"', b"3", b"null", b"true"]
        ],
        *[(text, "not valid JSON") for text in [b"{", b"{'format': 'wengert'}", b"", b"\x00" * 8, b"[" * 3]],
        (b'{"format": "wengert", "version": 1, "tree": "\xff\xfe"}', "the header is not UTF-8 text"),
        (b'{"format": "wengert", "version": 1}', "keys .* not 'format', 'version' and 'tree'"),
        (b'{"format": "wengert", "version": 1, "tree": null, "tree": 5}', "names a key twice"),
    ],
)
def test_a_header_text_that_is_not_a_wengert_header_is_refused(tmp_path, text, match):
    path = tmp_path / "x.npz"
    _header_text_only(path, text)
    _refused(path, match)


@pytest.mark.parametrize("array", [np.zeros(3), np.zeros((2, 2), np.uint8), np.array(7, np.uint8)])
def test_a_header_member_that_is_not_bytes_is_refused(tmp_path, array):
    path = tmp_path / "x.npz"
    _archive(path, [(HEADER, _npy(array))])
    _refused(path, "not 1-d uint8 bytes")


@pytest.mark.parametrize(
    "fields, match",
    [
        ({"version": "1"}, "version is '1', not 1"),
        ({"version": True}, "version is True, not 1"),
        ({"version": 1.0}, "version is 1.0, not 1"),
        ({"version": None}, "version is None, not 1"),
        ({"extra": 1}, "keys .* not 'format', 'version' and 'tree'"),
    ],
)
def test_header_fields_of_the_wrong_type_are_refused(tmp_path, fields, match):
    path = tmp_path / "x.npz"
    _archive(path, [(HEADER, _header(None, **fields))])
    _refused(path, match)


@pytest.mark.parametrize("fmt", [3, None, "numpy", ["wengert"]])
def test_a_header_of_another_format_is_not_a_wengert_file(tmp_path, fmt):
    path = tmp_path / "x.npz"
    _archive(path, [(HEADER, _header(None, format=fmt))])
    _refused(path, "not a wengert file")


@pytest.mark.parametrize(
    "tree, match",
    [
        ({"dict": 5}, "a dict whose content 5 is not a list"),
        ({"list": {"a": 1}}, r"a list whose content \{'a': 1\} is not a list"),
        ({"tuple": None}, "a tuple whose content None is not a list"),
        ({"dict": [[1]]}, r"a dict item \[1\] that is not a \[key, value\] pair"),
        ({"dict": [5]}, "a dict item 5 that is not"),
        ({"dict": [[[1], 2]]}, r"a dict key \[1\], neither a str nor an int"),
        ({"dict": [[1.5, 2]]}, "a dict key 1.5"),
        ({"dict": [[None, 2]]}, "a dict key None"),
        ({"dict": [["a", 1], ["a", 2]]}, "the dict key 'a' twice"),
        ({"dict": [["w", {"set": [1]}]]}, r"an entry that spells no value: \{'set': \[1\]\} \(at obj\['w'\]\)"),
        ({"list": [1, {}]}, r"spells no value: \{\} \(at obj\[1\]\)"),
        ({"dict": [], "list": []}, "spells no value"),
        ([1, 2], "spells no value"),
        ({"array": "a0"}, "an array entry of unknown kind or keys"),
        ({"array": "a0", "kind": "pickle"}, "unknown kind"),
        ({"array": "a0", "kind": "ndarray", "dtype": "f8"}, "unknown kind or keys"),
        ({"array": "a0", "kind": "ndarray", "requires_grad": True}, "unknown kind or keys"),
        ({"array": "a0", "kind": "tensor", "requires_grad": "yes"}, "requires_grad of 'yes', not true or false"),
        ({"array": "a0", "kind": "scalar"}, r"a scalar whose array 'a0' has shape \(2,\), not \(\)"),
    ],
)
def test_a_tree_of_the_wrong_types_is_refused_with_where(tmp_path, tree, match):
    path = tmp_path / "x.npz"
    _wengert_file(path, tree, ("a0.npy", _npy(np.ones(2))))
    _refused(path, match)


def test_an_integer_tensor_that_requires_gradients_is_refused(tmp_path):
    path = tmp_path / "x.npz"
    _wengert_file(path, {"array": "a0", "kind": "tensor", "requires_grad": True}, ("a0.npy", _npy(np.arange(2))))
    _refused(path, "a tensor of dtype int64 marked requires_grad, which that dtype does not allow")


def test_deeply_nested_header_json_is_refused(tmp_path):
    """Far deeper than Python's recursion limit: refused, no RecursionError."""
    path = tmp_path / "x.npz"
    text = b'{"format": "wengert", "version": 1, "tree": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    _header_text_only(path, text, zipfile.ZIP_DEFLATED)
    _refused(path, "nests deeper|spells no value")


def test_a_tree_nested_deeper_than_save_writes_is_refused(tmp_path):
    tree = None
    for _ in range(150):
        tree = {"list": [tree]}
    path = tmp_path / "x.npz"
    _archive(path, [(HEADER, _header(tree))])
    _refused(path, "containers nested more than 100 deep")


def test_as_deep_a_tree_as_save_writes_loads(tmp_path):
    value = 1
    for depth in range(100):
        value = {"k": value} if depth % 2 else [value]
    path = tmp_path / "deep.npz"
    wengert.save(value, path)
    assert wengert.load(path) == value


def test_a_number_of_more_digits_than_python_reads_is_refused(tmp_path):
    path = tmp_path / "x.npz"
    text = b'{"format": "wengert", "version": 1, "tree": ' + b"9" * 100_000 + b"}"
    _header_text_only(path, text)
    _refused(path, "not valid JSON")


# --- arrays -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, data, match",
    [
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", b"\0" * 16, "declares float64 of shape"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", b"\0" * 32, r"\(24 bytes\) but it holds 32"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (), }", b"", r"shape \(\) \(8 bytes\) but it holds 0"),
        ("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", b"\0" * 8, "int32 of shape"),
    ],
)
def test_array_bytes_that_disagree_with_the_declared_dtype_and_shape_are_refused(tmp_path, header, data, match):
    path = tmp_path / "x.npz"
    _wengert_file(path, ONE_ARRAY, ("a0.npy", _npy_raw(header, data)))
    _refused(path, match)


@pytest.mark.parametrize(
    "shape",
    [
        "(10**12, 10**12)",
        "(2**63,)",
        "(2**64 + 1,)",
        "(-1,)",
        "(3, -2)",
        "(1.5,)",
        "(True,)",
        "[3]",
        "'3'",
        "(1,) * 65",
    ],
)
def test_absurd_shapes_are_refused_at_once(tmp_path, shape):
    path = tmp_path / "x.npz"
    literal = repr(ast.literal_eval(shape)) if "*" not in shape else repr((1,) * 65)
    _wengert_file(
        path, ONE_ARRAY, ("a0.npy", _npy_raw(f"{{'descr': '<f8', 'fortran_order': False, 'shape': {literal}}}"))
    )
    start = time.perf_counter()
    _refused(path, "shape")
    assert time.perf_counter() - start < 1.0


@pytest.mark.parametrize(
    "header, match",
    [
        ("{'descr': 'not a dtype', 'fortran_order': False, 'shape': (1,)}", "an .npy dtype 'not a dtype'"),
        ("{'descr': 5, 'fortran_order': False, 'shape': (1,)}", "an .npy dtype 5"),
        ("{'descr': '<f8', 'fortran_order': 'yes', 'shape': (1,)}", "fortran_order 'yes', not a bool"),
        ("{'descr': '<f8', 'shape': (1,)}", "without exactly"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}", "without exactly"),
        ("[1, 2, 3]", "without exactly"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': " + "(" * 300 + ")" * 300 + "}", "not a Python literal"),
        ("{'descr': '<f8', 'fortran_order': False, 'shape': (1,)", "not a Python literal"),
    ],
    ids=["bad descr", "int descr", "str fortran_order", "no fortran_order", "extra key", "a list", "deep", "cut"],
)
def test_a_malformed_npy_header_is_refused(tmp_path, header, match):
    path = tmp_path / "x.npz"
    _wengert_file(path, ONE_ARRAY, ("a0.npy", _npy_raw(header, b"\0" * 8)))
    _refused(path, match)


@pytest.mark.parametrize(
    "member, match",
    [
        (b"not an npy file at all", "not an .npy array"),
        (b"\x93NUMPY\x09\x00\x10\x00", r"an .npy format version \(9, 0\)"),
        (b"\x93NUMPY\x01\x00\x10\x00{", "the member ends early"),
        (_npy_raw("x" * 60_000, version=2), "an .npy header of 60000"),
    ],
    ids=["not npy", "version 9", "cut in the header", "a huge header"],
)
def test_a_member_that_is_not_an_npy_array_is_refused(tmp_path, member, match):
    path = tmp_path / "x.npz"
    _wengert_file(path, ONE_ARRAY, ("a0.npy", member))
    _refused(path, match)


MARKER_CODE = "open({marker!r}, 'w').write('code from the file ran')"


class _RunsCodeWhenUnpickled:
    """What a hostile file would pickle: unpickling it runs ``exec``."""

    def __init__(self, code):
        self.code = code

    def __reduce__(self):
        return (exec, (self.code,))


@pytest.mark.parametrize("descr", ["|O", [("w", "<f8"), ("o", "|O")]])
def test_an_array_of_python_objects_is_refused_and_never_unpickled(tmp_path, descr):
    marker = tmp_path / "ran"
    payload = pickle.dumps(np.array([_RunsCodeWhenUnpickled(MARKER_CODE.format(marker=str(marker)))], dtype=object))
    path = tmp_path / "x.npz"
    header = f"{{'descr': {descr!r}, 'fortran_order': False, 'shape': (1,)}}"
    _wengert_file(path, ONE_ARRAY, ("a0.npy", _npy_raw(header, payload)))
    _refused(path, "an array of Python objects .* wengert never unpickles")
    assert not marker.exists()


def test_an_npy_header_is_read_as_a_literal_never_run(tmp_path):
    marker = tmp_path / "ran"
    code = MARKER_CODE.format(marker=str(marker))
    header = f"{{'descr': exec({code!r}), 'fortran_order': False, 'shape': (1,)}}"
    path = tmp_path / "x.npz"
    _wengert_file(path, ONE_ARRAY, ("a0.npy", _npy_raw(header, b"\0" * 8)))
    _refused(path, "not a Python literal")
    assert not marker.exists()


# --- size: zip bombs and the limit --------------------------------------------------------------------------

BOMB_BYTES = 64 * 2**20


def _write_bomb(path, tree, name, head: bytes, zeros: int = BOMB_BYTES) -> None:
    """A deflated member ``head`` + ``zeros`` zero bytes, written in chunks (the file stays small)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        if name != HEADER:
            archive.writestr(HEADER, _header(tree))
        with archive.open(name, "w") as member:
            member.write(head)
            chunk = bytes(2**20)
            for _ in range(zeros // len(chunk)):
                member.write(chunk)
    assert os.path.getsize(path) < BOMB_BYTES // 100


def _refused_quickly_and_cheaply(path, match, **load_options) -> SerializationError:
    tracemalloc.start()
    start = time.perf_counter()
    try:
        error = _refused(path, match, **load_options)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 2.0, elapsed
    assert peak < 8 * 2**20, peak
    return error


def test_a_member_that_decompresses_to_far_more_than_its_array_is_refused_without_inflating_it(tmp_path):
    path = tmp_path / "bomb.npz"
    _write_bomb(path, ONE_ARRAY, "a0.npy", _npy(np.zeros(10)))
    _refused_quickly_and_cheaply(path, r"declares float64 of shape \(10,\) \(80 bytes\) but it holds 671")


def test_a_member_whose_archive_entry_understates_its_size_is_refused_without_inflating_it(tmp_path):
    """The zip's own sizes are lies too: the reader stops at the declared size and the checksum fails."""
    path = tmp_path / "bomb.npz"
    head = _npy(np.zeros(10))
    _write_bomb(path, ONE_ARRAY, "a0.npy", head)
    _declare_uncompressed_size(path, "a0.npy", len(head))
    _refused_quickly_and_cheaply(path, "corrupt|Bad CRC")


def test_a_huge_declared_array_is_refused_before_anything_is_read_and_the_error_says_how_to_raise_the_limit(tmp_path):
    path = tmp_path / "big.npz"
    count = BOMB_BYTES // 8
    _write_bomb(path, ONE_ARRAY, "a0.npy", _npy_raw(f"{{'descr': '<f8', 'fortran_order': False, 'shape': ({count},)}}"))
    error = _refused_quickly_and_cheaply(path, r"more than max_bytes=1048576", max_bytes=2**20)
    needed = int(str(error).split("max_bytes=")[2].split(")")[0])
    assert needed > BOMB_BYTES
    assert np.count_nonzero(wengert.load(path, max_bytes=needed)) == 0
    assert wengert.load(path, max_bytes=None).shape == (count,)


def test_the_default_limit_refuses_a_file_that_would_need_more_than_4_gib(tmp_path):
    path = tmp_path / "x.npz"
    _wengert_file(
        path, {"list": [ONE_ARRAY, {"array": "a1", "kind": "ndarray"}]}, *[(f"a{i}.npy", b"") for i in (0, 1)]
    )
    for name in ("a0.npy", "a1.npy"):
        _declare_uncompressed_size(path, name, 3 * 2**30)
    _refused_quickly_and_cheaply(path, r"needs 6442\d+ bytes.*more than max_bytes=4294967296.*max_bytes=None")


def _declare_uncompressed_size(path, name: str, size: int) -> None:
    """Rewrite the uncompressed size of ``name`` in the zip's central directory (the size zipfile trusts)."""
    data = bytearray(path.read_bytes())
    start = data.find(b"PK\x01\x02")
    while start != -1:
        name_length = struct.unpack_from("<H", data, start + 28)[0]
        if bytes(data[start + 46 : start + 46 + name_length]) == name.encode():
            struct.pack_into("<I", data, start + 24, size)
        start = data.find(b"PK\x01\x02", start + 4)
    path.write_bytes(bytes(data))


def test_a_header_that_decompresses_hugely_is_refused_without_parsing_it(tmp_path):
    """JSON grows many times over as Python objects: the header counts more than its bytes against the limit."""
    path = tmp_path / "bomb.npz"
    _write_bomb(path, None, HEADER, _npy_raw(f"{{'descr': '|u1', 'fortran_order': False, 'shape': ({BOMB_BYTES},)}}"))
    _refused_quickly_and_cheaply(path, "the JSON header counted 32 times", max_bytes=BOMB_BYTES * 4)


@pytest.mark.parametrize("max_bytes", [-1, 1.5, "1GB", True])
def test_a_limit_that_is_not_a_size_is_an_argument_error(tmp_path, max_bytes):
    path = tmp_path / "x.npz"
    wengert.save(1, path)
    with pytest.raises(ArgumentError, match="max_bytes must be a non-negative int or None"):
        wengert.load(path, max_bytes=max_bytes)


def test_a_limit_just_large_enough_loads(tmp_path):
    path = tmp_path / "x.npz"
    wengert.save({"w": np.ones(1000)}, path)
    with zipfile.ZipFile(path) as archive:
        needed = sum(i.file_size * (32 if i.filename == HEADER else 1) for i in archive.infolist())
    np.testing.assert_array_equal(wengert.load(path, max_bytes=needed)["w"], np.ones(1000))
    _refused(path, f"more than max_bytes={needed - 1}", max_bytes=needed - 1)


# --- save: atomic writes, stale temporaries, symbolic links, paths -----------------------------------------

CRASH_MID_WRITE = """
import os, signal, sys
import numpy as np
import wengert.serialization

def write_half_then_die(file, header, arrays):
    file.write(b"PK\\x03\\x04 half an archive")
    file.flush()
    os.kill(os.getpid(), signal.SIGKILL)

wengert.serialization._write_archive = write_half_then_die
wengert.save({"w": np.zeros(3)}, sys.argv[1])
"""


def _crash_mid_save(path) -> None:
    result = subprocess.run([sys.executable, "-c", CRASH_MID_WRITE, str(path)], capture_output=True, timeout=120)
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()


def test_the_next_save_removes_what_a_crashed_save_left_behind(tmp_path):
    path = tmp_path / "model.npz"
    wengert.save({"w": np.ones(3)}, path)
    _crash_mid_save(path)
    (first,) = set(os.listdir(tmp_path)) - {"model.npz"}  # the half-written temporary
    _crash_mid_save(path)  # a save that crashes, too, first removes what the one before it left
    (second,) = set(os.listdir(tmp_path)) - {"model.npz"}
    assert second != first and second.startswith(".model.npz.")
    wengert.save({"w": np.full(3, 2.0)}, path)
    assert os.listdir(tmp_path) == ["model.npz"]
    np.testing.assert_array_equal(wengert.load(path)["w"], np.full(3, 2.0))


def test_stale_temporaries_of_other_files_are_left_alone(tmp_path):
    others = [".other.npz.abc123.tmp", ".model.npz.backup.x1y2z3.tmp", "model.npz.abc.tmp", ".model.npz.x.txt"]
    for name in [*others, ".model.npz.q8w7e6r5.tmp"]:
        (tmp_path / name).write_bytes(b"half")
    wengert.save({"w": np.ones(1)}, tmp_path / "model.npz")
    assert sorted(os.listdir(tmp_path)) == sorted([*others, "model.npz"])


def test_a_temporary_that_another_save_is_still_writing_is_left_alone(tmp_path):
    """A save in progress holds a lock on its temporary (released if its process dies): that one is not stale."""
    fcntl = pytest.importorskip("fcntl")
    busy = tmp_path / ".model.npz.busy1234.tmp"
    busy.write_bytes(b"being written")
    with open(busy, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        wengert.save(1, tmp_path / "model.npz")
        assert busy.exists()
    wengert.save(2, tmp_path / "model.npz")
    assert not busy.exists()


def test_saving_writes_a_temporary_in_the_same_directory_fsyncs_it_and_replaces(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(("fsync", fd)), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append(("replace", a, b)), real_replace(a, b))[1])
    wengert.save({"w": np.ones(2)}, path)
    kinds = [call[0] for call in calls]
    assert kinds.index("fsync") < kinds.index("replace")
    (_, source, destination) = calls[kinds.index("replace")]
    assert os.path.dirname(source) == str(tmp_path) and destination == str(path)
    assert os.path.basename(source).startswith(".model.npz.") and source.endswith(".tmp")


def test_saving_through_a_symbolic_link_writes_its_target_and_keeps_the_link(tmp_path):
    real_dir, link_dir = tmp_path / "real", tmp_path / "links"
    real_dir.mkdir(), link_dir.mkdir()
    target, link = real_dir / "model.npz", link_dir / "latest.npz"
    wengert.save({"w": np.ones(2)}, target)
    os.symlink(os.path.relpath(target, link_dir), link)
    wengert.save({"w": np.zeros(2)}, link)
    assert os.path.islink(link)
    np.testing.assert_array_equal(wengert.load(target)["w"], np.zeros(2))
    assert os.listdir(link_dir) == ["latest.npz"] and os.listdir(real_dir) == ["model.npz"]


def test_saving_through_a_chain_of_links_and_a_dangling_link(tmp_path):
    target = tmp_path / "model.npz"
    os.symlink(target, tmp_path / "one")
    os.symlink(tmp_path / "one", tmp_path / "two")
    wengert.save(5, tmp_path / "two")  # the target does not exist yet: created, as open(link, "w") would
    assert wengert.load(target) == 5
    assert os.path.islink(tmp_path / "one") and os.path.islink(tmp_path / "two")


def test_saving_into_a_loop_of_links_is_an_error(tmp_path):
    os.symlink(tmp_path / "b", tmp_path / "a")
    os.symlink(tmp_path / "a", tmp_path / "b")
    with pytest.raises(OSError, match="loop of symbolic links"):
        wengert.save(1, tmp_path / "a")
    assert sorted(os.listdir(tmp_path)) == ["a", "b"]


def test_saving_into_a_directory_that_does_not_exist_says_so(tmp_path):
    missing = tmp_path / "runs" / "today"
    with pytest.raises(FileNotFoundError, match=f"the directory '{missing}' does not exist; create it first"):
        wengert.save(1, missing / "model.npz")
    assert os.listdir(tmp_path) == []


def test_saving_onto_a_directory_or_under_a_file_says_so(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory; give the path of a file"):
        wengert.save(1, tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file, not a directory"):
        wengert.save(1, tmp_path / "file" / "model.npz")


def _cycle():
    items = [1]
    items.append(items)
    return items


def _too_deep():
    value = 0
    for _ in range(101):
        value = [value]
    return value


@pytest.mark.parametrize(
    "value, match",
    [
        ({"f": print}, r"obj\['f'\] is a builtin_function_or_method"),
        ({"m": nn.Linear(1, 1)}, r"obj\['m'\] is a Linear.*state_dict"),
        ({"o": np.array([None], dtype=object)}, "array of Python objects"),
        ({"s": np.array([(1, None)], dtype=[("a", "i4"), ("b", "O")])}, "array of Python objects"),
        (_cycle(), r"obj\[1\] contains itself"),
        (_too_deep(), "nested more than 100 containers deep"),
        ({"n": 10**5000}, "cannot be written as JSON"),
        ({1.5: 0}, "key 1.5 of type float"),
        ([1j], r"obj\[0\] is a complex"),
    ],
)
def test_a_value_that_cannot_be_saved_leaves_the_old_file_untouched(tmp_path, value, match):
    path = tmp_path / "model.npz"
    wengert.save({"w": np.ones(2)}, path)
    before = path.read_bytes()
    with pytest.raises(SerializationError, match=match):
        wengert.save(value, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["model.npz"]


# --- round trips --------------------------------------------------------------------------------------------

DTYPES = [
    np.float16, np.float32, np.float64, np.longdouble, np.complex64, np.complex128, np.clongdouble, np.bool_,
    np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    ">f8", "<i2", "U3", "S4", "M8[s]", "m8[ms]", [("a", "<i4"), ("b", "<f8", (2,))], [("ä€", "<f4")],
]  # fmt: skip


def _example(dtype, shape):
    values = np.arange(int(np.prod(shape)) or 0) % 3 + 1
    return values.astype(dtype).reshape(shape) if np.dtype(dtype).fields is None else np.zeros(shape, dtype)


@pytest.mark.filterwarnings("ignore:Stored array in format 3.0")
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("shape", [(), (0,), (3, 0, 2), (2, 3)])
def test_arrays_and_scalars_of_every_dtype_and_shape_round_trip_exactly(tmp_path, dtype, shape):
    array = _example(dtype, shape)
    value = {"array": array, "scalar": array.reshape(-1)[0] if array.size else None, "tensor": tensor(array)}
    path = tmp_path / "x.npz"
    wengert.save(value, path)
    loaded = wengert.load(path)
    for got, want in [(loaded["array"], array), (loaded["tensor"].numpy(), array)]:
        assert got.dtype == want.dtype and got.shape == want.shape and got.tobytes() == want.tobytes()
    assert type(loaded["scalar"]) is type(value["scalar"])
    if array.size:
        assert loaded["scalar"].dtype == value["scalar"].dtype and loaded["scalar"] == value["scalar"]


def test_loaded_arrays_are_writable_and_layout_survives(tmp_path):
    fortran, strided = np.asfortranarray(np.arange(6.0).reshape(2, 3)), np.arange(10)[::3]
    path = tmp_path / "x.npz"
    wengert.save([fortran, strided], path)
    loaded_fortran, loaded_strided = wengert.load(path)
    np.testing.assert_array_equal(loaded_fortran, fortran)
    np.testing.assert_array_equal(loaded_strided, strided)
    assert loaded_fortran.flags.f_contiguous and loaded_fortran.flags.writeable
    loaded_strided[0] = 7
    assert loaded_strided[0] == 7


def test_python_values_round_trip_with_their_types(tmp_path):
    value = {
        "int": 2**100, "neg_zero": -0.0, "inf": float("-inf"), "text": "héllo ☃ \ud800", "empty": [[], (), {}],
        0: (None, True, False), -1: [1.5, "x"], "nested": {"a": ({"b": [1]},)},
    }  # fmt: skip
    path = tmp_path / "x.npz"
    wengert.save(value, path)
    loaded = wengert.load(path)
    assert loaded == value and list(loaded) == list(value)
    assert type(loaded["empty"][1]) is tuple and type(loaded[0]) is tuple and str(loaded["neg_zero"]) == "-0.0"


def test_tensors_keep_requires_grad_as_in_pytorch(tmp_path):
    leaf = tensor([1.0, 2.0], requires_grad=True)
    value = {"leaf": leaf, "computed": leaf * 2, "plain": tensor([3.0]), "param": nn.Parameter(tensor([4.0]))}
    path = tmp_path / "x.npz"
    wengert.save(value, path)
    loaded = wengert.load(path)
    assert [loaded[k].requires_grad for k in value] == [True, True, False, True]
    (loaded["leaf"] * loaded["leaf"]).sum().backward()
    np.testing.assert_array_equal(loaded["leaf"].grad.numpy(), [2.0, 4.0])


def test_an_optimizer_state_round_trips_and_training_resumes_exactly(tmp_path):
    def model_and_optimizer():
        model = nn.Sequential(nn.Linear(3, 4, generator=0), nn.Tanh(), nn.Linear(4, 1, generator=1))
        return model, optim.Adam(model.parameters(), lr=0.01)

    x = tensor(np.random.default_rng(0).normal(size=(8, 3)))

    def step(model, optimizer):
        optimizer.zero_grad()
        (model(x) ** 2).mean().backward()
        optimizer.step()

    model, optimizer = model_and_optimizer()
    for _ in range(3):
        step(model, optimizer)
    wengert.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, tmp_path / "ckpt.npz")
    step(model, optimizer)

    resumed, resumed_optimizer = model_and_optimizer()
    checkpoint = wengert.load(tmp_path / "ckpt.npz")
    resumed.load_state_dict(checkpoint["model"])
    resumed_optimizer.load_state_dict(checkpoint["optimizer"])
    step(resumed, resumed_optimizer)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[key].numpy(), value.numpy())
