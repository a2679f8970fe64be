"""Looks and LUTs: the LUT value object, one module per file format (``cube``, ``vlt``),
baking a processor into a LUT, and the built-in looks (recipe files)."""
