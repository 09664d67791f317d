"""Small real data sets shipped with wengert, loaded without a network.

``load_names()`` returns 32,000 US first names, lowercase a-z, most frequent
first: the data set the makemore character model (``wengert makemore``) trains
on. Where they come from and how they were derived is in ``NAMES_SOURCE.md``
beside this file; ``scripts/make_names_dataset.py`` rebuilds them.

>>> from wengert.apps.datasets import load_names
>>> names = load_names()
>>> len(names), names[:3]
(32000, ['emma', 'sophia', 'jacob'])
"""

from __future__ import annotations

from importlib import resources

__all__ = ["load_names"]


def load_names() -> list[str]:
    """The 32,000 most frequent US baby names of 2008-2017 (SSA data, public domain), most frequent first."""
    text = resources.files(__name__).joinpath("names.txt").read_text(encoding="ascii")
    return text.split()
