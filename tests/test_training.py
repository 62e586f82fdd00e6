"""The training skeleton: schedules, budget, held-out check, the staged write of a full trainer, the command line."""

import json
import math
import os
import shutil
import stat
import subprocess
import sys

import pytest

from workshop_kit import shipped
from workshop_kit.errors import MissingModelError, ParameterError
from workshop_kit.mesh import shape_space as ss
from workshop_kit.mesh import train_shapes as ts
from workshop_kit.training import BestState, Budget, Schedule, check_minutes, command, folder_note, output_folder


def test_importing_the_trainers_loads_nothing_heavy():
    code = ("import sys, workshop_kit.training, workshop_kit.music.train_melody, workshop_kit.music.finetune, "
            "workshop_kit.image.train_motifs, workshop_kit.image.finetune, workshop_kit.image.motif_classifier, "
            "workshop_kit.mesh.train_shapes; "
            "print(sorted(m for m in ('torch', 'diffusers', 'transformers', 'tqdm') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ------------------------------------------------------------------------------------------------ schedules
def test_cosine_warms_up_then_decays_to_its_floor():
    schedule = Schedule("cosine", peak=1e-3, warmup=10, total=110, floor=0.1)
    assert schedule.lr(0) == pytest.approx(1e-4)
    assert schedule.lr(4) == pytest.approx(5e-4)
    assert schedule.lr(9) == pytest.approx(1e-3)
    assert schedule.lr(60) == pytest.approx(5.5e-4)  # half way down the cosine
    assert schedule.lr(110) == pytest.approx(1e-4) and schedule.lr(5000) == pytest.approx(1e-4)
    rates = [schedule.lr(s) for s in range(120)]
    assert all(a < b for a, b in zip(rates[:9], rates[1:10]))
    assert all(a >= b for a, b in zip(rates[9:], rates[10:]))


def test_cosine_can_follow_a_time_budget():
    schedule = Schedule("cosine", peak=6e-4, warmup=200, floor=0.05)
    assert schedule.lr(99, progress=0.0) == pytest.approx(3e-4)  # the warm-up multiplies the cosine
    assert schedule.lr(5000, progress=0.5) == pytest.approx(6e-4 * (0.05 + 0.95 * 0.5))
    assert schedule.lr(9000, progress=1.2) == pytest.approx(6e-4 * 0.05)
    with pytest.raises(ParameterError, match="progress"):
        schedule.lr(10)


def test_constant_after_warm_up():
    schedule = Schedule("constant", peak=5e-4, warmup=10)
    assert [schedule.lr(s) for s in (0, 4, 9, 10, 10_000)] == pytest.approx([5e-5, 2.5e-4, 5e-4, 5e-4, 5e-4])
    assert schedule.momentum(3) is None


def test_one_cycle_is_torchs_one_cycle():
    import torch

    for steps in (520, 97):
        net = torch.nn.Linear(3, 2)
        opt = torch.optim.AdamW(net.parameters(), lr=3e-3)
        reference = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=steps, pct_start=0.15)
        schedule = Schedule("one-cycle", peak=3e-3, warmup=0.15 * steps, total=steps)
        for step in range(steps):
            group = opt.param_groups[0]
            assert schedule.lr(step) == pytest.approx(group["lr"], rel=1e-12)
            assert schedule.momentum(step) == pytest.approx(group["betas"][0], rel=1e-12)
            opt.step()
            reference.step()
    other = torch.optim.AdamW(torch.nn.Linear(3, 2).parameters(), lr=1.0)
    assert Schedule("one-cycle", peak=3e-3, warmup=15, total=100).apply(other, 0) == pytest.approx(3e-3 / 25)
    assert other.param_groups[0]["betas"][0] == pytest.approx(0.95)


@pytest.mark.parametrize("options", [{"kind": "linear"}, {"peak": 0}, {"warmup": -1}, {"floor": 2.0},
                                     {"total": 0}, {"kind": "one-cycle", "total": None}])
def test_bad_schedules_are_refused(options):
    with pytest.raises(ParameterError):
        Schedule(**{"kind": "cosine", "peak": 1e-3, "total": 100, **options})


# ---------------------------------------------------------------------------------------- budget, patience
def test_the_budget_stops_the_loop():
    now = [100.0]
    budget = Budget(0.5, clock=lambda: now[0])
    steps = 0
    while not budget.spent:
        steps += 1
        now[0] += 2.0  # each step takes two seconds
    assert steps == 15 and budget.elapsed == 30.0 and budget.fraction == 1.0
    unlimited = Budget(None)
    assert not unlimited.spent and unlimited.fraction == 0.0


def test_check_minutes_names_the_range():
    assert check_minutes(2, high=5) == 2.0 and check_minutes(None, high=5, optional=True) is None
    for bad in (0, -1, 6, float("nan"), "3", True):
        with pytest.raises(ParameterError, match="above 0 and at most 5"):
            check_minutes(bad, high=5)
    with pytest.raises(ParameterError, match="from 0.5 to 120"):
        check_minutes(0.2, low=0.5, high=120)


def test_patience_keeps_the_best_state():
    import torch

    net = torch.nn.Linear(2, 1)
    best = BestState(patience=2, min_delta=1e-3)
    kept = None
    for epoch, score in enumerate([3.0, 2.0, 2.0005, 2.5], start=1):
        with torch.no_grad():
            net.weight.fill_(float(epoch))
        if best.check(score, net, at=epoch):
            kept = net.weight.detach().clone()
        if best.exhausted:
            break
    assert epoch == 4 and best.at == 2 and best.score == 2.0 and best.bad == 2  # 2.0005 is no real improvement
    best.restore(net)
    assert torch.equal(net.weight, kept) and float(net.weight.detach()[0, 0]) == 2.0
    assert not BestState().exhausted and BestState().restore(net) is net


# ------------------------------------------------------------------------------------------ where it writes
def test_full_trainers_write_the_shipped_folder_unless_told(monkeypatch, tmp_path):
    for key in ("melody", "motif-diffusion", "motif-classifier", "shape-space"):
        model = shipped.SHIPPED[key]
        monkeypatch.setenv(model.env_var, str(tmp_path / "elsewhere"))  # what the kit reads, not where it trains
        assert output_folder(model, None) == model.shipped_folder()
        assert output_folder(model, tmp_path / "mine") == tmp_path / "mine"
        assert "elsewhere" in folder_note(model, tmp_path / "mine")
        monkeypatch.delenv(model.env_var)
        assert folder_note(model, model.shipped_folder()) == ""
        assert model.env_var in folder_note(model, tmp_path / "mine")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ParameterError, match="this is a file"):
        output_folder(ss.MODEL, tmp_path / "file")


@pytest.fixture
def small_shapes(monkeypatch):
    """The shape-space trainer on a few hundred outlines (the shipped one makes 28 000)."""
    monkeypatch.setattr(ts, "N_TRAIN", 600)
    monkeypatch.setattr(ts, "N_VAL", 100)
    monkeypatch.setattr(ts, "N_TEST", 100)
    return ts


def test_a_full_trainer_replaces_its_folder_with_a_manifest(small_shapes, tmp_path):
    out = tmp_path / "shape-space"
    shutil.copytree(ss.MODEL.shipped_folder(), out)
    (out / "stale.txt").write_text("from an older training", encoding="utf-8")
    metrics = small_shapes.train(out_dir=out, steps=100, progress=False)
    assert not (out / "stale.txt").exists()  # the folder was replaced, not written into
    assert ss.MODEL.verify(out) == [] and json.loads((out / "MANIFEST.json").read_text())["model"] == "shape-space"
    assert json.loads((out / "metrics.json").read_text()) == metrics
    assert metrics["training"]["steps"] == 100 and metrics["training"]["stopped"] == "all steps done"
    assert [p.name for p in tmp_path.iterdir()] == ["shape-space"]
    if os.name == "posix":  # as readable as the folder it replaced, not only by its owner as a temporary folder is
        assert stat.S_IMODE(out.stat().st_mode) == stat.S_IMODE(ss.MODEL.shipped_folder().stat().st_mode)
        assert all(p.stat().st_mode & 0o444 == 0o444 for p in out.iterdir())
    assert ss.load_model(str(out)).decode(ss.load_model(str(out)).encode(ss.preset_profile("vase"))).shape[-1] == 64


def test_the_budget_stops_a_full_trainer(small_shapes, tmp_path):
    metrics = small_shapes.train(out_dir=tmp_path / "s", steps=200_000, minutes=0.01, progress=False)
    assert metrics["training"]["stopped"] == "time budget spent"
    assert 1 <= metrics["training"]["steps"] < 200_000
    assert metrics["training"]["history"][-1]["step"] == metrics["training"]["steps"]  # checked when it stopped


def test_a_failure_while_writing_leaves_the_previous_model_intact(small_shapes, fails_while_writing):
    fails_while_writing(ss.MODEL.shipped_folder(), small_shapes,
                        lambda previous: small_shapes.train(out_dir=previous, steps=100, progress=False))


# ------------------------------------------------------------------------------------------------ command line
def test_command_exit_status_and_one_line(capsys):
    def run(args):
        if args.seed == 1:
            raise MissingModelError("No model here", "Pas de modèle ici")
        if args.seed == 2:
            raise ParameterError("seed", 2, "anything but 2")
        return f"done in {args.minutes} min, out={args.out}"

    main = command("demo-train", "A demo.", run, minutes=3.0, minutes_help="minutes", out_help="folder")
    assert main(["--out", "x"]) == 0 and capsys.readouterr().out == "done in 3.0 min, out=x\n"
    for argv, status, words in ((["--seed", "1"], 1, "No model here"), (["--seed", "2"], 2, "seed=2"),
                                (["--minutes", "soon"], 2, "--minutes"), (["--colour", "red"], 2, "--colour")):
        assert main(argv) == status
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and words in err and err.startswith("demo-train: ")
    assert main(["--help"]) == 0 and "--quiet" in capsys.readouterr().out


def test_a_bad_argument_is_refused_before_any_work(tmp_path, capsys):
    for argv, words in ((["--steps", "5"], "steps=5"), (["--minutes", "nan"], "minutes=nan"),
                        (["--steps", "many"], "--steps"), (["--extra", str(tmp_path / "none.npy")], "extra=")):
        assert ts.main([*argv, "--out", str(tmp_path / "out"), "--quiet"]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and words in err
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------- the melody model
@pytest.fixture
def tiny_corpus(monkeypatch):
    """120 tunes (the shipped held-out sample) in place of the parsed folk-tune corpus."""
    from workshop_kit.music import corpus
    from workshop_kit.music import melody_model as mm

    lines = (mm.MODEL.shipped_folder() / mm.HELDOUT_FILE).read_text(encoding="utf-8").splitlines()
    tunes = [corpus.Tune(tune_id, tune_id.split("/")[0], ("validation", "test", *["train"] * 8)[i % 10],
                         tuple(words.split()))
             for i, (tune_id, words) in enumerate(line.split("\t", 1) for line in lines)]
    monkeypatch.setattr(corpus, "load_corpus", lambda **_: corpus.Corpus(tunes))
    return tunes


@pytest.mark.slow
def test_the_melody_trainer_writes_a_model_that_samples(tiny_corpus, tmp_path):
    from workshop_kit.music import melody_model as mm
    from workshop_kit.music.train_melody import train

    out = tmp_path / "melody"
    metrics = train(out_dir=out, minutes=0.5, seed=0, progress=False, n_embd=32, n_layer=1, n_head=2,
                    eval_every=5, patience=2)
    assert mm.MODEL.verify(out) == [] and [p.name for p in tmp_path.iterdir()] == ["melody"]
    t = metrics["training"]
    assert t["stopped"] in ("budget", "schedule finished", "early stop (validation loss no longer improving)")
    assert t["best_val_nll_float32"] == pytest.approx(min(h["val_nll"] for h in t["history"]), abs=1.1e-3)
    assert math.isfinite(metrics["nll_nats_per_token"]["test"]["model"])
    card = (out / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert card.startswith("# Melody model (embedded)") and "| GPT-2 melody model |" in card
    assert len(mm.sample(n_tokens=32, seed=0, path=out, device="cpu").tokens) > 0


def test_the_motif_classifier_trains_into_a_staged_folder(tmp_path):
    from workshop_kit.image import motif_classifier as mc
    from workshop_kit.image import motif_diffusion as md

    out = tmp_path / "classifier"
    metrics = mc.train(out_dir=out, per_class=20, heldout_per_class=10, epochs=2, progress=False)
    assert mc.MODEL.verify(out) == [] and [p.name for p in tmp_path.iterdir()] == ["classifier"]
    assert metrics["training"]["steps"] == 2 * (20 * len(md.CLASSES) // 64)
    assert metrics["training"]["stopped"] == "all epochs done"
    cells = md.procedural_cells("yaz", n=2, seed=5)
    assert mc.classify(cells, path=out).shape == (2,)
    assert "Motif classifier" in (out / "MODEL_CARD.md").read_text(encoding="utf-8")
