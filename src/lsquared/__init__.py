"""lsquared: an open imaging engine for L-Mount cameras.

The public API lives in :mod:`lsquared.engine` (compile a Recipe, develop a file);
imports are lazy so that ``lsq --help`` stays fast.
"""

__version__ = "0.1.0"
