import numpy as np
import pytest

from lora_viz.settings import Settings
from lora_viz.training import (
    TrainingSpec,
    at_rank,
    lora_factors_init,
    lora_gradients,
    loss_and_gradient,
    make_task,
    train_everything,
    train_full,
    train_lora,
    training_spec,
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
    train_everything(spec(d=8, k=8, steps=40), shares.append)
    assert shares == sorted(shares) and shares[-1] == pytest.approx(1.0)


def test_training_key_ignores_unrelated_settings():
    a = training_spec(Settings(dtype="fp32", notation="paper", model="gpt2", d=4096))
    b = training_spec(Settings(dtype="nf4", notation="card", model="bert-base", d=100))
    assert a == b  # both scaled to the 48×48 task


def test_training_cache_is_bounded_and_reused():
    from lora_viz.ui import page_controls

    page_controls.clear_training_cache()
    first = page_controls._TRAINED.get(spec(d=6, k=6, steps=10), lambda: train_everything(spec(d=6, k=6, steps=10)))
    assert page_controls._TRAINED.get(spec(d=6, k=6, steps=10), lambda: None) is first
    for seed in range(40):
        page_controls._TRAINED.get(spec(d=4, k=4, steps=10, seed=seed), lambda: train_everything(spec(d=4, k=4, steps=10, seed=seed)))
    assert len(page_controls._TRAINED) == page_controls._TRAINED.size
