"""What a run tells its user: where it writes, each evaluation's figures beside their floor, the figures in
TensorBoard's HParams tab, and a progress bar that knows its epoch after a resume."""

import re

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

from gan_manual.cli import main
from helpers import config

TOY = ["fit", "-c", config("configs/toy_ring.yaml"), "--trainer.max_epochs=1", "--trainer.limit_train_batches=10",
       "--trainer.limit_val_batches=1", "--trainer.log_every_n_steps=2", "--trainer.enable_model_summary=false",
       "--checkpoint.every_n_batches=4", "--trainer.callbacks=[{class_path: gan_manual.callbacks.Evaluate, init_args: "
       "{metric: gan_manual.metrics.ModeMetrics, num_samples: 2500}}]"]


def test_a_run_says_where_it_writes_shows_each_evaluation_and_keeps_its_bar_after_a_resume(isolated, capsys):
    main([*TOY, "--trainer.max_steps=8"])  # stops inside the epoch, after batch 4 (2 optimizer steps a batch)
    first = capsys.readouterr()
    assert "fit: writes to runs/toy_ring/version_0\n" in first.err
    main([*TOY, "--ckpt_path", "last"])
    out, err = capsys.readouterr()
    assert "fit: writes to runs/toy_ring/version_1\n" in err
    # The resumed bar: epoch 0 of 10 batches from the first batch on, never Lightning's "Training: 5/?".
    bar = out.replace("\r", "\n")
    assert re.search(r"Epoch 0: +50%.*\b5/10\b", bar) and not re.search(r"[1-9]/\?", bar), bar[-800:]
    # The evaluation at the epoch's end: its figures beside the real data's, with what they were computed on.
    table = out[out.index("epoch 0: 2500 samples"):]
    assert "real (floor)" in table and re.search(r"\nmodes +\d+\.\d{4} +8\.0000\n", table), table
    # TensorBoard's HParams record: the run's settings with the evaluation's figures, no placeholder hp_metric.
    [events] = isolated.glob("runs/toy_ring/version_1/events.*")
    logged = EventAccumulator(str(events), size_guidance={"tensors": 0})
    logged.Reload()
    record = plugin_data_pb2.HParamsPluginData.FromString(
        logged.PluginTagToContent("hparams")["_hparams_/experiment"]).experiment
    assert [m.name.tag for m in record.metric_infos] == ["modes", "hq_percent", "reverse_kl"]
    assert {"d_steps_per_g_step", "generator/init_args/latent_dim"} <= {h.name for h in record.hparam_infos}
    assert {"modes", "hq_percent", "reverse_kl"} <= set(logged.Tags()["scalars"])
    assert "hp_metric" not in logged.Tags()["scalars"]


def test_evaluation_subcommands_say_where_they_write(toy_checkpoint, capsys):
    capsys.readouterr()
    main(["predict", "-c", config("configs/toy_ring.yaml"), "--ckpt_path", str(toy_checkpoint),
          "--prediction.num_samples=10"])
    assert re.search(r"^predict: writes to \S*runs/toy_ring/version_0/predict/version_0$", capsys.readouterr().err,
                     re.MULTILINE)
