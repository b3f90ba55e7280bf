import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as hs

from lora_viz.settings import Settings, parse_settings
from lora_viz.training.task import (
    TrainingSpec,
    loss_and_gradient,
    make_task,
    start_loss,
)
from lora_viz.training.text import budget_text, divergence_text, intro_text, sweep_caption
from lora_viz.training.view import training_spec
from lora_viz.training.train import (
    DIVERGENCE_FACTOR,
    at_rank,
    lora_factors_init,
    lora_gradients,
    train_everything,
    train_full,
    train_lora,
)


def spec(**changes) -> TrainingSpec:
    base = dict(d=24, k=20, alpha=8.0, seed=3, spectrum="power", spectrum_rank=3, decay=1.0, noise=0.0, steps=400, lr=0.02, trainer="adam")
    return TrainingSpec(**{**base, **changes})


def test_inputs_have_identity_covariance_and_target_is_normalised():
    task = make_task(spec())
    np.testing.assert_allclose(task.x @ task.x.T / task.n, np.eye(20), atol=1e-12)
    assert np.linalg.norm(task.delta_star) == pytest.approx(1.0)
    assert loss_and_gradient(task, np.zeros_like(task.w))[0] == pytest.approx(1.0)  # nothing learned yet


def test_loss_is_distance_to_the_effective_target_plus_a_floor():
    task = make_task(spec(noise=0.3))
    delta = np.random.default_rng(0).standard_normal(task.w.shape) * 0.1
    expected = np.sum((delta - task.target) ** 2) + task.floor
    assert loss_and_gradient(task, delta)[0] == pytest.approx(expected, rel=1e-10)


def _numeric_gradient(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        plus = f()
        x[index] = old - eps
        minus = f()
        x[index] = old
        grad[index] = (plus - minus) / (2 * eps)
    return grad


def test_full_gradient_matches_finite_differences():
    task = make_task(spec(d=6, k=5, noise=0.2))
    delta = np.random.default_rng(1).standard_normal(task.w.shape)
    _, analytic = loss_and_gradient(task, delta)
    numeric = _numeric_gradient(lambda: loss_and_gradient(task, delta)[0], delta)
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)


def test_lora_gradients_match_finite_differences():
    task = make_task(spec(d=6, k=5, noise=0.2))
    rng = np.random.default_rng(2)
    up, down, scale = rng.standard_normal((6, 3)), rng.standard_normal((3, 5)), 8 / 3
    _, g_up, g_down = lora_gradients(task, up, down, scale)
    loss = lambda: lora_gradients(task, up, down, scale)[0]  # noqa: E731
    np.testing.assert_allclose(g_up, _numeric_gradient(loss, up), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(g_down, _numeric_gradient(loss, down), rtol=1e-6, atol=1e-8)


def test_initialisation_as_in_the_paper():
    up, down = lora_factors_init(make_task(spec()), 4, seed=0)
    assert not up.any() and np.abs(down).max() <= 1 / np.sqrt(20)


def test_rank_s_target_low_rank_suffices_and_falls_short_below_s():
    """r ≥ s: near zero. r < s: within 1% of Eckart–Young.

    The loss starts at 1 (‖ΔW*‖ = 1), so 1e-3 is 0.1% of the change left unlearned after 400 Adam steps;
    below s the optimum is exactly (s − r)/s, and Adam gets within 1% of it.
    """
    task = make_task(spec(spectrum="rank", spectrum_rank=3))
    for r in (3, 5, 8):
        assert train_lora(task, r, 8.0, 400, 0.02, "adam", 3).losses[-1] < 1e-3
    for r in (1, 2):
        best = task.best_loss(r)
        assert best == pytest.approx((3 - r) / 3)
        assert best <= train_lora(task, r, 8.0, 400, 0.02, "adam", 3).losses[-1] <= 1.01 * best


def test_power_law_lora_approaches_its_bound_and_full_fine_tuning_reaches_the_floor():
    task = make_task(spec(noise=0.2))
    run = train_lora(task, 4, 8.0, 400, 0.02, "adam", 3)
    assert run.losses[-1] == pytest.approx(task.best_loss(4), rel=0.02)
    assert train_full(task, 400, 0.02, "adam").losses[-1] == pytest.approx(task.floor, abs=1e-6)


def test_plain_gradient_descent_also_learns():
    task = make_task(spec())
    run = train_lora(task, 4, 8.0, 300, 0.05, "gd", 3)
    assert run.losses[-1] < 0.5 * run.losses[0]


def test_same_seed_same_curves_and_other_seed_differs():
    a, b, c = (at_rank(train_everything(spec(d=12, k=10, seed=seed)), 4) for seed in (3, 3, 4))
    np.testing.assert_array_equal(a.lora.losses, b.lora.losses)
    np.testing.assert_array_equal([p.final_loss for p in a.sweep], [p.final_loss for p in b.sweep])
    assert not np.array_equal(a.lora.losses, c.lora.losses)


def test_each_rank_in_the_training_is_that_ranks_own_lora_run():
    task_spec = spec(d=12, k=10, steps=60)
    training = train_everything(task_spec)
    task = make_task(task_spec)
    for r in (1, 4, 10):
        run = train_lora(task, r, task_spec.alpha, task_spec.steps, task_spec.lr, task_spec.trainer, task_spec.seed)
        shown = at_rank(training, r)
        assert shown.r == r
        np.testing.assert_array_equal(shown.lora.losses, run.losses)
        np.testing.assert_allclose(shown.lora.singular_values, np.linalg.svd(run.delta, compute_uv=False))
    assert at_rank(training, 4096).r == 10  # a rank beyond the task shows the largest one


def test_sweep_covers_every_rank_with_bound_and_counts():
    result = train_everything(spec(d=12, k=10))
    assert len(result.runs) == 10
    assert [p.r for p in result.sweep] == list(range(1, 11))
    assert all(p.final_loss >= p.best_loss - 1e-9 for p in result.sweep)  # nobody beats Eckart–Young
    assert [p.trainable for p in result.sweep] == [r * 22 for r in range(1, 11)]


def test_progress_is_reported_up_to_done():
    shares = []
    train_everything(spec(d=8, k=8, steps=40), lambda share: shares.append(share) or True)
    assert shares == sorted(shares) and shares[-1] == pytest.approx(1.0)


def test_a_training_told_to_stop_keeps_the_ranks_it_trained_and_says_so():
    told = []
    training = train_everything(spec(d=8, k=8, steps=40), lambda share: told.append(share) or len(told) < 4)
    assert len(training.runs) == len(training.sweep) == 3 and training.budget_spent
    result = at_rank(training, 8)
    assert result.r == 3  # the rank shown is one that was trained
    assert "after ranks 1–3 of 8" in budget_text(result)
    assert budget_text(at_rank(train_everything(spec(d=8, k=8, steps=40)), 8)) == ""


def test_training_key_ignores_unrelated_settings():
    a = training_spec(Settings(dtype="fp32", notation="paper", model="gpt2", d=4096))
    b = training_spec(Settings(dtype="nf4", notation="card", model="bert-base", d=100))
    assert a == b  # both scaled to the 48×48 task


def test_training_cache_is_bounded_and_reused():
    from lora_viz.cache import RESULTS
    from lora_viz.training.view import TRAININGS

    def trained(key):
        with TRAININGS.ask(key, "a session", lambda job: train_everything(key, job.report)) as ticket:
            assert ticket.wait(60)
            return ticket.result()

    RESULTS.clear()
    first = trained(spec(d=6, k=6, steps=10))
    assert trained(spec(d=6, k=6, steps=10)) is first
    for seed in range(RESULTS.size + 4):
        trained(spec(d=4, k=4, steps=10, seed=seed))
    assert TRAININGS.done is RESULTS  # one cache for everything the pages build
    assert len(RESULTS) == RESULTS.size


# Crashing links found by hand: gradient descent at lr 0.09, or α 20, overflowed and the SVD of the result raised.
@pytest.mark.parametrize("query", [dict(trainer="gd", lr="0.09"), dict(trainer="gd", alpha="20"),
                                   dict(lr="1", alpha="65536", steps="300"), dict(trainer="gd", lr="1", alpha="65536", steps="300")])
def test_a_diverging_training_stops_with_finite_results_and_says_so(query):
    result = at_rank(train_everything(training_spec(parse_settings(query)[0])), 8)
    assert any(p.diverged_at is not None for p in result.sweep)
    for losses in (result.lora.losses, result.full.losses, *(run.losses for run in (result.full,))):
        assert losses.size >= 1 and np.isfinite(losses).all()
    assert all(np.isfinite(p.final_loss) for p in result.sweep)
    assert np.isfinite(result.lora.singular_values).all()
    text = divergence_text(result)
    assert "diverged" in text and "at step" in text and "Lower the learning rate" in text


def test_a_diverged_run_stops_at_the_step_whose_loss_left_the_bounds():
    task = make_task(training_spec(Settings(trainer="gd")))
    run = train_lora(task, 1, 8.0, 400, 0.09, "gd", 0)
    assert run.diverged_at is not None and run.losses.size == run.diverged_at
    assert run.losses.max() <= DIVERGENCE_FACTOR * run.losses[0]
    # One step more, trained by hand, leaves the bounds (or overflows).
    longer = train_lora(task, 1, 8.0, run.diverged_at, 0.09, "gd", 0)
    assert longer.diverged_at == run.diverged_at


def test_a_stable_training_reports_no_divergence():
    assert divergence_text(at_rank(train_everything(spec(d=12, k=10)), 4)) == ""


training_specs = hs.builds(
    TrainingSpec,
    d=hs.integers(1, 12), k=hs.integers(1, 12), alpha=hs.floats(1e-3, 65_536.0), seed=hs.integers(0, 2**31 - 1),
    spectrum=hs.sampled_from(["rank", "power", "noise"]), spectrum_rank=hs.integers(1, 48), decay=hs.floats(0.0, 4.0),
    noise=hs.floats(0.0, 2.0), steps=hs.integers(10, 400), lr=hs.floats(1e-5, 1.0), trainer=hs.sampled_from(["adam", "gd"]),
)


@hyp_settings(max_examples=200 if os.environ.get("LORA_VIZ_FULL") == "1" else 25, deadline=None, database=None)
@given(training_specs, hs.integers(1, 48))
def test_every_training_setting_gives_finite_numbers_and_true_text(training, r):
    result = at_rank(train_everything(training), r)
    for values in (result.lora.losses, result.full.losses, result.lora.singular_values, [p.final_loss for p in result.sweep]):
        assert np.isfinite(values).all()
    assert all(p.final_loss >= p.best_loss - 1e-9 * max(1.0, p.best_loss) for p in result.sweep if p.diverged_at is None)
    for text in (divergence_text(result), sweep_caption(result), intro_text(result.task, "A×B")):
        assert "nan" not in text and "inf" not in text


def test_the_introduction_states_the_starting_loss_of_this_task():
    clean, noisy = make_task(spec(noise=0.0)), make_task(spec(noise=0.5))
    assert "starts at 1" in intro_text(clean, "A×B") and "beyond its r-th singular value" in intro_text(clean, "A×B")
    assert start_loss(noisy) > 1.1  # the noise adds to the loss before training
    text = intro_text(noisy, "A×B")
    assert f"starts at {start_loss(noisy):.3g}, not 1" in text and f"c = {noisy.floor:.3g}" in text


def test_the_sweep_caption_says_what_the_exact_rank_case_reached():
    short = at_rank(train_everything(spec(spectrum="rank", spectrum_rank=4, steps=20)), 4)
    assert "not at it yet" in sweep_caption(short)
    long = at_rank(train_everything(spec(d=12, k=10, spectrum="rank", spectrum_rank=2, steps=2000, lr=0.05)), 2)
    assert "it reached the optimum" in sweep_caption(long)


def test_pissa_starts_from_ws_top_singular_vectors_with_the_model_unchanged():
    """PiSSA's factors hold W's top-r singular part, which the residual base gives up: ΔW = 0 at the start, so its
    loss starts where LoRA's does; and its adapter's singular values are W's top r (what the spectrum marks)."""
    from lora_viz.training.task import w_singular_values
    from lora_viz.training.train import pissa_factors_init, train_lora

    task = make_task(spec(d=20, k=16))
    up, down = pissa_factors_init(task, 5, 8.0)
    np.testing.assert_allclose(np.linalg.svd(8.0 / 5 * up @ down, compute_uv=False)[:5], w_singular_values(task)[:5], rtol=1e-10)
    runs = {v: train_lora(task, 5, 8.0, 50, 0.02, "adam", 0, v) for v in ("lora", "pissa")}
    assert runs["pissa"].losses[0] == pytest.approx(runs["lora"].losses[0], rel=1e-12)
    assert not np.allclose(runs["pissa"].losses[1:], runs["lora"].losses[1:])  # a different start trains differently


def test_rsloras_scaling_and_lora_plus_change_the_training_as_they_should():
    from lora_viz.training.train import train_lora

    task = make_task(spec(d=24, k=24))
    # With gradient descent, ΔW's first step is scale²·(its gradient through the factors): rsLoRA at r = 16 is
    # (α/√r)² / (α/r)² = r = 16 times LoRA's.
    first = {v: train_lora(task, 16, 8.0, 1, 1e-3, "gd", 0, v).delta for v in ("lora", "rslora")}
    assert np.linalg.norm(first["rslora"]) == pytest.approx(16 * np.linalg.norm(first["lora"]), rel=1e-9)
    # LoRA+: the output-side factor starts at zero, so its first step is all ΔW's first step moves: ratio times larger.
    plus = train_lora(task, 4, 8.0, 1, 1e-3, "gd", 0, lr_ratio=16.0).delta
    plain = train_lora(task, 4, 8.0, 1, 1e-3, "gd", 0).delta
    np.testing.assert_allclose(plus, 16 * plain, rtol=1e-9)


def test_the_variants_train_at_the_shown_rank_with_the_sweeps_optimizer():
    from lora_viz.training.text import variants_text
    from lora_viz.training.train import at_rank, train_everything, train_variants

    s = spec(d=12, k=10, steps=60, lr_ratio=4.0)
    variants = train_variants(s, 3)
    assert variants.r == 3 and set(variants.runs) == {"rslora", "pissa"}
    assert all(run.losses.size == 61 for run in variants.runs.values())
    text = variants_text(at_rank(train_everything(s), 3), variants)
    assert "At r = 3, after 60 steps" in text and "learns 4× faster" in text
