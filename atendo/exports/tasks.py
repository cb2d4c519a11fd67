"""Background work of exports (django-tasks; the database backend runs it with `manage.py db_worker`,
which `make run` starts beside the web server).

- `run_export(export_id)`: builds one export's file (`runner.run`), queued by `export_request` in
  the request's transaction;
- `sweep_exports`: every `SWEEP_INTERVAL`, expires ready exports past their time (their files
  deleted), fails interrupted ones and deletes files no export names (`services.exports_sweep`): a
  `core.periodic` task, queued after `migrate` and when the worker starts, and again after each run.
"""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from atendo.core.periodic import periodic_task
from atendo.exports import runner

SWEEP_INTERVAL = dt.timedelta(minutes=15)


@task()
def run_export(export_id: int) -> str:
    return runner.run(export_id)


@periodic_task(interval=SWEEP_INTERVAL)
def sweep_exports() -> dict[str, int]:
    # Imported here: services queue `run_export`, so they import this module.
    from atendo.exports.services import exports_sweep

    return exports_sweep()
