"""A process that asked to die with its parent is gone within seconds of its parent's
``kill -9``, through prctl(PR_SET_PDEATHSIG) and through the polling fallback used where
prctl is missing. Reference: psutil's view of the process."""

from __future__ import annotations

import subprocess
import sys

import psutil
import pytest

CHILD = """
import time
from lsquared.batch import lifeline
if {fallback}:
    lifeline._request_pdeathsig = lambda: False
lifeline.die_with_parent()
print("ready", flush=True)
time.sleep(60)
"""
PARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=subprocess.PIPE, text=True)
assert child.stdout.readline() == "ready\\n"
print(child.pid, flush=True)
time.sleep(60)
"""


@pytest.mark.parametrize("fallback", [False, True], ids=["prctl", "polling"])
def test_a_process_that_asked_dies_with_its_killed_parent(fallback):
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, CHILD.format(fallback=fallback)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    child = psutil.Process(int(parent.stdout.readline()))
    parent.kill()
    parent.wait()
    try:
        child.wait(timeout=5)
    except psutil.TimeoutExpired:
        child.kill()
        pytest.fail("the child outlived its parent by 5 s")
