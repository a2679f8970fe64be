"""``python -m lsquared`` runs the ``lsq`` command."""

from lsquared.cli.app import main

main()
