"""Every error wengert raises on purpose, in one module.

Each class says what kind of mistake it reports; each message says what was
wrong, where, and what to do instead.
"""


class WengertError(Exception):
    """Base class of every error wengert raises on purpose."""


class ShapeError(WengertError, ValueError):
    """Operands whose shapes don't fit the operation."""


class DtypeError(WengertError, TypeError):
    """A value of a dtype that cannot be differentiated (ints, bools)."""


class TracerError(WengertError, TypeError):
    """A traced value used where a concrete NumPy value is needed."""


class ConcretizationError(TracerError):
    """A traced float turned into a Python number (``float(x)``, ``math.exp(x)``, ``x.item()``): its derivative
    would be lost."""


class InPlaceError(WengertError, TypeError):
    """An in-place write to a traced array; use ``x.at[idx].set(...)``."""


class LeakedTracerError(WengertError, RuntimeError):
    """A traced value used after the transform that made it has returned."""


class PytreeError(WengertError, TypeError):
    """A container wengert does not know how to flatten, or mismatched trees."""


class TransformError(WengertError, ValueError):
    """A transform called with arguments it cannot use (argnums, outputs)."""


class ExpressionError(WengertError, ValueError):
    """A math expression (``wengert diff``) that cannot be parsed, or names something unknown."""


class GradientCheckError(WengertError, AssertionError):
    """A derivative computed by wengert disagrees with finite differences.

    Attributes:
        mode: ``"fwd"`` (``wengert.jvp``) or ``"rev"`` (``wengert.vjp``): the mode that disagreed.
        order: the derivative order of the failing comparison (1: first derivatives of ``f``).
        where: the array holding the worst element (``"output[1]"``, ``"args[0]['w']"``).
        index: the worst element's index in that array.
        analytic, numeric: its value by wengert and by finite differences.
        abs_error, rel_error: ``|analytic - numeric|`` and that over ``|numeric|``.
    """

    def __init__(self, message: str, *, mode, order, where, index, analytic, numeric, abs_error, rel_error):
        super().__init__(message)
        self.mode = mode
        self.order = order
        self.where = where
        self.index = index
        self.analytic = analytic
        self.numeric = numeric
        self.abs_error = abs_error
        self.rel_error = rel_error


class MissingDependencyError(WengertError, ImportError):
    """An optional dependency (SciPy, matplotlib, ...) that a function needs is not installed."""


class ArgumentError(WengertError, ValueError):
    """An argument outside what a function accepts (an unknown mode, a negative order)."""


class SerializationError(WengertError, ValueError):
    """A file ``wengert.load`` cannot read (corrupt, truncated, not wengert's), or a value ``save`` cannot write."""


class StateDictError(WengertError, ValueError):
    """A state dict that does not fit its module or optimiser: missing or unexpected names, shapes, dtypes."""


class NotLinearError(TransformError):
    """A function or program given to ``linear_transpose`` that is not linear in its inputs."""


class AutogradError(WengertError, RuntimeError):
    """A backward pass of the eager Tensor graph that cannot run as asked (PyTorch raises RuntimeError).

    A second backward through a graph already freed, ``backward()`` of a non-scalar without
    ``gradient``, a tensor saved for backward and changed in place since, an in-place change to a
    leaf that requires grad, or an ``autograd.Function`` whose ``backward`` returns the wrong gradients.
    """


class BackendError(WengertError, TypeError):
    """An array library that cannot run an operation: arrays of two libraries or two devices in one
    operation, or an operation outside the array API standard with no fallback for that library."""
