"""What the discrete distributions share: the support mask, and a log-pmf made a pmf and a CDF made
its log and survival function. The count ``k`` carries no derivative; the parameters do."""

import wengert.numpy as wnp

from ._location_scale import log_of_positive


def on_support(k, lowest, highest=None):
    """``(mask, k_inside)``: where ``k`` is a whole number in ``[lowest, highest]``, and ``k`` with
    the points outside moved onto ``lowest`` (so formulas stay finite there)."""
    k = wnp.asarray(k)
    mask = wnp.logical_and(wnp.equal(k, wnp.floor(k)), wnp.greater_equal(k, lowest))
    if highest is not None:
        mask = wnp.logical_and(mask, wnp.less_equal(k, highest))
    return mask, wnp.where(mask, k, lowest)


def masked_log(mask, log_value):
    """``log_value`` on the support, ``-inf`` (probability 0) off it."""
    return wnp.where(mask, log_value, -wnp.inf)


def pmf_from(logpmf):
    """``pmf(...) = exp(logpmf(...))``, named and documented like ``logpmf``."""

    def pmf(*args, **kwargs):
        return wnp.exp(logpmf(*args, **kwargs))

    pmf.__doc__ = f"exp of {logpmf.__name__}."
    return pmf


def tails_from(cdf):
    """``(logcdf, sf, logsf)`` of a CDF: ``log(cdf)``, ``1 - cdf`` and its log."""

    def logcdf(*args, **kwargs):
        return log_of_positive(cdf(*args, **kwargs))

    def sf(*args, **kwargs):
        return 1.0 - cdf(*args, **kwargs)

    def logsf(*args, **kwargs):
        return log_of_positive(sf(*args, **kwargs))

    return logcdf, sf, logsf
