"""Specification of ``wengert.save`` / ``wengert.load`` and of checking state dicts when loading them.

Saving is atomic (a failure mid-write leaves the old file as it was), never
pickles, and round-trips every value of a state dict exactly; loading says
clearly when a file is not wengert's, is truncated or corrupt; a module's
``load_state_dict`` names each missing or unexpected key and each shape or
dtype that does not fit.
"""

import doctest
import os
import signal
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import wengert
import wengert.serialization
from wengert import Tensor, nn, tensor
from wengert.errors import SerializationError, StateDictError
from wengert.serialization import load, save


def _same(a, b) -> bool:
    """Equal values of equal types, recursively (arrays: same dtype, shape and elements)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and (a == b or (a != a and b != b))
    return a == b or (a != a and b != b)


NESTED = {
    "weights": np.arange(6, dtype=np.float32).reshape(2, 3),
    "ints": np.array([1, -2], dtype=np.int64),
    "mask": np.array([True, False]),
    "scalar_array": np.array(2.5),
    "empty": np.zeros((0, 4)),
    "numpy_scalar": np.float64(1.25),
    "numpy_int": np.int32(7),
    "text": "wengert",
    "nothing": None,
    "flag": True,
    "count": 3,
    "rate": 0.1,
    "special": [float("nan"), float("inf"), -0.0],
    "pair": (1, np.ones(2)),
    "state": {0: {"step": 4, "exp_avg": np.full(3, 0.5)}, 1: {}},
}


def test_nested_values_round_trip_exactly(tmp_path):
    path = tmp_path / "state.npz"
    save(NESTED, path)
    assert _same(load(path), NESTED)


def test_tensors_come_back_as_tensors(tmp_path):
    path = tmp_path / "t.npz"
    save({"t": tensor([1.0, 2.0])}, path)
    loaded = load(path)["t"]
    assert isinstance(loaded, Tensor)
    assert loaded.tolist() == [1.0, 2.0]


def test_the_file_is_a_plain_npz_that_numpy_reads_without_pickle(tmp_path):
    path = tmp_path / "state.npz"
    save({"w": np.eye(2)}, path)
    with np.load(path, allow_pickle=False) as archive:
        assert "__wengert__" in archive.files
        np.testing.assert_array_equal(archive["a0"], np.eye(2))


@pytest.mark.parametrize(
    "value, where",
    [
        ({"f": lambda: 0}, r"obj\['f'\] is a function"),
        ({"s": {1, 2}}, r"obj\['s'\] is a set"),
        ({"o": np.array([object()], dtype=object)}, r"obj\['o'\] is an array of Python objects"),
        ({(1, 2): 3}, r"key \(1, 2\)"),
        ([1, 2j], r"obj\[1\] is a complex"),
    ],
)
def test_values_that_would_need_pickling_are_refused_with_their_place(tmp_path, value, where):
    with pytest.raises(SerializationError, match=where):
        save(value, tmp_path / "x.npz")
    assert not os.listdir(tmp_path)


def test_a_failure_mid_write_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    save({"w": np.ones(3)}, path)
    before = path.read_bytes()

    def write_half_then_fail(file, header, arrays):
        file.write(b"PK\x03\x04 half an archive")
        raise OSError("disk full")

    monkeypatch.setattr(wengert.serialization, "_write_archive", write_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        save({"w": np.zeros(3)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]
    np.testing.assert_array_equal(load(path)["w"], np.ones(3))


CRASH_MID_WRITE = """
import os, signal, sys
import numpy as np
import wengert.serialization

def write_half_then_die(file, header, arrays):
    file.write(b"PK\\x03\\x04 half an archive")
    file.flush()
    os.kill(os.getpid(), signal.SIGKILL)   # the process dies here: no except, no finally, no cleanup

wengert.serialization._write_archive = write_half_then_die
wengert.save({"w": np.zeros(3)}, sys.argv[1])
"""


def test_saving_a_module_instead_of_its_state_dict_says_what_to_save(tmp_path):
    with pytest.raises(SerializationError, match=r"obj is a Linear.*save its state_dict\(\)"):
        save(nn.Linear(2, 2), tmp_path / "model.npz")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals to kill the writing process")
def test_a_process_killed_mid_write_leaves_the_old_file_intact(tmp_path):
    """A real crash: the saving process is killed (SIGKILL) with half a new archive written; the next save cleans up."""
    path = tmp_path / "model.npz"
    save({"w": np.ones(3)}, path)
    before = path.read_bytes()
    result = subprocess.run([sys.executable, "-c", CRASH_MID_WRITE, str(path)], capture_output=True, timeout=120)
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()
    leftovers = [name for name in os.listdir(tmp_path) if name != "model.npz"]
    assert len(leftovers) == 1 and leftovers[0].startswith(".model.npz.")  # the half-written temporary file
    assert (tmp_path / leftovers[0]).read_bytes().startswith(b"PK\x03\x04 half")
    assert path.read_bytes() == before
    np.testing.assert_array_equal(load(path)["w"], np.ones(3))
    save({"w": np.zeros(3)}, path)
    assert os.listdir(tmp_path) == ["model.npz"]


def test_a_failed_fsync_leaves_the_old_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "model.npz"
    save({"w": np.ones(3)}, path)
    before = path.read_bytes()

    def failing_fsync(descriptor):
        raise OSError("I/O error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="I/O error"):
        save({"w": np.zeros(3)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]


def test_saving_replaces_the_old_file_and_keeps_its_permissions(tmp_path):
    path = tmp_path / "model.npz"
    save({"w": np.ones(3)}, path)
    os.chmod(path, 0o600)
    save({"w": np.zeros(3)}, path)
    np.testing.assert_array_equal(load(path)["w"], np.zeros(3))
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_a_file_that_is_not_a_zip_archive_is_not_a_wengert_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(SerializationError, match="not a wengert file"):
        load(path)


def test_a_truncated_file_is_reported(tmp_path):
    path = tmp_path / "model.npz"
    save({"w": np.random.default_rng(0).normal(size=1000)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(SerializationError, match="corrupt, truncated"):
        load(path)


def test_corrupted_array_bytes_are_reported(tmp_path):
    path = tmp_path / "model.npz"
    save({"w": np.zeros(1000)}, path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("a0.npy")
    middle = info.header_offset + 30 + len(info.filename) + info.file_size // 2
    data[middle] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(SerializationError, match="corrupt or truncated"):
        load(path)


def test_an_npz_not_written_by_wengert_is_named_as_such(tmp_path):
    path = tmp_path / "plain.npz"
    np.savez(path, w=np.ones(2))
    with pytest.raises(SerializationError, match="not a wengert file.*numpy.load"):
        load(path)


def test_a_newer_format_version_asks_for_an_upgrade(tmp_path):
    path = tmp_path / "future.npz"
    header = b'{"format": "wengert", "version": 99, "tree": null}'
    np.savez(path, __wengert__=np.frombuffer(header, dtype=np.uint8))
    with pytest.raises(SerializationError, match="version 99.*Upgrade"):
        load(path)


def test_a_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nothing.npz")


# --- module state dicts ---------------------------------------------------------------------------


def _model(seed: int):
    return nn.Sequential(
        nn.Linear(3, 4, generator=seed), nn.BatchNorm1d(4), nn.Tanh(), nn.Linear(4, 2, generator=seed + 1)
    )


def test_a_module_round_trips_through_a_file(tmp_path):
    source, target = _model(0), _model(10)
    source.train()
    source(tensor(np.random.default_rng(0).normal(size=(8, 3))))  # moves BatchNorm's running statistics
    path = tmp_path / "model.npz"
    save(source.state_dict(), path)
    target.load_state_dict(load(path))
    x = tensor(np.random.default_rng(1).normal(size=(5, 3)))
    source.eval(), target.eval()
    np.testing.assert_array_equal(source(x).detach().numpy(), target(x).detach().numpy())
    assert int(target[1].num_batches_tracked.item()) == 1


def test_a_saved_model_loaded_into_a_different_one_says_which_key_does_not_fit(tmp_path):
    """Through the file, as a user meets it: each wrong name, shape and dtype is named, and nothing loads."""
    path = tmp_path / "model.npz"
    save(_model(0).state_dict(), path)
    wider = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.Tanh(), nn.Linear(5, 2))
    with pytest.raises(StateDictError) as error:
        wider.load_state_dict(load(path))
    message = str(error.value)
    for key, saved, module in [
        ("0.weight", (4, 3), (5, 3)),
        ("1.running_mean", (4,), (5,)),
        ("3.weight", (2, 4), (2, 5)),
    ]:
        assert f"shape mismatch for {key!r}: the state dict has shape {saved}, the module {module}" in message
    single = _model(0).float()
    with pytest.raises(
        StateDictError, match="dtype mismatch for '0.weight': the state dict has float64, the module float32"
    ):
        single.load_state_dict(load(path))
    shorter = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    with pytest.raises(
        StateDictError, match=r"unexpected keys \(in the state dict, not in the module\): \['3.weight', '3.bias'\]"
    ):
        shorter.load_state_dict(load(path))


def test_load_state_dict_names_missing_and_unexpected_keys():
    model = _model(0)
    state = model.state_dict()
    del state["0.bias"]
    state["5.weight"] = np.zeros(2)
    with pytest.raises(StateDictError) as error:
        model.load_state_dict(state)
    assert "missing keys" in str(error.value) and "'0.bias'" in str(error.value)
    assert "unexpected keys" in str(error.value) and "'5.weight'" in str(error.value)


def test_load_state_dict_names_the_key_and_both_shapes():
    model = _model(0)
    state = model.state_dict()
    state["3.weight"] = np.zeros((3, 4))
    with pytest.raises(StateDictError, match=r"shape mismatch for '3.weight'.*\(3, 4\).*\(2, 4\)"):
        model.load_state_dict(state)


def test_load_state_dict_names_the_key_and_both_dtypes():
    model = _model(0)
    state = model.state_dict()
    state["0.weight"] = state["0.weight"].numpy().astype(np.float32)
    with pytest.raises(StateDictError, match="dtype mismatch for '0.weight'.*float32.*float64"):
        model.load_state_dict(state)


def test_a_failed_load_changes_nothing():
    model, other = _model(0), _model(5)
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    state = other.state_dict()
    state["3.bias"] = np.zeros(7)
    with pytest.raises(StateDictError):
        model.load_state_dict(state)
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[key])


def test_non_strict_loading_reports_what_it_skipped():
    model = _model(0)
    state = {"0.weight": np.ones((4, 3)), "extra": np.zeros(1)}
    result = model.load_state_dict(state, strict=False)
    assert result.unexpected_keys == ["extra"]
    assert "0.bias" in result.missing_keys
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), np.ones((4, 3)))


def test_the_examples_in_the_docstrings_run():
    assert doctest.testmod(wengert.serialization).failed == 0


def test_a_value_traced_by_a_transform_is_refused(tmp_path):
    def saves(x):
        save({"x": x}, tmp_path / "x.npz")
        return x.sum()

    with pytest.raises(SerializationError, match=r"obj\['x'\] is a value traced by a transform"):
        wengert.grad(saves)(np.ones(2))
