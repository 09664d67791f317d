"""Saving and loading state dicts: ``wengert.save(obj, path)`` and ``wengert.load(path)``.

What can be saved: nested ``dict`` s (keys ``str`` or ``int``), ``list`` s and
``tuple`` s of NumPy arrays, ``wengert.Tensor`` s, NumPy scalars, Python
``int``, ``float``, ``bool``, ``str`` and ``None``: everything a module's or an
optimiser's ``state_dict()`` holds, nested up to 100 deep. Arbitrary objects
are refused: nothing is pickled, so loading a file never runs code from it.
A Tensor comes back as a Tensor, requiring gradients if it did (a
``Parameter`` comes back as a Tensor that requires gradients).

The file format is an uncompressed NumPy ``.npz`` archive (a zip of ``.npy``
files) holding

* ``__wengert__``: UTF-8 JSON, ``{"format": "wengert", "version": 1, "tree": ...}``,
  where ``tree`` spells the object: JSON values for Python scalars, strings and
  ``None``; ``{"dict": [[key, value], ...]}``, ``{"list": [...]}``,
  ``{"tuple": [...]}``; and ``{"array": "a3", "kind": "ndarray" | "tensor" | "scalar"}``
  for an array stored in the archive under that name (a tensor that requires
  gradients adds ``"requires_grad": true``);
* ``a0``, ``a1``, ...: the arrays, each with its exact dtype and shape.

It opens with ``numpy.load(path, allow_pickle=False)`` from any NumPy.

Writing is atomic: the archive is written to a temporary file in the same
directory as the file it replaces, flushed to disk (``fsync``) and moved over
it with ``os.replace``, so a crash or an error mid-write leaves any old file
intact, never half of a new one. Saving through a symbolic link writes the
file the link points to; the link stays a link. An error removes the
temporary file; a process killed mid-write leaves it behind, named
``.{name}.*.tmp``, and the next save to the same file removes it (on POSIX,
unless another process is still writing it).

``load`` trusts nothing in the file: anything that ``save`` would not have
written (a truncated or corrupt archive, a missing, extra, duplicated or
oddly named member, a header of the wrong types or nested too deep, an array
whose bytes disagree with its declared dtype and shape, an array of Python
objects) raises :class:`~wengert.errors.SerializationError` saying what is
wrong and where. The file's contents, uncompressed, may not pass
``max_bytes`` (4 GiB unless raised), so a small hostile file cannot make
``load`` allocate gigabytes.

>>> import os, tempfile, numpy as np
>>> path = os.path.join(tempfile.mkdtemp(), "state.npz")
>>> save({"step": 3, "weights": [np.eye(2)]}, path)
>>> load(path)
{'step': 3, 'weights': [array([[1., 0.],
       [0., 1.]])]}
"""

import ast
import contextlib
import errno
import json
import math
import os
import re
import reprlib
import struct
import tempfile
import zipfile

from wengert._src.backend import xp
from wengert._src.core.primitive import Tracer
from wengert._tensor.api import Tensor, tensor
from wengert.errors import ArgumentError, DtypeError, SerializationError

try:
    import fcntl
except ImportError:  # not POSIX: an open file cannot be deleted there, which protects a save in progress
    fcntl = None

__all__ = ["load", "save"]

_FORMAT = "wengert"
_VERSION = 1
_HEADER = "__wengert__"
_MAX_DEPTH = 100
_DEFAULT_MAX_BYTES = 4 * 2**30
_MEMBER_NAME = re.compile(r"__wengert__\.npy|a(?:0|[1-9][0-9]*)\.npy")
_ARRAY_NAME = re.compile(r"a(?:0|[1-9][0-9]*)")
_COMPRESSIONS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
_NPY_HEADER_LENGTH = {(1, 0): ("<H", "latin1"), (2, 0): ("<I", "latin1"), (3, 0): ("<I", "utf8")}
_MAX_NPY_HEADER = 10_000  # characters, NumPy's own limit for reading without trusting the file
_NPY_KEYS = {"descr", "fortran_order", "shape"}
_MAX_NDIM = 64  # NumPy 2's limit
_HEADER_WEIGHT = 32  # bytes of Python objects that one byte of JSON header can become, at most about
_CHUNK = 1 << 24


def save(obj, path) -> None:
    """Write ``obj`` (a state dict, or any nesting of the values listed above) to ``path``, atomically.

    Raises :class:`~wengert.errors.SerializationError` (before touching any
    file) for a value that cannot be saved, ``FileNotFoundError`` when the
    directory of ``path`` does not exist.
    """
    arrays: dict = {}
    tree = _encode(obj, arrays, "obj", set())
    try:
        text = json.dumps({"format": _FORMAT, "version": _VERSION, "tree": tree})
    except ValueError as error:  # an int of more digits than Python converts to text
        raise SerializationError(f"save: a value cannot be written as JSON ({error}).") from error
    target = _file_to_write(os.fspath(path))
    directory, name = os.path.split(target)
    _remove_stale_temporaries(directory, name)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    try:
        with _held_while_writing(descriptor):
            with os.fdopen(descriptor, "wb") as file:
                _write_archive(file, text.encode("utf-8"), arrays)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, os.stat(target).st_mode if os.path.exists(target) else 0o644)
            os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def _file_to_write(path: str) -> str:
    """The real file that saving to ``path`` replaces: a symbolic link's target, the link left as it is."""
    target = os.path.realpath(path)
    if os.path.islink(target):
        raise OSError(errno.ELOOP, f"save: {path!r} is a loop of symbolic links; save to a real file", path)
    directory = os.path.dirname(target)
    if not os.path.exists(directory):
        raise FileNotFoundError(
            errno.ENOENT, f"save: the directory {directory!r} does not exist; create it first (os.makedirs)", path
        )
    if not os.path.isdir(directory):
        raise NotADirectoryError(errno.ENOTDIR, f"save: {directory!r} is a file, not a directory", path)
    if os.path.isdir(target):
        raise IsADirectoryError(
            errno.EISDIR, f"save: {path!r} is a directory; give the path of a file in it, such as 'model.npz'", path
        )
    return target


def _remove_stale_temporaries(directory: str, name: str) -> None:
    """Delete what earlier saves to ``name`` that were killed mid-write left behind (``.{name}.*.tmp``)."""
    pattern = re.compile(rf"\.{re.escape(name)}\.[^.]+\.tmp")
    try:
        entries = list(os.scandir(directory))
    except OSError:  # a directory one may write to but not list: nothing to clean up that one can see
        return
    for entry in entries:
        if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):  # gone already, or a save still writing it
                _remove_unless_being_written(entry.path)


def _remove_unless_being_written(path: str) -> None:
    """Unlink ``path`` unless a save in progress holds its lock (see :func:`_held_while_writing`)."""
    if fcntl is None:
        os.unlink(path)
        return
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.unlink(path)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def _held_while_writing(descriptor: int):
    """Hold an exclusive lock on the temporary file until it is moved into place, so no other save deletes it.

    The lock belongs to the open file, which a duplicate descriptor keeps open
    after the writing closes its own; a killed process's locks are released.
    """
    holder = None
    if fcntl is not None:
        with contextlib.suppress(OSError):  # a file system without locks: no other save can lock it to delete it
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            holder = os.dup(descriptor)
    try:
        yield
    finally:
        if holder is not None:
            os.close(holder)


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


def _encode(value, arrays: dict, where: str, enclosing: set):
    """The JSON spelling of ``value``; arrays go into ``arrays`` under fresh names.

    ``enclosing`` holds the ids of the containers ``value`` sits in, to refuse a
    container that holds itself (it has no finite spelling).
    """
    if isinstance(value, xp.generic):
        return _store(xp.asarray(value), {"kind": "scalar"}, arrays, where)
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (dict, list, tuple)):
        if id(value) in enclosing:
            raise SerializationError(f"save: {where} contains itself; only trees of values can be saved.")
        if len(enclosing) >= _MAX_DEPTH:
            raise SerializationError(
                f"save: {where} is nested more than {_MAX_DEPTH} containers deep, more than wengert saves; "
                "flatten the structure (a dict of arrays with joined keys, as state_dict() does)."
            )
        enclosing.add(id(value))
        try:
            return _encode_container(value, arrays, where, enclosing)
        finally:
            enclosing.discard(id(value))
    if isinstance(value, Tracer):
        if not isinstance(value, Tensor):
            raise SerializationError(
                f"save: {where} is a value traced by a transform; save concrete values, outside the transform."
            )
        node = {"kind": "tensor", "requires_grad": True} if value.requires_grad else {"kind": "tensor"}
        return _store(value.concrete(), node, arrays, where)
    if isinstance(value, xp.ndarray):
        return _store(value, {"kind": "ndarray"}, arrays, where)
    raise SerializationError(
        f"save: {where} is a {type(value).__name__}, which wengert does not save (it never pickles); "
        "save arrays, Tensors, numbers, strings, None, and dicts, lists and tuples of them "
        "(for a module or an optimiser, save its state_dict())."
    )


def _encode_container(value, arrays: dict, where: str, enclosing: set) -> dict:
    if isinstance(value, dict):
        items = []
        for key, item in value.items():
            if not isinstance(key, (str, int)):
                raise SerializationError(
                    f"save: {where} has a key {key!r} of type {type(key).__name__}; only str and int keys can be saved."
                )
            items.append([key, _encode(item, arrays, f"{where}[{key!r}]", enclosing)])
        return {"dict": items}
    kind = "list" if isinstance(value, list) else "tuple"
    return {kind: [_encode(item, arrays, f"{where}[{i}]", enclosing) for i, item in enumerate(value)]}


def _store(array, node: dict, arrays: dict, where: str) -> dict:
    if array.dtype.hasobject:
        raise SerializationError(
            f"save: {where} is an array of Python objects, which cannot be saved without pickling; "
            "convert it to a numeric dtype."
        )
    name = f"a{len(arrays)}"
    arrays[name] = array
    return {"array": name, **node}


def load(path, *, max_bytes: int | None = _DEFAULT_MAX_BYTES):
    """The object saved at ``path`` by :func:`save`; arrays come back as arrays, Tensors as Tensors.

    ``max_bytes`` bounds the file's contents, uncompressed (4 GiB by default;
    the JSON header counts 32 times, for the Python objects it becomes): a
    larger file is refused before anything is read, so that a small hostile
    file cannot make ``load`` allocate gigabytes. Raise it to load a larger
    file you trust; ``None`` removes the bound.

    Raises :class:`~wengert.errors.SerializationError` for a file that is not a
    wengert file, is corrupt or truncated, is malformed in any way, or passes
    ``max_bytes``. Nothing in the file is ever unpickled or executed.
    """
    if max_bytes is not None and (isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 0):
        raise ArgumentError(f"load: max_bytes must be a non-negative int or None, not {max_bytes!r}.")
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, f"load: no file at {path!r}", path)
    if not os.path.isfile(path):
        raise SerializationError(f"load: {path!r} is not a regular file (a directory or a device); give a file.")
    if not zipfile.is_zipfile(path):
        raise SerializationError(
            f"load: {path!r} is not a wengert file (it is not a zip archive: corrupt, truncated, "
            "or written by something else); wengert.load reads files written by wengert.save."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            return _Reader(archive, path, max_bytes).read()
    except (SerializationError, MemoryError, OSError):
        raise
    except Exception as error:  # anything else a hostile archive provokes in zipfile, zlib, ast or NumPy
        raise SerializationError(
            f"load: {path!r} is corrupt or truncated ({type(error).__name__}: {_short(error)})."
        ) from error


def _short(value) -> str:
    """``value`` printed in at most about 80 characters, for messages about untrusted data."""
    text = str(value) if isinstance(value, BaseException) else reprlib.repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


class _Reader:
    """One pass over an opened wengert archive: checks its members, reads its header, decodes its tree."""

    def __init__(self, archive: zipfile.ZipFile, path: str, max_bytes: int | None):
        self.archive, self.path, self.max_bytes = archive, path, max_bytes
        self.members = self._members()
        self.unread = set(self.members) - {_HEADER}

    def read(self):
        header = self._header()
        value = self._decode(header["tree"], "obj", 0)
        if self.unread:
            raise self._malformed(
                f"it holds arrays nothing in its header refers to: {_short(sorted(self.unread))}", "the archive"
            )
        return value

    def _malformed(self, problem: str, where: str) -> SerializationError:
        return SerializationError(
            f"load: {self.path!r} is malformed: {problem} (at {where}). "
            "wengert.save never writes that: the file was damaged, changed or made by something else."
        )

    def _members(self) -> dict:
        """The archive's members by name (without ``.npy``), each checked for what ``save`` would write."""
        infos = self.archive.infolist()
        if f"{_HEADER}.npy" not in (info.filename for info in infos):
            raise SerializationError(
                f"load: {self.path!r} is not a wengert file (it has no {_HEADER!r} entry); "
                "if it is a NumPy .npz archive, open it with numpy.load instead."
            )
        members, total = {}, 0
        for info in infos:
            where = f"member {_short(info.filename)}"
            if not _MEMBER_NAME.fullmatch(info.filename):
                raise self._malformed(
                    "a member name wengert does not write ('__wengert__.npy', 'a0.npy', 'a1.npy', ... only)", where
                )
            name = info.filename[: -len(".npy")]
            if name in members:
                raise self._malformed("two members of the same name", where)
            if info.flag_bits & 0x1:
                raise self._malformed("an encrypted member", where)
            if info.compress_type not in _COMPRESSIONS:
                raise self._malformed(f"an unknown compression method ({info.compress_type})", where)
            members[name] = info
            total += info.file_size * (_HEADER_WEIGHT if name == _HEADER else 1)
        if self.max_bytes is not None and total > self.max_bytes:
            raise SerializationError(
                f"load: {self.path!r} needs {total} bytes (its members uncompressed, the JSON header counted "
                f"{_HEADER_WEIGHT} times for the Python objects it becomes), more than max_bytes={self.max_bytes}; "
                f"if you trust the file, load it with wengert.load(path, max_bytes={total}) "
                "(or max_bytes=None for no bound)."
            )
        return members

    def _header(self) -> dict:
        """The JSON header, checked: a wengert format of this version, with a tree."""
        where = f"member '{_HEADER}.npy'"
        array = self._array(_HEADER)
        if array.dtype != xp.uint8 or array.ndim != 1:
            raise self._malformed(f"the header is {array.dtype} of shape {array.shape}, not 1-d uint8 bytes", where)
        try:
            text = array.tobytes().decode("utf-8")
        except UnicodeDecodeError as error:
            raise self._malformed(f"the header is not UTF-8 text ({error})", where) from None
        try:
            header = json.loads(text, object_pairs_hook=_object_without_repeated_keys)
        except RecursionError:
            raise self._malformed(
                f"the header's JSON nests deeper than Python can read (wengert writes at most {_MAX_DEPTH} levels)",
                where,
            ) from None
        except ValueError as error:  # json.JSONDecodeError, a repeated key, an int of too many digits
            raise self._malformed(f"the header is not valid JSON ({_short(error)})", where) from None
        if not isinstance(header, dict):
            raise self._malformed(f"the header is a JSON {type(header).__name__}, not an object", where)
        if header.get("format") != _FORMAT:
            raise SerializationError(
                f"load: {self.path!r} is not a wengert file (its header's format is {_short(header.get('format'))}, "
                f"not {_FORMAT!r}); wengert.load reads files written by wengert.save."
            )
        version = header.get("version")
        if type(version) is int and version > _VERSION:
            raise SerializationError(
                f"load: {self.path!r} is wengert format version {version}; this wengert reads "
                f"version {_VERSION}. Upgrade wengert to read it."
            )
        if version != _VERSION or type(version) is not int:
            raise self._malformed(f"the header's version is {_short(version)}, not {_VERSION}", where)
        if set(header) != {"format", "version", "tree"}:
            raise self._malformed(
                f"the header has keys {_short(sorted(header))}, not 'format', 'version' and 'tree'", where
            )
        return header

    def _decode(self, node, where: str, depth: int):
        """The value spelt by ``node`` (see the module docstring), with arrays read from the archive."""
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if depth >= _MAX_DEPTH:
            raise self._malformed(f"containers nested more than {_MAX_DEPTH} deep, more than wengert writes", where)
        if isinstance(node, dict) and len(node) == 1 and next(iter(node)) in ("dict", "list", "tuple"):
            (kind, content), *_ = node.items()
            if not isinstance(content, list):
                raise self._malformed(f"a {kind} whose content {_short(content)} is not a list", where)
            if kind == "dict":
                return self._decode_dict(content, where, depth)
            items = [self._decode(item, f"{where}[{i}]", depth + 1) for i, item in enumerate(content)]
            return items if kind == "list" else tuple(items)
        if isinstance(node, dict) and "array" in node:
            return self._decode_array(node, where)
        raise self._malformed(f"an entry that spells no value: {_short(node)}", where)

    def _decode_dict(self, content: list, where: str, depth: int) -> dict:
        result = {}
        for item in content:
            if not (isinstance(item, list) and len(item) == 2):
                raise self._malformed(f"a dict item {_short(item)} that is not a [key, value] pair", where)
            key, value = item
            if not isinstance(key, (str, int)):
                raise self._malformed(f"a dict key {_short(key)}, neither a str nor an int", where)
            if key in result:
                raise self._malformed(f"the dict key {_short(key)} twice", where)
            result[key] = self._decode(value, f"{where}[{key!r}]", depth + 1)
        return result

    def _decode_array(self, node: dict, where: str):
        name, kind = node.get("array"), node.get("kind")
        allowed = {"array", "kind", "requires_grad"} if kind == "tensor" else {"array", "kind"}
        if kind not in ("ndarray", "scalar", "tensor") or set(node) - allowed:
            raise self._malformed(f"an array entry of unknown kind or keys: {_short(node)}", where)
        if not isinstance(name, str) or not _ARRAY_NAME.fullmatch(name):
            raise self._malformed(f"an array name {_short(name)} that wengert does not write ('a0', 'a1', ...)", where)
        if name not in self.unread:
            problem = "which it refers to twice" if name in self.members else "which the file does not hold"
            raise self._malformed(f"an entry for the array {name!r}, {problem}", where)
        self.unread.discard(name)
        array = self._array(name)
        if kind == "ndarray":
            return array
        if kind == "scalar":
            if array.ndim != 0:
                raise self._malformed(f"a scalar whose array {name!r} has shape {array.shape}, not ()", where)
            return array[()]
        requires_grad = node.get("requires_grad", False)
        if not isinstance(requires_grad, bool):
            raise self._malformed(f"a tensor's requires_grad of {_short(requires_grad)}, not true or false", where)
        try:
            return tensor(array, requires_grad=requires_grad)
        except DtypeError as error:
            raise self._malformed(
                f"a tensor of dtype {array.dtype} marked requires_grad, which that dtype does not allow", where
            ) from error

    def _array(self, name: str):
        """The array in member ``name``, read untrusted: its bytes must be exactly what its header declares."""
        info = self.members[name]
        where = f"member {info.filename!r}"
        with self.archive.open(info) as member:
            try:
                version = xp.lib.format.read_magic(member)
            except ValueError as error:
                raise self._malformed(f"a member that is not an .npy array ({_short(error)})", where) from None
            if version not in _NPY_HEADER_LENGTH:
                raise self._malformed(f"an .npy format version {version} that NumPy never writes", where)
            length_format, encoding = _NPY_HEADER_LENGTH[version]
            (length,) = struct.unpack(length_format, self._exactly(member, struct.calcsize(length_format), where))
            if length > 4 * _MAX_NPY_HEADER:
                raise self._malformed(f"an .npy header of {length} bytes", where)
            dtype, shape, fortran_order = self._npy_header(self._exactly(member, length, where).decode(encoding), where)
            offset = xp.lib.format.MAGIC_LEN + struct.calcsize(length_format) + length
            count = math.prod(shape)
            size = count * dtype.itemsize
            if info.file_size != offset + size:
                raise self._malformed(
                    f"its header declares {dtype} of shape {shape} ({size} bytes) but it holds "
                    f"{info.file_size - offset} bytes of data",
                    where,
                )
            data = bytearray(size)  # within max_bytes: the members' declared sizes were bounded, and size fits one
            view = memoryview(data)
            for start in range(0, size, _CHUNK):
                chunk = self._exactly(member, min(_CHUNK, size - start), where)
                view[start : start + len(chunk)] = chunk
        array = xp.ndarray(count, dtype=dtype, buffer=data) if size else xp.ndarray(count, dtype=dtype)
        return array.reshape(shape[::-1]).T if fortran_order else array.reshape(shape)

    def _exactly(self, member, size: int, where: str) -> bytes:
        data = member.read(size)
        if len(data) != size:
            raise self._malformed(f"the member ends early ({len(data)} bytes where {size} were due)", where)
        return data

    def _npy_header(self, text: str, where: str):
        """``(dtype, shape, fortran_order)`` from an ``.npy`` header, checked (it may be hostile)."""
        if len(text) > _MAX_NPY_HEADER:
            raise self._malformed(f"an .npy header of {len(text)} characters", where)
        try:
            fields = ast.literal_eval(text)  # literals only: never runs code
        except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError) as error:
            raise self._malformed(f"an .npy header that is not a Python literal ({_short(error)})", where) from None
        if not isinstance(fields, dict) or set(fields) != _NPY_KEYS:
            raise self._malformed(f"an .npy header {_short(fields)} without exactly {sorted(_NPY_KEYS)}", where)
        shape, fortran_order = fields["shape"], fields["fortran_order"]
        if not (isinstance(shape, tuple) and all(type(n) is int and n >= 0 for n in shape) and len(shape) <= _MAX_NDIM):
            raise self._malformed(f"an .npy shape {_short(shape)} that is not a tuple of sizes", where)
        if not isinstance(fortran_order, bool):
            raise self._malformed(f"an .npy fortran_order {_short(fortran_order)}, not a bool", where)
        try:
            dtype = xp.lib.format.descr_to_dtype(fields["descr"])
        except Exception as error:  # NumPy raises TypeError, ValueError, KeyError... for a bad descr
            raise self._malformed(f"an .npy dtype {_short(fields['descr'])} ({_short(error)})", where) from None
        if dtype.hasobject:
            raise self._malformed(
                f"an array of Python objects (dtype {dtype}), which only unpickling could read; "
                "wengert never unpickles",
                where,
            )
        return dtype, shape, fortran_order


def _object_without_repeated_keys(pairs: list) -> dict:
    """A JSON object, refusing one that names a key twice (JSON would silently keep the last)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError(f"an object names a key twice: {_short([key for key, _ in pairs])}")
    return result
