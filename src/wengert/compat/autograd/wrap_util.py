"""autograd's ``unary_to_nary``: an operator on functions of one argument, applied to argument ``argnum``."""

from __future__ import annotations

import functools
from collections.abc import Callable

from wengert.errors import ArgumentError


def unary_to_nary(unary_operator: Callable) -> Callable:
    """Lift ``unary_operator(fun, x, ...)`` to ``operator(fun, argnum=0, ...)(*args, **kwargs)``.

    ``argnum`` is an int (differentiate that argument) or a tuple or list of ints
    (differentiate them together, as one tuple), as in autograd.
    """

    @functools.wraps(unary_operator)
    def nary_operator(fun, argnum=0, *nary_op_args, **nary_op_kwargs):
        if not isinstance(argnum, (int, tuple, list)) or isinstance(argnum, bool):
            raise ArgumentError(
                f"{unary_operator.__name__}: argnum={argnum!r} must be an argument position (int) or a tuple of them."
            )

        def nary_f(*args, **kwargs):
            def unary_f(x):
                if isinstance(argnum, int):
                    subargs = args[:argnum] + (x,) + args[argnum + 1 :]
                else:
                    subargs = list(args)
                    for position, value in zip(argnum, x):
                        subargs[position] = value
                return fun(*subargs, **kwargs)

            _name(unary_f, getattr(fun, "__name__", "function"))
            try:
                x = args[argnum] if isinstance(argnum, int) else tuple(args[i] for i in argnum)
            except IndexError:
                raise ArgumentError(
                    f"{unary_operator.__name__} of {getattr(fun, '__name__', fun)!r} with argnum={argnum!r} was "
                    f"called with {len(args)} positional argument(s); pass the differentiated ones positionally."
                ) from None
            return unary_operator(unary_f, x, *nary_op_args, **nary_op_kwargs)

        _name(nary_f, f"{unary_operator.__name__}_of_{getattr(fun, '__name__', 'function')}_wrt_argnum_{argnum}")
        nary_f.__doc__ = (
            f"{unary_operator.__name__} of function {getattr(fun, '__name__', fun)} with respect to argument "
            f"number {argnum}. Takes the same arguments as the function but returns the {unary_operator.__name__}."
        )
        return nary_f

    return nary_operator


def _name(fun: Callable, name: str) -> None:
    fun.__name__ = fun.__qualname__ = name


def wraps(fun: Callable, namestr: str = "{fun}", docstr: str = "{doc}", **kwargs) -> Callable:
    """autograd's ``wraps``: name and document a wrapper after ``fun`` with format strings."""

    def _wraps(f):
        try:
            f.__name__ = namestr.format(fun=getattr(fun, "__name__", "[unknown name]"), **kwargs)
            f.__doc__ = docstr.format(
                fun=getattr(fun, "__name__", "[unknown name]"), doc=getattr(fun, "__doc__", ""), **kwargs
            )
        except (AttributeError, KeyError, IndexError, TypeError):
            pass
        return f

    return _wraps
