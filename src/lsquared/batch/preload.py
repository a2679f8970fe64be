"""What the local pool's fork server imports before it forks workers: the engine, through
the worker module, once for all workers; and, for the server itself, the request to end
with the batch that started it (:mod:`lsquared.batch.lifeline`)."""

from lsquared.batch import worker  # noqa: F401  (imported for the fork server's children)
from lsquared.batch.lifeline import die_with_parent

die_with_parent()
