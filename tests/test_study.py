"""``python -m gan_manual study``: a tiny toy study end to end, its report, records and reruns; the same figures from
the local executor's processes and from Ray; a killed study resumed (finished cells kept, the rest resumed, the
figures of an uninterrupted study); bad study files refused before anything is written; every shipped study builds
all its cells.

The report's tests read a study whose cells ran in this process, one after another (:class:`InProcess`); the tests
of the executors themselves start processes and are ``slow``."""

import csv
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import Future
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

from gan_manual import lock, machine
from gan_manual.__main__ import run as main
from gan_manual.errors import ConfigError, StorageError
from gan_manual.lock import Lock
from gan_manual.study import executors, plots, spec, validate
from gan_manual.study.record import write_json
from helpers import REPO, STUDIES, no_temporary_files, one_error, snapshot

STUDY = {
    "configs": [str(REPO / "configs/toy_ring.yaml")],
    "overrides": {
        "trainer.max_epochs": 2,
        "trainer.limit_train_batches": 12,
        "trainer.limit_val_batches": 1,
        "trainer.log_every_n_steps": 10,
        "trainer.enable_model_summary": False,
        "checkpoint.every_n_batches": 4,
        "trainer.callbacks": [
            {"class_path": "gan_manual.callbacks.Evaluate",
             "init_args": {"metric": "gan_manual.metrics.ModeMetrics", "num_samples": 500}},
        ],
        "data.init_args.num_samples": 2000,
        "data.init_args.batch_size": 64,
    },
    "variants": {"gan": {}, "pac2": {"model.init_args.discriminator.init_args.pack": 2}},
    "seeds": 2,
    "metrics": {"modes": "max", "hq_percent": "max", "reverse_kl": "min"},
    "best": ["hq_percent"],
    "curves": ["train/d_loss_epoch"],
    "processes": 2,
    "threads": 1,
    "samples": 200,
}
CELLS = ["gan/seed_0", "gan/seed_1", "pac2/seed_0", "pac2/seed_1"]
FIGURES = ["modes", "hq_percent", "reverse_kl", "best_hq_percent"]
#: a machine the cells did not run on, as a record names it and as the report shows it
OTHER = {"cpu": "Other CPU", "capability": "AVX512", "cores": 8, "threads": 1, "torch": "2.0", "gpu": None}
OTHER_LINE = "Other CPU (AVX512, 8 cores), 1 thread, torch 2.0"


def write_study(folder: Path, **changes) -> Path:
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump({**STUDY, **changes}))
    return path


def results(folder: Path) -> dict[str, dict[str, str]]:
    with (folder / "results.csv").open() as file:
        return {row["cell"]: row for row in csv.DictReader(file)}


def table(folder: Path) -> list[str]:
    return [line for line in (folder / "summary.md").read_text().splitlines() if line.startswith("|")]


def figures(folder: Path) -> dict[str, list[str]]:
    return {cell: [row[k] for k in FIGURES] for cell, row in results(folder).items()}


class InProcess:
    """Stands in for the local executor's pool (:func:`gan_manual.study.executors.pool`): runs each cell in this
    process when it is submitted, its output through file descriptors 1 and 2 into the cell's log as in a worker
    (not into pytest's capture), and puts back what a cell changes of its process (folder, torch's threads,
    ``sys.argv``)."""

    def __enter__(self) -> "InProcess":
        return self

    def __exit__(self, *exc) -> None:
        pass

    def submit(self, function, *args) -> Future:
        future, folder, threads, argv = Future(), os.getcwd(), torch.get_num_threads(), sys.argv
        streams = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        try:
            future.set_result(function(*args))
        except Exception as error:
            future.set_exception(error)
        finally:
            sys.stdout, sys.stderr = streams
            os.chdir(folder)
            torch.set_num_threads(threads)
            sys.argv = argv
        return future


def in_process_pool(processes: int) -> InProcess:
    """In place of :func:`gan_manual.study.executors.pool`: every cell in this process, whatever ``processes``."""
    return InProcess()


@pytest.fixture
def in_process(monkeypatch) -> None:
    """The local executor runs its cells in this process (:class:`InProcess`)."""
    monkeypatch.setattr(executors, "pool", in_process_pool)


@pytest.fixture(scope="module")
def local_study(tmp_path_factory) -> Path:
    """The tiny study, run once with its cells in this process: 2 variants x 2 seeds, 1 thread each."""
    folder = tmp_path_factory.mktemp("study")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(executors, "pool", in_process_pool)
        main(["study", str(write_study(folder)), "--output_dir", str(folder / "out")])
    return folder / "out"


@pytest.mark.slow
def test_local_executor_processes_give_the_same_figures(local_study, tmp_path):
    """2 spawned processes of 1 thread, as the study file says: the figures of the cells run in this process."""
    main(["study", str(write_study(tmp_path)), "--output_dir", str(tmp_path / "out")])
    assert figures(tmp_path / "out") == figures(local_study)
    assert all(row["status"] == "done" for row in results(tmp_path / "out").values())


def test_local_study_writes_results_summary_plots(local_study):
    rows = results(local_study)
    assert list(rows) == CELLS
    assert all(row["status"] == "done" and not row["error"] for row in rows.values())
    assert [(row["variant"], row["seed"]) for row in rows.values()] == [("gan", "0"), ("gan", "1"), ("pac2", "0"),
                                                                      ("pac2", "1")]
    for row in rows.values():
        assert 0 <= float(row["hq_percent"]) <= float(row["best_hq_percent"]) <= 100
        assert 0 <= float(row["modes"]) <= 8
    summary = (local_study / "summary.md").read_text()
    assert "Reproduce: `python -m gan_manual study" in summary
    assert "| gan | 2/2 |" in summary and "| pac2 | 2/2 |" in summary
    # What each variant changes, beside what every cell starts from.
    every = next(line for line in summary.splitlines() if line.startswith("Every cell: "))
    assert every.startswith(f"Every cell: `-c {REPO / 'configs/toy_ring.yaml'}`, ") and "`trainer.max_epochs=2`" in every
    assert "- gan: nothing\n- pac2: `model.init_args.discriminator.init_args.pack=2`\n" in summary
    assert all(json.loads((local_study / "cells" / name / "result.json").read_text())["picture"] == "points"
               for name in CELLS)
    for picture in ("curves.png", "finals.png", "samples.png"):
        assert (local_study / picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"]({picture})" in summary
    # A curve is kept over training, once an epoch, and drawn, not ranked: no column of its own.
    for name in CELLS:
        logged = json.loads((local_study / "cells" / name / "result.json").read_text())["logged"]["points"]
        assert [epoch for epoch, _, _ in logged["train/d_loss_epoch"]] == [1.0, 2.0]
    assert "train/d_loss_epoch" not in summary and "train/d_loss_epoch" not in rows[CELLS[0]]


def test_each_cell_is_an_ordinary_run_of_its_variant(local_study):
    for name in CELLS:
        cell = local_study / "cells" / name
        config = yaml.safe_load((cell / "run" / "version_0" / "config.yaml").read_text())
        assert config["seed_everything"] == int(name[-1])
        assert config["model"]["init_args"]["discriminator"]["init_args"]["pack"] == (2 if "pac2" in name else 1)
        assert config["trainer"]["max_epochs"] == 2
        assert (cell / "run" / "version_0" / "checkpoints" / "last.ckpt").is_file()
        assert not (cell / "run" / "version_1").exists()


def test_hparams_record_the_varied_keys_and_final_figures(local_study):
    for name, row in results(local_study).items():
        events = EventAccumulator(str(local_study / "cells" / name / "hparams"))
        events.Reload()
        content = events.PluginTagToContent("hparams")["_hparams_/session_start_info"]
        start = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
        assert start.hparams["variant"].string_value == row["variant"]
        assert start.hparams["seed"].number_value == int(row["seed"])
        [final] = events.Scalars("final/hq_percent")
        assert final.value == pytest.approx(float(row["hq_percent"]), rel=1e-5)


def test_a_rerun_of_a_finished_study_trains_nothing(local_study, capfd):
    before = {name: (local_study / "cells" / name / "result.json").stat().st_mtime_ns for name in CELLS}
    main(["study", str(local_study.parent / "study.yaml"), "--output_dir", str(local_study)])
    assert "4 cells, 4 finished before" in capfd.readouterr().err
    assert before == {name: (local_study / "cells" / name / "result.json").stat().st_mtime_ns for name in CELLS}


def test_report_reads_the_cells_as_they_are_and_runs_nothing(local_study, tmp_path, capfd):
    out = tmp_path / "out"
    shutil.copytree(local_study, out)
    for written in ("results.csv", "summary.md", "curves.png", "finals.png", "samples.png"):
        (out / written).unlink()
    (out / "cells" / "pac2" / "seed_1" / "result.json").unlink()  # a cell still running, or stopped
    main(["study", str(local_study.parent / "study.yaml"), "--output_dir", str(out), "--report"])
    rows = results(out)
    assert rows["pac2/seed_1"]["status"] == "unfinished"
    assert {k: v for k, v in figures(out).items() if k != "pac2/seed_1"} == {
        k: v for k, v in figures(local_study).items() if k != "pac2/seed_1"}
    summary = (out / "summary.md").read_text()
    assert "| gan | 2/2 |" in summary and "| pac2 | 1/2 |" in summary and "- `pac2/seed_1`: unfinished" in summary
    assert "--report" not in summary  # its command is the study's
    assert "over the finished runs (column `runs`) of seeds 0, 1 [min, max]" in summary  # not all of them here
    [pac2] = [line for line in summary.splitlines() if line.startswith("| pac2 |")]
    assert "±" not in pac2 and "[" not in pac2  # one seed: its values alone, no spread
    assert (out / "curves.png").is_file() and (out / "samples.png").is_file()
    assert not (out / "cells" / "pac2" / "seed_1" / "result.json").exists()  # nothing trained
    assert not (out / "cells" / "pac2" / "seed_1" / "run" / "version_1").exists()
    assert "3 of 4 cells finished" in capfd.readouterr().err


@pytest.mark.parametrize("full", ["curves.png", "summary.md"])
def test_a_full_disk_keeps_the_previous_report_whole(local_study, tmp_path, capsys, full_disk, full):
    out = tmp_path / "out"
    shutil.copytree(local_study, out)
    (out / "cells" / "pac2" / "seed_1" / "result.json").unlink()  # the new report would differ
    before = snapshot(out)
    full_disk(full)
    with pytest.raises(SystemExit) as exit:
        main(["study", str(local_study.parent / "study.yaml"), "--output_dir", str(out), "--report"])
    assert exit.value.code == 1
    line = one_error(capsys)
    assert line.startswith(f"error: {out}: no space left to write {full} ("), line
    assert f"the previous {full} is intact; free some space, or give the study another --output_dir" in line
    assert snapshot(out) == before, "the report is the previous one, every file of it"
    no_temporary_files(out)


def test_a_full_disk_while_a_record_or_the_study_file_is_written(local_study, tmp_path, capsys, full_disk):
    record = local_study / "cells" / "gan" / "seed_0" / "result.json"
    copy = tmp_path / "result.json"
    shutil.copyfile(record, copy)
    full_disk("result.json")
    with pytest.raises(StorageError, match=f"^{tmp_path}: no space left to write result.json .*the previous "
                                           f"result.json is intact"):
        write_json(copy, {"status": "done"})
    assert copy.read_bytes() == record.read_bytes()
    full_disk("study.yaml")
    with pytest.raises(SystemExit) as exit:
        main(["study", str(write_study(tmp_path)), "--output_dir", str(tmp_path / "out")])
    assert exit.value.code == 1
    assert one_error(capsys).startswith(f"error: {tmp_path / 'out'}: no space left to write study.yaml (")
    assert not (tmp_path / "out" / "cells").exists()  # no cell ran
    no_temporary_files(tmp_path)


def test_a_commit_of_the_cells_records_rewrites_the_report_and_continues_the_study(local_study, tmp_path, capfd):
    # What git keeps of a study by the repository's .gitignore: the report and each cell's record, not the runs.
    repo, study = tmp_path / "repo", "experiments/studies/results/tiny"
    shutil.copytree(local_study, repo / study)
    shutil.copy(REPO / ".gitignore", repo / ".gitignore")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "add", "-A"], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-qm", "study"], check=True)
    subprocess.run(["git", "clone", "-q", str(repo), str(tmp_path / "clone")], check=True)
    out = tmp_path / "clone" / study
    kept = sorted(str(p.relative_to(out / "cells")) for p in (out / "cells").rglob("*") if p.is_file())
    assert kept == sorted(f"{name}/{file}" for name in CELLS for file in ("result.json", "samples.png"))
    for written in ("results.csv", "summary.md", "curves.png", "finals.png", "samples.png"):
        (out / written).unlink()

    main(["study", str(local_study.parent / "study.yaml"), "--output_dir", str(out), "--report"])
    assert (out / "results.csv").read_text() == (local_study / "results.csv").read_text()
    assert table(out) == table(local_study)
    assert all((out / picture).is_file() for picture in ("curves.png", "finals.png", "samples.png"))
    main(["study", str(local_study.parent / "study.yaml"), "--output_dir", str(out)])
    assert "4 cells, 4 finished before" in capfd.readouterr().err
    assert not list(out.glob("cells/*/*/run"))  # nothing trained
    assert (out / "results.csv").read_text() == (local_study / "results.csv").read_text()


def test_each_cell_records_its_machine_and_the_report_flags_cells_of_several(local_study, tmp_path, capfd):
    here = machine.summary(machine.describe(threads=1))
    assert {row["machine"] for row in results(local_study).values()} == {here}
    assert f"Machine: {here}." in (local_study / "summary.md").read_text()
    out = tmp_path / "out"
    shutil.copytree(local_study, out)
    record = out / "cells" / "pac2" / "seed_1" / "result.json"
    written = json.loads(record.read_text())
    assert written["machines"] == [written["machine"]] == [machine.describe(threads=1)]
    del written["machines"]  # as a record written before cells kept every machine they trained on
    record.write_text(json.dumps({**written, "machine": OTHER}))

    main(["study", str(local_study.parent / "study.yaml"), "--output_dir", str(out), "--report"])
    assert results(out)["pac2/seed_1"]["machine"] == OTHER_LINE
    summary = (out / "summary.md").read_text()
    assert f"**The cells ran on 2 machines** ({here}: 3 cells; {OTHER_LINE}: 1 cell;" in summary
    capfd.readouterr()
    main(["study", str(local_study.parent / "study.yaml"), "--output_dir", str(out)])
    err = capfd.readouterr().err
    assert f"finished cells ran on {OTHER_LINE}; this is {here}" in err
    assert "4 cells, 4 finished before" in err


@pytest.mark.slow
def test_ray_executor_gives_the_local_figures(local_study, tmp_path, monkeypatch):
    ray = pytest.importorskip("ray", reason="Ray is an extra: pip install -e '.[ray]'")
    # Ray renices its workers to 15, so beside the other test worker the cells starve (162 s against 36 alone)
    monkeypatch.setenv("RAY_worker_niceness", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        main(["study", str(write_study(tmp_path)), "--output_dir", str(tmp_path / "out"), "--executor", "ray"])
    finally:
        ray.shutdown()
    assert figures(tmp_path / "out") == figures(local_study)
    assert (tmp_path / "out" / "summary.md").is_file()


@pytest.mark.slow
def test_a_killed_study_resumes_where_it_stopped(local_study, tmp_path):
    study = write_study(tmp_path, processes=1)  # one cell at a time: the kill lands between cells' ends
    out = tmp_path / "out"
    command = [sys.executable, "-m", "gan_manual", "study", str(study), "--output_dir", str(out)]
    process = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and process.poll() is None:
            done = list(out.glob("cells/*/*/result.json"))
            started = [p for p in out.glob("cells/*/*/run/*/checkpoints/last.ckpt")
                       if not (p.parents[3] / "result.json").exists()]
            if done and started:
                break
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the study and its cell's process
        process.wait()
    finished = {p.parent.relative_to(out / "cells").as_posix(): p.stat().st_mtime_ns for p in done}
    interrupted = started[0].parents[3].relative_to(out / "cells").as_posix()
    assert finished and interrupted not in finished
    attempts = out / "cells" / interrupted / "machines.json"
    assert json.loads(attempts.read_text()) == [machine.describe(threads=1)]
    attempts.write_text(json.dumps([OTHER]))  # as if the killed study had run on another machine

    main(["study", str(study), "--output_dir", str(out)])

    assert figures(out) == figures(local_study)
    for name, written in finished.items():  # not redone
        assert (out / "cells" / name / "result.json").stat().st_mtime_ns == written
        assert not (out / "cells" / name / "run" / "version_1").exists()
    resumed = json.loads((out / "cells" / interrupted / "result.json").read_text())
    assert resumed["resumed"] is True and resumed["status"] == "done"
    here = machine.describe(threads=1)
    assert resumed["machines"] == [OTHER, here] and resumed["machine"] == here
    assert results(out)[interrupted]["machine"] == f"{OTHER_LINE} + {machine.summary(here)}"
    assert "**The cells ran on 2 machines**" in (out / "summary.md").read_text()
    assert (out / "cells" / interrupted / "run" / "version_1" / "config.yaml").is_file()


def _state_and_parent(pid: int) -> tuple[str, int]:
    """From /proc/PID/stat (after the name: the state, then the parent); ("gone", 0) for no such process."""
    try:
        fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return "gone", 0
    return fields[0], int(fields[1])


def _alive(pid: int) -> bool:
    return _state_and_parent(pid)[0] not in ("Z", "gone")


def _children(pid: int) -> list[int]:
    """Live processes whose parent is ``pid``."""
    pids = [int(stat.parent.name) for stat in Path("/proc").glob("[0-9]*/stat")]
    return [child for child in pids if _state_and_parent(child)[1] == pid and _alive(child)]


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="reads processes from Linux's /proc")
def test_local_workers_end_when_the_study_process_is_killed_alone():
    script = ("import time\n"
              "from gan_manual.study import executors\n"
              "with executors.pool(1) as workers:\n"
              "    workers.submit(time.sleep, 120)\n"
              "    print('submitted', flush=True)\n"
              "    time.sleep(120)\n")
    study = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert study.stdout.readline().strip() == "submitted"
        deadline = time.monotonic() + 60
        while not (workers := _children(study.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert workers, "no worker started"
        time.sleep(2.0)  # the worker is running its task
        assert all(_alive(pid) for pid in workers)
    finally:
        study.kill()  # the study alone, not its process group
        study.wait()
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers), "a worker outlived its study"


def test_a_failed_cell_is_recorded_and_the_study_goes_on(tmp_path, capsys, in_process):
    huge = {"class_path": "torch.optim.SGD", "init_args": {"lr": 1e30}}  # NaN within a few batches
    study = write_study(tmp_path, seeds=1, processes=1, variants={
        "gan": {}, "blows_up": {"model.init_args.g_optimizer": huge, "model.init_args.d_optimizer": huge}})
    with pytest.raises(SystemExit) as exit:
        main(["study", str(study), "--output_dir", str(tmp_path / "out")])
    assert exit.value.code == 1
    rows = results(tmp_path / "out")
    assert rows["gan/seed_0"]["status"] == "done" and not rows["gan/seed_0"]["error"]
    failed = rows["blows_up/seed_0"]
    assert failed["status"] == "failed" and failed["error"].startswith("divergence at training batch"), failed["error"]
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "| blows_up | 0/1 |" in summary and f"- `blows_up/seed_0`: {failed['error']}" in summary
    assert "1 cells failed" in capsys.readouterr().err


@pytest.mark.parametrize("changes, message", [
    ({"variants": {"bad": {"model.init_args.no_such_key": 1}}}, "study cell bad: "),
    ({"variants": {"bad": {"model.init_args.discriminator.init_args.pack": "two"}}}, "pack"),
    ({"configs": ["configs/no_such.yaml"]}, "study.configs: no file configs/no_such.yaml"),
    ({"variants": {"bad": {"configs": ["no_such.yaml"]}}}, "study.variants.bad.configs: no file no_such.yaml"),
    ({"metric": {"modes": "max"}}, "study.metric: not a study key; allowed: configs, "),
    ({"metrics": {"modes": "more"}}, "study.metrics.modes: 'more'; allowed: max or min"),
    ({"best": ["fid"]}, "study.best: fid is not in study.metrics"),
    ({"seeds": [1, 1]}, "study.seeds: [1, 1] repeats a seed"),
    ({"variants": {"a b": {}, "a_b": {}}}, "study.variants: two cells would share the folder a_b/seed_0"),
    ({"grid": {"model.init_args.loss": []}}, "study.grid.model.init_args.loss: a non-empty list"),
    ({"processes": os.cpu_count(), "threads": 2}, "threads is more than this machine's"),
    ({"curves": ["p_of_dreams"]}, "study.curves: no cell logs p_of_dreams; the cells' metrics log hq_percent"),
    ({"metrics": {"fid_of_dreams": "min"}, "best": []}, "study.metrics.fid_of_dreams: no cell logs it; the cells' metrics log "
                                            "hq_percent, modes, reverse_kl, and the system train/<loss>, val/<loss>"),
])
def test_bad_study_files_are_refused_before_anything_runs(tmp_path, capsys, changes, message):
    study = write_study(tmp_path, **changes)
    with pytest.raises(SystemExit) as exit:
        main(["study", str(study), "--output_dir", str(tmp_path / "out")])
    assert exit.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("error: ") and message in error, error
    assert not (tmp_path / "out").exists()


def test_two_variants_of_one_name_are_refused(tmp_path, capsys):
    study, base = tmp_path / "study.yaml", yaml.safe_dump({k: v for k, v in STUDY.items() if k != "variants"})
    study.write_text(base + "variants:\n  plain: {}\n  pac2: {}\n  plain: {model.init_args.order: g_then_d}\n")
    with pytest.raises(SystemExit) as exit:
        main(["study", str(study), "--output_dir", str(tmp_path / "out")])
    assert exit.value.code == 2
    lines = len(base.splitlines())
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"error: study: {study}: variants.plain is given twice (lines {lines + 2} and {lines + 4}); YAML would keep "
        f"only the second: rename or remove one")
    assert not (tmp_path / "out").exists()


def test_unknown_override_is_named(tmp_path, capsys):
    study = write_study(tmp_path, variants={"bad": {"model.init_args.no_such_key": 1}})
    with pytest.raises(SystemExit):
        main(["study", str(study), "--output_dir", str(tmp_path / "out")])
    assert "no_such_key" in capsys.readouterr().err


def test_a_second_study_on_a_running_studys_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    running = Lock(out)  # as the first study holds it while it runs
    assert running.take()
    with pytest.raises(SystemExit) as exit:
        main(["study", str(write_study(tmp_path)), "--output_dir", str(out)])
    running.release()
    assert exit.value.code == 2
    assert one_error(capsys) == (f"error: study.output_dir: {out} is in use by another study that is running now; "
                                 f"wait for it to end, or give this one another --output_dir")
    assert not list(out.iterdir()), "nothing written"


def test_a_killed_study_leaves_no_lock_behind(tmp_path):
    code = "import os, signal, sys; from gan_manual.lock import Lock; Lock(sys.argv[1]).take(); os.kill(os.getpid(), 9)"
    killed = subprocess.run([sys.executable, "-c", code, str(tmp_path)])
    assert killed.returncode == -9 and not lock.held(tmp_path)
    assert Lock(tmp_path).take()


def test_ray_executor_without_ray_is_one_line_before_anything_is_written(tmp_path, capsys, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    with pytest.raises(SystemExit) as exit:
        main(["study", str(write_study(tmp_path)), "--output_dir", str(tmp_path / "out"), "--executor", "ray"])
    assert exit.value.code == 2
    assert one_error(capsys) == 'error: --executor ray: Ray is not installed; pip install -e ".[ray]"'
    assert not (tmp_path / "out").exists()


def test_cells_cross_variants_grid_and_seeds(tmp_path):
    study = spec.load(str(write_study(tmp_path, seeds=[3, 5], grid={"model.init_args.loss": [
        "gan_manual.losses.NonSaturatingLoss", "gan_manual.losses.HingeLoss"]}, variants={
        "gan": {}, "pac2": {"model.init_args.discriminator.init_args.pack": 2, "configs": ["study.yaml"]}})))
    cells = study.cells()
    assert [c.name for c in cells][:4] == ["gan/loss=NonSaturatingLoss/seed_3", "gan/loss=NonSaturatingLoss/seed_5",
                                           "gan/loss=HingeLoss/seed_3", "gan/loss=HingeLoss/seed_5"]
    assert len(cells) == 8 and study.columns() == ["variant", "loss"]
    last = cells[-1]
    assert last.variant == {"variant": "pac2", "loss": "gan_manual.losses.HingeLoss"} and last.seed == 5
    assert last.configs == (*STUDY["configs"], "study.yaml")
    model = last.overrides["model"]["init_args"]
    assert model["discriminator"] == {"init_args": {"pack": 2}} and model["loss"] == "gan_manual.losses.HingeLoss"
    assert last.overrides["trainer"]["max_epochs"] == 2


def test_curves_end_with_the_final_evaluation_at_the_end_of_training(tmp_path):
    from torch.utils.tensorboard import SummaryWriter

    from gan_manual.study import report

    cell = spec.Cell("gan/seed_0", {"variant": "gan"}, 0, (), {}, tmp_path / "cell", tmp_path)
    with SummaryWriter(str(cell.folder / "run" / "version_0")) as writer:
        for epoch in range(4):  # 4 epochs; FID logged after the second only
            writer.add_scalar("epoch", epoch, global_step=epoch * 10 + 9)
            if epoch == 1:
                writer.add_scalar("fid", 40.0, global_step=19)
                time.sleep(0.01)  # training goes on after it
    logs = report.read_logs(cell.folder, ["fid"])
    assert report.curves(logs, "epoch") == {"fid": [(2.0, 40.0)]}
    assert report.curves(logs, "epoch", {"fid": 12.5}) == {"fid": [(2.0, 40.0), (4.0, 12.5)]}
    [logged, final] = report.curves(logs, "seconds", {"fid": 12.5})["fid"]
    assert final[1] == 12.5 and final[0] >= logged[0] >= 0
    assert json.loads(json.dumps(logs)) == logs  # a cell keeps them in its result.json


def test_a_key_inside_a_section_refines_the_whole_section():
    nested = spec._nested({"data.init_args.batch_size": 200,
                           "data": {"class_path": "gan_manual.data.GridDataModule", "init_args": {"side": 5}}})
    assert nested == {"data": {"class_path": "gan_manual.data.GridDataModule",
                               "init_args": {"side": 5, "batch_size": 200}}}


@pytest.mark.parametrize("path", STUDIES, ids=str)
def test_shipped_study_builds_every_cell(path, monkeypatch):
    monkeypatch.chdir(REPO)  # a study's paths are relative to where it is started: the repository
    study = spec.load(str(path), output_dir="/nonexistent/never-written")
    cells = study.cells()
    assert cells and study.metrics
    try:
        validate(cells)
    except ConfigError as error:
        pytest.fail(str(error))


def test_dry_run_checks_and_lists_the_cells_and_writes_nothing(tmp_path, capsys):
    main(["study", str(write_study(tmp_path)), "--output_dir", str(tmp_path / "out"), "--dry_run"])
    # in the order they run: seed by seed, so a study cut short has every variant's first seeds
    assert capsys.readouterr().out.split() == ["gan/seed_0", "pac2/seed_0", "gan/seed_1", "pac2/seed_1"]
    assert not (tmp_path / "out").exists()


def test_help_lists_the_study_command(capsys):
    with pytest.raises(SystemExit) as exit:
        main(["--help"])
    assert exit.value.code == 0
    assert "python -m gan_manual study STUDY.yaml" in " ".join(capsys.readouterr().out.split())


def test_the_samples_picture_names_each_seed_and_its_colours(tmp_path, monkeypatch):
    """Panels titled with their variant and seed; for points, a legend of the scatter's colours (none for
    images)."""
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    picture = tmp_path / "cell.png"
    plots.plt.imsave(picture, np.ones((8, 8, 3)))
    titles, legends = [], []
    monkeypatch.setattr(Axes, "set_title", lambda self, text, **kw: titles.append(text))
    real_legend = Figure.legend
    monkeypatch.setattr(Figure, "legend", lambda self, *a, **kw: legends.append(
        [h.get_label() for h in kw["handles"]]) or real_legend(self, *a, **kw))
    plots.plot_samples({"GAN": plots.Samples(picture, 0, points=True), "PacGAN2": plots.Samples(picture, 3, True)},
                       tmp_path / "points.png")
    assert titles == ["GAN (seed 0)", "PacGAN2 (seed 3)"] and legends == [["generated", "real (training data)"]]
    plots.plot_samples({"GAN": plots.Samples(picture, 1)}, tmp_path / "images.png")
    assert titles[-1] == "GAN (seed 1)" and len(legends) == 1


def test_a_variant_keeps_its_colour_in_a_panel_that_other_variants_did_not_log(monkeypatch, tmp_path):
    drawn = {}
    monkeypatch.setattr(plots, "_save", lambda fig, path: drawn.setdefault("fig", fig))
    groups = {"none": [{"fid": [(1.0, 50.0), (2.0, 40.0)]}],
              "ada": [{"fid": [(1.0, 55.0), (2.0, 35.0)], "train/augment_p_epoch": [(1.0, 0.1), (2.0, 0.2)]}]}
    plots.plot_curves(groups, ["fid", "train/augment_p_epoch"], "epoch", tmp_path / "curves.png")
    fid, p = drawn["fig"].axes[:2]
    colours = {line.get_label(): line.get_color() for line in fid.get_lines()}
    assert len(set(colours.values())) == 2
    assert [(line.get_label(), line.get_color()) for line in p.get_lines()] == [("ada", colours["ada"])]
