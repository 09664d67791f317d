"""The primitives, declared once each with all their rules, grouped by family.

Families import only the ones listed before them: structural, elementwise,
reductions, indexing, contractions, linalg, special.
"""
