"""A fuzz campaign over every parser of outside bytes: ``python -m tests.fuzz --cases N``.

Each parser has a hypothesis strategy that makes valid inputs and mutates them (bytes
flipped, lines dropped or repeated, numbers replaced by odd ones, boxes and tags resized,
files truncated). Every case runs in-process and must either give a result or raise one
``LsqError`` whose message is one line; it must not change its input file or leave any
other file behind. ``test_fuzz_sample.py`` runs a few cases of each in the default test run.
"""
