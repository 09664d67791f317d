"""Transforms over data beyond one machine: Dask arrays, split along the examples and reduced by Dask."""
