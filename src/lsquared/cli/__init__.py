"""The ``lsq`` command line: a thin typer layer over :mod:`lsquared.engine`."""
