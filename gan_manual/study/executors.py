"""Where a study's cells run: processes of this machine, or tasks of a Ray cluster. Each calls
:func:`gan_manual.study.cell.run` once per cell, in a process of its own (a fresh one per cell: runs share no
state), and reports every result as it arrives."""

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any, Optional

from gan_manual.study import cell as cells
from gan_manual.study.record import Record
from gan_manual.study.spec import Cell

Report = Callable[[Cell, Record], None]


def run_local(todo: list[Cell], processes: int, threads: int, num_samples: int, metrics: tuple[str, ...],
              report: Report) -> None:
    """``processes`` cells at once on this machine, each with ``threads`` torch threads; each keeps
    ``num_samples`` samples and the ``metrics`` logged over training (:func:`gan_manual.study.cell.run`)."""
    with pool(processes) as workers:
        futures = {workers.submit(cells.run, cell, threads, num_samples, metrics): cell for cell in todo}
        for future in as_completed(futures):
            report(futures[future], _result(futures[future], future.exception, future.result))


def pool(processes: int) -> ProcessPoolExecutor:
    """The local executor's workers: a fresh spawned process per cell, which ends when the study's process does."""
    # spawn, not fork: a forked child would inherit torch's thread pool and the parent's state.
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(processes, mp_context=context, max_tasks_per_child=1, initializer=_end_with,
                               initargs=(os.getpid(),))


def _end_with(parent: int) -> None:
    """Ends this worker once ``parent`` has gone: a study killed alone (``kill PID``, not its process group)
    would otherwise leave its cells training unseen, and a rerun would train a second copy in the same folder."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)  # the cell's last.ckpt stays: the rerun resumes from it

    threading.Thread(target=watch, name="end-with-study", daemon=True).start()


def run_ray(todo: list[Cell], threads: int, num_samples: int, metrics: tuple[str, ...], report: Report,
            address: Optional[str], gpus: float = 0.0) -> None:
    """Every cell a Ray task asking for ``threads`` CPUs (and ``gpus`` GPUs), on the cluster at ``address``
    (Ray's usual: ``auto``, ``ray://host:10001``; None starts a local instance, unless this process already
    joined one). The study's folder must be one that every node sees at the same path (a shared file system)."""
    import ray  # an optional extra: the study's command checked that it is installed

    started = not ray.is_initialized()
    if started:
        ray.init(address=address, log_to_driver=False)
    try:
        # max_calls=1: a fresh worker process per cell, as the local executor has.
        task = ray.remote(num_cpus=threads, num_gpus=gpus, max_calls=1)(cells.run)
        pending = {task.remote(cell, threads, num_samples, metrics): cell for cell in todo}
        while pending:
            [done], _ = ray.wait(list(pending), num_returns=1)
            cell = pending.pop(done)
            report(cell, _result(cell, lambda: _ray_error(ray, done), lambda: ray.get(done)))
    finally:
        if started:
            ray.shutdown()


def _ray_error(ray: Any, ref: Any) -> Optional[BaseException]:
    try:
        ray.get(ref)
    except Exception as error:  # the worker died (killed, out of memory): Ray's error says how
        return error
    return None


def _result(cell: Cell, exception: Callable[[], Optional[BaseException]], result: Callable[[], Any]) -> Record:
    """The cell's record, or a failed one when its process died before writing it (killed, out of memory)."""
    error = exception()
    if error is None:
        return result()
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return Record.of(cell, status="failed", error=f"the cell's process died: {reason}")
