"""Saving and loading state dicts: ``wengert.save(obj, path)`` and ``wengert.load(path)``.

What can be saved: nested ``dict`` s (keys ``str`` or ``int``), ``list`` s and
``tuple`` s of NumPy arrays, ``wengert.Tensor`` s, NumPy scalars, Python
``int``, ``float``, ``bool``, ``str`` and ``None``: everything a module's or an
optimiser's ``state_dict()`` holds. Arbitrary objects are refused: nothing is
pickled, so loading a file never runs code from it.

The file format is an uncompressed NumPy ``.npz`` archive (a zip of ``.npy``
files) holding

* ``__wengert__``: UTF-8 JSON, ``{"format": "wengert", "version": 1, "tree": ...}``,
  where ``tree`` spells the object: JSON values for Python scalars, strings and
  ``None``; ``{"dict": [[key, value], ...]}``, ``{"list": [...]}``,
  ``{"tuple": [...]}``; and ``{"array": "a3", "kind": "ndarray" | "tensor" | "scalar"}``
  for an array stored in the archive under that name;
* ``a0``, ``a1``, ...: the arrays, each with its exact dtype and shape.

It opens with ``numpy.load(path, allow_pickle=False)`` from any NumPy.

Writing is atomic: the archive is written to a temporary file in the same
directory, flushed to disk (``fsync``) and moved over ``path`` with
``os.replace``, so a crash or an error mid-write leaves any old file at
``path`` intact, never half of a new one. (An error removes the temporary
file; a process killed mid-write leaves it behind, named
``.{name}.*.tmp``.) ``load`` checks the format and says clearly when a file
is corrupt, truncated or not wengert's.

>>> import os, tempfile, numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "state.npz")
>>> save({"step": 3, "weights": [np.eye(2)]}, path)
>>> load(path)
{'step': 3, 'weights': [array([[1., 0.],
       [0., 1.]])]}
"""

import contextlib
import json
import os
import tempfile
import zipfile

from wengert._src.backend import xp
from wengert._src.core.primitive import Tracer
from wengert._src.tensor.api import Tensor, tensor
from wengert.errors import SerializationError

__all__ = ["load", "save"]

_FORMAT = "wengert"
_VERSION = 1
_HEADER = "__wengert__"


def save(obj, path) -> None:
    """Write ``obj`` (a state dict, or any nesting of the values listed above) to ``path``, atomically."""
    arrays: dict = {}
    tree = _encode(obj, arrays, "obj")
    header = json.dumps({"format": _FORMAT, "version": _VERSION, "tree": tree}).encode("utf-8")
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(descriptor, "wb") as file:
            _write_archive(file, header, arrays)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, os.stat(path).st_mode if os.path.exists(path) else 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def _write_archive(file, header: bytes, arrays: dict) -> None:
    """The ``.npz`` archive: the JSON header as bytes, then every array under its name."""
    xp.savez(file, **{_HEADER: xp.frombuffer(header, dtype=xp.uint8)}, **arrays)


def _fsync_directory(directory: str) -> None:
    """Make the rename itself durable (POSIX); elsewhere a directory cannot be opened for fsync."""
    if os.name != "posix":
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _encode(value, arrays: dict, where: str):
    """The JSON spelling of ``value``; arrays go into ``arrays`` under fresh names."""
    if isinstance(value, xp.generic):
        return _store(xp.asarray(value), "scalar", arrays, where)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if not isinstance(key, (str, int)):
                raise SerializationError(
                    f"save: {where} has a key {key!r} of type {type(key).__name__}; only str and int keys can be saved."
                )
            items.append([key, _encode(item, arrays, f"{where}[{key!r}]")])
        return {"dict": items}
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return {kind: [_encode(item, arrays, f"{where}[{i}]") for i, item in enumerate(value)]}
    if isinstance(value, Tracer):
        if not isinstance(value, Tensor):
            raise SerializationError(
                f"save: {where} is a value traced by a transform; save concrete values, outside the transform."
            )
        return _store(value.concrete(), "tensor", arrays, where)
    if isinstance(value, xp.ndarray):
        return _store(value, "ndarray", arrays, where)
    raise SerializationError(
        f"save: {where} is a {type(value).__name__}, which wengert does not save (it never pickles); "
        "save arrays, Tensors, numbers, strings, None, and dicts, lists and tuples of them "
        "(for a module or an optimiser, save its state_dict())."
    )


def _store(array, kind: str, arrays: dict, where: str) -> dict:
    if array.dtype.hasobject:
        raise SerializationError(
            f"save: {where} is an array of Python objects, which cannot be saved without pickling; "
            "convert it to a numeric dtype."
        )
    name = f"a{len(arrays)}"
    arrays[name] = array
    return {"array": name, "kind": kind}


def load(path):
    """The object saved at ``path`` by :func:`save`; arrays come back as arrays, Tensors as Tensors.

    Raises :class:`~wengert.errors.SerializationError` for a file that is not a
    wengert file, or is corrupt or truncated.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"load: no file at {path!r}")
    if not zipfile.is_zipfile(path):
        raise SerializationError(
            f"load: {path!r} is not a wengert file (it is not a zip archive: corrupt, truncated, "
            "or written by something else); wengert.load reads files written by wengert.save."
        )
    try:
        with xp.load(path, allow_pickle=False) as archive:
            if _HEADER not in archive.files:
                raise SerializationError(
                    f"load: {path!r} is a NumPy .npz archive but not a wengert file (it has no {_HEADER!r} entry); "
                    "open it with numpy.load instead."
                )
            header = json.loads(archive[_HEADER].tobytes().decode("utf-8"))
            if not isinstance(header, dict) or header.get("format") != _FORMAT or "tree" not in header:
                raise SerializationError(f"load: {path!r} has an unreadable wengert header.")
            if header.get("version") != _VERSION:
                raise SerializationError(
                    f"load: {path!r} is wengert format version {header.get('version')!r}; this wengert reads "
                    f"version {_VERSION}. Upgrade wengert to read it."
                )
            return _decode(header["tree"], archive, path)
    except SerializationError:
        raise
    except (zipfile.BadZipFile, ValueError, KeyError, EOFError, UnicodeDecodeError) as error:
        raise SerializationError(
            f"load: {path!r} is corrupt or truncated ({type(error).__name__}: {error})."
        ) from error


def _decode(node, archive, path: str):
    """The value spelt by ``node`` (see the module docstring), with arrays read from ``archive``."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, dict) and len(node) == 1:
        (kind, content), *_ = node.items()
        if kind == "dict":
            return {key: _decode(item, archive, path) for key, item in content}
        if kind == "list":
            return [_decode(item, archive, path) for item in content]
        if kind == "tuple":
            return tuple(_decode(item, archive, path) for item in content)
    if isinstance(node, dict) and set(node) == {"array", "kind"}:
        array = archive[node["array"]]
        if node["kind"] == "ndarray":
            return array
        if node["kind"] == "scalar":
            return array[()]
        if node["kind"] == "tensor":
            return tensor(array)
    raise SerializationError(f"load: {path!r} has an unreadable wengert header (an entry {node!r}).")
