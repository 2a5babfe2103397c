"""Package pieces behind lessons 3-5's claims: element-wise clipping and its direction, several
training budgets from one run, the exact recurrence of a sum of sines, the LSTM's gradient routes,
the forget-gate readout and the per-unit share of lesson 3's heat map."""

import numpy as np
import pytest

from rnn_course import experiments, gradient_flow, lstm, model, optim, tasks
from rnn_course.train import train
from rnn_course.widgets import gate_explorer as gx
from rnn_course.widgets import gradient_flow as gw


def test_element_wise_clipping_cuts_entries_and_turns_the_direction():
    grads = {"W": np.array([[10.0, 0.1], [-7.0, 0.0]]), "b": np.array([0.5])}
    clipped, norm = optim.clip_grad_value(grads, 5.0)
    np.testing.assert_array_equal(clipped["W"], [[5.0, 0.1], [-5.0, 0.0]])
    assert norm == pytest.approx(optim.global_norm(grads))
    assert optim.cosine(grads, clipped) < 0.999                    # the direction changed
    by_norm, _ = optim.clip_grad_norm(grads, 5.0)
    assert optim.cosine(grads, by_norm) == pytest.approx(1.0)     # norm clipping keeps it
    assert grads["W"][0, 0] == 10.0                                # the input is left alone
    with pytest.raises(ValueError, match="positive"):
        optim.clip_grad_value(grads, 0)


def _batches(T=6, B=4):
    def make_batch(rng):
        return tasks.adding_problem(T, B, rng)
    return make_batch


def test_train_records_clipping_cosines_and_snapshots():
    params = model.init_params("rnn", 2, 8, 1, seed=0)
    result = train(params, _batches(), steps=6, clip_value=0.01, snapshots=(2, 6), progress=False)
    assert len(result.clip_cosines) == 6 and all(-1 <= c <= 1 for c in result.clip_cosines)
    assert min(result.clip_cosines) < 1 - 1e-6
    assert sorted(result.snapshots) == [2, 6]
    for k in result.params:
        np.testing.assert_array_equal(result.snapshots[6][k], result.params[k])
    again = train(params, _batches(), steps=2, clip_value=0.01, progress=False)
    for k in again.params:                                          # a snapshot is the shorter run
        np.testing.assert_allclose(result.snapshots[2][k], again.params[k])
    with pytest.raises(ValueError, match="not both"):
        train(params, _batches(), steps=2, clip=1.0, clip_value=1.0, progress=False)
    with pytest.raises(ValueError, match="snapshots"):
        train(params, _batches(), steps=2, snapshots=(3,), progress=False)


def test_a_sum_of_two_sines_obeys_an_exact_order_four_recurrence():
    clean = tasks.noisy_sines(300, np.random.default_rng(4), noise=0.0)
    a = experiments.sines_recurrence((20.0, 7.0))
    assert a.shape == (4,)
    predicted = sum(a[k] * clean[3 - k: len(clean) - k - 1] for k in range(4))
    np.testing.assert_allclose(predicted, clean[4:], atol=1e-10)


def test_linear_forecaster_recovers_the_recurrence_and_rolls_out():
    clean = tasks.noisy_sines(400, np.random.default_rng(5), noise=0.0)
    coefs = experiments.fit_linear_forecaster(clean, 4)
    np.testing.assert_allclose(coefs, experiments.sines_recurrence((20.0, 7.0)), atol=1e-6)
    contexts = np.stack([clean[100:124], clean[200:224]], axis=1)       # (24, 2)
    out = experiments.linear_rollout(coefs, contexts, 10)
    np.testing.assert_allclose(out, np.stack([clean[124:134], clean[224:234]], axis=1), atol=1e-6)


def test_lstm_routes_split_the_real_gradient():
    x, _ = tasks.adding_problem(30, 4, rng=0)
    params = lstm.init_params(2, 5, seed=0, forget_bias=1.0)
    routes = gradient_flow.lstm_gradient_routes(params, x)
    assert routes.total[0] == pytest.approx(1.0) and routes.cell_path[0] == pytest.approx(1.0)
    assert np.all(routes.cell_path[1:] <= routes.total[1:] * 10)
    # with the recurrent weights at zero and one unit, the cell path is the only route back
    single = {"W_x": params["W_x"][::5][:, :], "W_h": np.zeros((4, 1)), "b": params["b"][::5]}
    alone = gradient_flow.lstm_gradient_routes(single, x)
    np.testing.assert_allclose(alone.cell_share[:-1], 1.0, rtol=1e-9)


def test_forget_readout_tells_apart_what_the_trace_cannot():
    short = gx.forget_readout(np.full(80, 0.95))
    long = gx.forget_readout(np.full(80, 0.99995))
    assert "f = 0.9500," in short and "14 steps" in short
    assert "f = 0.9999500," in long and "13,863 steps" in long
    assert "f = 0.9999546," in gx.forget_readout(np.full(80, 1 / (1 + np.exp(-10.0))))   # sigma(10), not 0.99995
    assert "keeps everything" in gx.forget_readout(np.ones(80))
    assert "wiped" in gx.forget_readout(np.zeros(80))


def test_the_explorer_readout_follows_the_forget_bias():
    explorer = gx.GateExplorer()
    explorer.set_values({"f_bias": 3.0})
    three = explorer.forget_text.get_text()
    explorer.set_values({"f_bias": 10.0})
    ten = explorer.forget_text.get_text()
    assert three != ten and "15,2" in ten                           # sigma(10): about 15,262 steps
    assert three == gx.forget_readout(explorer.data["f"] * 0 + 1 / (1 + np.exp(-3.0)))


def test_heat_map_shows_each_units_share_not_the_common_decay():
    data = gw.flow_data(0.7, 30)
    share = data["share"]
    np.testing.assert_allclose(share.max(axis=0), 0.0)
    np.testing.assert_allclose(share, data["heat"] - data["heat"].max(axis=0))
    assert share.min() < -0.5                                       # units differ within a lag


def test_gradient_routes_figure_draws_totals_cell_paths_and_shares():
    import matplotlib.pyplot as plt

    from rnn_course.plots import gradient_routes_figure

    x, _ = tasks.adding_problem(20, 3, rng=0)
    routes = {b: gradient_flow.lstm_gradient_routes(lstm.init_params(2, 4, seed=0, forget_bias=b), x)
              for b in (0.0, 1.0)}
    lags = np.arange(20)
    fig = gradient_routes_figure(lags, 0.5 ** lags, routes)
    try:
        ax, ax_share = fig.axes
        assert ax.get_yscale() == "log" and len(ax.lines) == 1 + 2 * 2
        np.testing.assert_allclose(ax.lines[3].get_ydata(), routes[1.0].total)
        np.testing.assert_allclose(ax.lines[4].get_ydata(), routes[1.0].cell_path)
        assert ax.lines[3].get_color() == ax.lines[4].get_color() and ax.lines[4].get_linestyle() == ":"
        np.testing.assert_allclose(ax_share.lines[1].get_ydata(), routes[1.0].cell_share)
    finally:
        plt.close(fig)
