"""Many inputs: a card dump's RAWs and clips developed or graded with one recipe, on a local
process pool or a Dask distributed cluster; resumable through a journal, going on past
failures, reported in ``report.json``."""

from lsquared.batch.plan import BatchSettings, Job, find_inputs, plan_jobs
from lsquared.batch.runner import BatchReport, run_batch

__all__ = ["BatchReport", "BatchSettings", "Job", "find_inputs", "plan_jobs", "run_batch"]
