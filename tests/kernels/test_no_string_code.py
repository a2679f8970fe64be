"""The kernels a first ``lsq demo`` compiles hold no string code: numba builds some error
messages (a slice assignment's shape mismatch, an f-string in a ``raise``) from its unicode
implementations, seconds of compiling on a cold cache for text no kernel prints. Checked on
the functions linked into each kernel's machine code, as compiled or loaded from numba's
disk cache."""

from __future__ import annotations

import numpy as np

from lsquared.kernels import cpu, demosaic
from lsquared.pipeline.ops import CurveOp, MatrixOp, Program


def linked_functions(kernel) -> set[str]:
    """Names of the functions in the LLVM modules of every compiled version of ``kernel``
    (a numba dispatcher), with those of the functions it calls."""
    names: set[str] = set()
    for result in kernel.overloads.values():
        module = result.library._get_module_for_linking()
        names.update(function.name for function in module.functions)
    return names


def string_functions(kernel) -> list[str]:
    return sorted(name for name in linked_functions(kernel) if "unicode" in name)


def test_the_demo_kernels_compile_no_string_code():
    rng = np.random.default_rng(3)
    demosaic.menon2007(rng.random((12, 10)), np.array([[0, 1], [1, 2]]))
    program = Program(point=(MatrixOp((0.9, 0.1, 0, 0, 1, 0, 0, 0.1, 0.9)), CurveOp("srgb_encode")))
    cpu.CpuRenderer().run(program, rng.random((4, 6, 3), dtype=np.float32))
    for kernel in (demosaic.menon_rgb, cpu.run_point_program):
        assert linked_functions(kernel), kernel  # the check sees the kernel's own code
        assert string_functions(kernel) == [], kernel.py_func.__name__
