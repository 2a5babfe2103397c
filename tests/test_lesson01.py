"""Lesson 1: the two-layer network, its exercise checkers, its widgets and its diagram."""

import json
import math
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from learner_copies import typed  # noqa: E402

from rnn_course import activations, mlp, palette  # noqa: E402
from rnn_course.diagrams.network import draw_network, layer_positions  # noqa: E402
from rnn_course.exercises import check, help_markdown  # noqa: E402
from rnn_course.exercises import lesson01 as L  # noqa: E402
from rnn_course.gradcheck import gradcheck  # noqa: E402
from rnn_course.widgets import live, neuron  # noqa: E402

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "01_neural_networks.ipynb"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


class strict:
    """Every warning, and every NumPy floating-point problem, becomes an error inside the block."""

    def __enter__(self):
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("error")
        self._errstate = np.errstate(all="raise", under="ignore")
        self._errstate.__enter__()

    def __exit__(self, *exc):
        self._errstate.__exit__(*exc)
        return self._warnings.__exit__(*exc)


# --- rnn_course.mlp ---------------------------------------------------------------------


def test_init_params_shapes_and_seed():
    p = mlp.init_params(3, 5, 2, seed=7)
    assert {k: v.shape for k, v in p.items()} == {"W1": (5, 3), "b1": (5,), "W2": (2, 5), "b2": (2,)}
    assert np.array_equal(p["W1"], mlp.init_params(3, 5, 2, seed=7)["W1"])
    assert not np.array_equal(p["W1"], mlp.init_params(3, 5, 2, seed=8)["W1"])
    assert np.abs(p["W1"]).max() <= 1 / np.sqrt(3) and np.abs(p["W2"]).max() <= 1 / np.sqrt(5)
    with pytest.raises(ValueError, match="at least 1"):
        mlp.init_params(0, 4)


def test_forward_matches_the_equations(rng):
    p = mlp.init_params(3, 4, 2, seed=1)
    p["b1"] = rng.normal(size=4)
    X = rng.normal(size=(6, 3))
    Z2, _ = mlp.forward(p, X)
    expected = np.tanh(X @ p["W1"].T + p["b1"]) @ p["W2"].T + p["b2"]
    np.testing.assert_allclose(Z2, expected)
    Z2_relu, _ = mlp.forward(p, X, activation="relu")
    np.testing.assert_allclose(Z2_relu, np.maximum(X @ p["W1"].T + p["b1"], 0) @ p["W2"].T + p["b2"])


@pytest.mark.parametrize("change, message", [
    (lambda p, X: (p, X[:, :2]), r"X should have shape \(N, D\) with D = 3"),
    (lambda p, X: ({**p, "b1": np.zeros(5)}, X), r"b1 should have shape \(H,\) with H = 4"),
    (lambda p, X: ({**p, "W2": np.zeros((2, 3))}, X), r"W2 should have shape \(O, H\) with H = 4"),
    (lambda p, X: ({**p, "b2": np.zeros(3)}, X), r"b2 should have shape \(O,\) with O = 2"),
    (lambda p, X: ({k: v for k, v in p.items() if k != "W2"}, X), "missing W2"),
    (lambda p, X: ({**p, "W1": np.zeros(3)}, X), r"W1 should have shape \(H, D\)"),
])
def test_forward_rejects_wrong_shapes_with_a_clear_message(change, message):
    p, X = change(mlp.init_params(3, 4, 2), np.zeros((6, 3)))
    with pytest.raises(ValueError, match=message):
        mlp.forward(p, X)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_backward_passes_gradcheck(activation, rng):
    X = rng.normal(size=(7, 3))
    Y = (rng.uniform(size=(7, 2)) > 0.5).astype(float)
    p = mlp.init_params(3, 5, 2, seed=3)
    p["b1"], p["b2"] = rng.normal(size=5), rng.normal(size=2)
    _, grads = mlp.loss_and_grads(p, X, Y, activation)
    errors = gradcheck(lambda q: mlp.loss_and_grads(q, X, Y, activation)[0], p, grads)
    assert max(errors.values()) < 1e-6, errors


def test_backward_rejects_a_gradient_of_the_wrong_shape():
    _, cache = mlp.forward(mlp.init_params(2, 3), np.zeros((4, 2)))
    with pytest.raises(ValueError, match=r"dZ2 should have shape \(N, O\)"):
        mlp.backward(np.zeros((4, 2)), cache)


def test_bce_with_logits_equals_the_textbook_formula_and_stays_finite():
    z = np.array([[-3.0], [-0.2], [0.0], [1.5]])
    y = np.array([[0.0], [1.0], [1.0], [0.0]])
    p = 1 / (1 + np.exp(-z))
    loss, dz = mlp.bce_with_logits(z, y)
    assert loss == pytest.approx(float(np.mean(-y * np.log(p) - (1 - y) * np.log(1 - p))))
    np.testing.assert_allclose(dz, (p - y) / 4)
    with strict():
        big_loss, big_dz = mlp.bce_with_logits(np.array([[1000.0], [-1000.0]]), np.array([[0.0], [1.0]]))
    assert big_loss == pytest.approx(1000.0) and np.allclose(big_dz, [[0.5], [-0.5]])
    with pytest.raises(ValueError, match="targets should have the logits' shape"):
        mlp.bce_with_logits(z, y[:, 0])


def test_training_solves_xor_and_is_deterministic():
    p0 = mlp.init_params(2, 4, seed=0)
    params, losses, snapshots = mlp.train(p0, mlp.XOR_X, mlp.XOR_Y, steps=400, lr=0.5, momentum=0.9,
                                          snapshot_every=100)
    assert losses[-1] < 0.05 < losses[0]
    assert mlp.accuracy(params, mlp.XOR_X, mlp.XOR_Y) == 1.0
    assert [s for s, _ in snapshots] == [0, 100, 200, 300, 400]
    np.testing.assert_array_equal(snapshots[-1][1]["W1"], params["W1"])
    np.testing.assert_array_equal(snapshots[0][1]["W1"], p0["W1"])     # the input is not changed
    again, losses_again, _ = mlp.train(p0, mlp.XOR_X, mlp.XOR_Y, steps=400, lr=0.5, momentum=0.9)
    assert losses == losses_again
    with pytest.raises(ValueError, match=r"Y should have the outputs' shape \(N, O\) = \(4, 1\)"):
        mlp.accuracy(params, mlp.XOR_X, mlp.XOR_Y[:, 0])
    with pytest.raises(ValueError, match="steps must be at least 1"):
        mlp.train(p0, mlp.XOR_X, mlp.XOR_Y, steps=0)


def test_one_hidden_unit_cannot_learn_xor():
    params, _, _ = mlp.train(mlp.init_params(2, 1, seed=0), mlp.XOR_X, mlp.XOR_Y, steps=400)
    assert mlp.accuracy(params, mlp.XOR_X, mlp.XOR_Y) <= 0.75


def test_two_spirals():
    X, Y = mlp.two_spirals(50, rng=np.random.default_rng(0))
    assert X.shape == (100, 2) and Y.shape == (100, 1)
    assert Y.sum() == 50 and set(np.unique(Y)) == {0.0, 1.0}
    X2, _ = mlp.two_spirals(50, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(X, X2)
    clean, _ = mlp.two_spirals(50, rng=0, noise=0.0)
    np.testing.assert_allclose(clean[50:], -clean[:50], atol=1e-12)     # class 1 is class 0 turned by pi
    radius = np.linalg.norm(clean, axis=1)
    assert radius.min() == pytest.approx(0.1) and radius.max() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="n_per_class"):
        mlp.two_spirals(0)


def test_grid_reshapes_row_by_row():
    xs, ys, points = mlp.grid((0, 1), (0, 2), n=5)
    assert points.shape == (25, 2)
    np.testing.assert_array_equal(points[:, 0].reshape(5, 5)[0], xs)
    np.testing.assert_array_equal(points[:, 1].reshape(5, 5)[:, 0], ys)


# --- exercises --------------------------------------------------------------------------


def _placeholder(*args):
    raise NotImplementedError


def _result(name, answer):
    result = check(name, answer)
    return result.status, result.message


@pytest.mark.parametrize("name, solution", [("01.stable_sigmoid", L.stable_sigmoid),
                                            ("01.dense_forward", L.dense_forward),
                                            ("01.dense_backward", L.dense_backward),
                                            ("01.xor_by_hand", L.xor_params)])
def test_checker_accepts_the_solution_and_waits_for_the_placeholder(name, solution):
    assert _result(name, typed(solution))[0] == "correct"
    assert _result(name, solution) == ("wrong", f"your function calls {solution.__module__}.{solution.__name__}, "
                                                "the course's own; write the computation yourself.")
    assert _result(name, _placeholder)[0] == "not attempted"


def test_solution_matches_the_package_sigmoid():
    z = np.linspace(-800, 800, 101)
    with strict():
        np.testing.assert_allclose(L.stable_sigmoid(z), activations.sigmoid(z))


@pytest.mark.parametrize("answer, says", [
    (lambda z: 1 / (1 + np.exp(-z)), "overflow"),
    (lambda z: np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z))), "np.where"),
    (lambda z: np.exp(z) / (1 + np.exp(z)), "overflow"),
    (np.tanh, "that is tanh"),
    (lambda z: 1 / (1 + np.exp(z)), "sign of z is flipped"),
    (lambda z: 0.5, "has shape ()"),
    (lambda z: None, "forget to `return`"),
    (lambda z: z, "for z = -2 the sigmoid is 0.119, but your function gives -2"),
    (lambda z: np.where(z >= 0, 1 / (1 + np.exp(-np.abs(z))), 1 / (1 + np.exp(-np.abs(z)))), "only for negative z"),
    (lambda z: 1 / (1 + math.exp(-z)), "use np.exp"),
    (lambda z: 1 / (1 + np.exp(-z)) if z >= 0 else 0.0, "use np.exp"),
])
def test_stable_sigmoid_checker_explains_typical_mistakes(answer, says):
    status, message = _result("01.stable_sigmoid", answer)
    assert status == "wrong"
    assert says in message, message


def test_stable_sigmoid_checker_catches_nan_and_in_place_changes():
    def nan_at_the_ends(z):
        out = activations.sigmoid(z)
        return np.where(np.abs(z) > 500, np.nan, out)

    def in_place(z):
        z = np.asarray(z)
        z[...] = activations.sigmoid(z)
        return z

    assert "NaN" in _result("01.stable_sigmoid", nan_at_the_ends)[1]
    assert "in place" in _result("01.stable_sigmoid", in_place)[1]


@pytest.mark.parametrize("answer, says", [
    (lambda X, W, b: np.tanh(X @ W + b), "X @ W.T"),
    (lambda X, W, b: np.tanh(W @ X.T), "transposed"),
    (lambda X, W, b: np.tanh(X @ W.T), "forgot the bias"),
    (lambda X, W, b: np.tanh(X @ W.T) + b, "after tanh"),
    (lambda X, W, b: np.tanh(X @ W.T - b), "subtracted the bias"),
    (lambda X, W, b: X @ W.T + b, "forgot the activation"),
    (lambda X, W, b: activations.sigmoid(X @ W.T + b), "used the sigmoid"),
    (lambda X, W, b: np.maximum(X @ W.T + b, 0), "used ReLU"),
    (lambda X, W, b: np.tanh(X[0] @ W.T + b), "expected (5, 4)"),
    (lambda X, W, b: np.tanh(2 * X @ W.T + b), "differs from the expected one"),
    (lambda X, W, b: None, "forget to `return`"),
])
def test_dense_forward_checker_explains_typical_mistakes(answer, says):
    status, message = _result("01.dense_forward", answer)
    assert status == "wrong"
    assert says in message, message


def test_dense_backward_solution_passes_gradcheck(rng):
    X, b = rng.normal(size=(6, 3)), rng.normal(size=4)
    params = {"W": rng.normal(size=(4, 3)), "b": b, "X": X}
    upstream = rng.normal(size=(6, 4))           # L = sum(upstream * A), so dL/dA = upstream

    def loss(p):
        return float(np.sum(upstream * np.tanh(p["X"] @ p["W"].T + p["b"])))

    A = np.tanh(X @ params["W"].T + b)
    dX, dW, db = L.dense_backward(upstream, X, params["W"], A)
    errors = gradcheck(loss, params, {"X": dX, "W": dW, "b": db})
    assert max(errors.values()) < 1e-7, errors


def _through(derivative):
    """A backward pass that multiplies by ``derivative(A)`` instead of tanh's 1 - A**2."""
    def answer(dA, X, W, A):
        dZ = dA * derivative(A)
        return dZ @ W, dZ.T @ X, dZ.sum(axis=0)
    return answer


def _tanh_dZ(dA, A):
    return dA * (1 - A**2)


@pytest.mark.parametrize("answer, says", [
    (_through(lambda A: 1.0), "skipped the tanh derivative"),
    (_through(lambda A: A * (1 - A)), "sigmoid's derivative"),
    (_through(lambda A: 1 - A), "not by tanh's derivative"),
    (lambda dA, X, W, A: (_tanh_dZ(dA, A) @ W, X.T @ _tanh_dZ(dA, A), _tanh_dZ(dA, A).sum(0)), "transposed"),
    (lambda dA, X, W, A: (_tanh_dZ(dA, A) @ W, _tanh_dZ(dA, A).T @ X / len(X), _tanh_dZ(dA, A).sum(0)),
     "divided by N"),
    (lambda dA, X, W, A: (_tanh_dZ(dA, A) @ W, _tanh_dZ(dA, A).T @ X, _tanh_dZ(dA, A)), "sums over them"),
    (lambda dA, X, W, A: (_tanh_dZ(dA, A) @ W, _tanh_dZ(dA, A).T @ X, _tanh_dZ(dA, A).mean(0)), "averaged"),
    (lambda dA, X, W, A: (_tanh_dZ(dA, A) @ W, _tanh_dZ(dA, A).T @ X, dA.sum(0)), "not dA"),
    (lambda dA, X, W, A: (_tanh_dZ(dA, A) @ W.T, _tanh_dZ(dA, A).T @ X, _tanh_dZ(dA, A).sum(0)), "dX (N, D)"),
    (lambda dA, X, W, A: (dA @ W, _tanh_dZ(dA, A).T @ X, _tanh_dZ(dA, A).sum(0)), "dX skipped the tanh"),
    (lambda dA, X, W, A: (_tanh_dZ(dA, A).T @ X, _tanh_dZ(dA, A).sum(0)), "3 arrays"),
    (lambda dA, X, W, A: None, "forget to `return"),
    (_through(lambda A: -(1 - A**2)), "wrong sign"),
    (lambda dA, X, W, A: (_tanh_dZ(dA, A).T @ X, _tanh_dZ(dA, A) @ W, _tanh_dZ(dA, A).sum(0)), "swapped"),
    (lambda dA, X, W, A: (_tanh_dZ(dA, A) @ W, _tanh_dZ(dA, A).T @ X, _tanh_dZ(dA, A).sum(1)), "axis=1"),
])
def test_dense_backward_checker_explains_typical_mistakes(answer, says):
    status, message = _result("01.dense_backward", answer)
    assert status == "wrong"
    assert says in message, message


def test_dense_backward_praise_carries_a_gradient_check_of_the_learners_function():
    result = check("01.dense_backward", typed(L.dense_backward))
    assert result.passed and "Gradient check of your function: largest relative error" in result.message
    assert "(below 1e-6: trust it)." in result.message


def _xor(W1, b1, W2, b2):
    return lambda: {"W1": np.array(W1, float), "b1": np.array(b1, float), "W2": np.array(W2, float),
                    "b2": np.array(b2, float)}


@pytest.mark.parametrize("answer, says", [
    (_xor([[1, 1], [1, 1]], [0, -1], [[1, 1]], [0]), "computes OR"),
    (_xor([[1, 1], [1, 1]], [-1, -1], [[1, 1]], [0]), "computes AND"),
    (_xor([[1, 1], [1, 1]], [0, -1], [[-1, 2]], [1]), "XNOR"),
    (_xor([[1, 1]], [0], [[1]], [0]), "one straight line"),
    (_xor([[-1, -1], [-1, -1]], [0, 0], [[1, 1]], [0]), "never positive"),
    (_xor([[1, 1], [1, 1]], [0, -1], [[1], [-2]], [0]), "W2 should have shape (O, H)"),
    (_xor([[1, 1, 0], [1, 1, 0]], [0, -1], [[1, -2]], [0]), "X should have shape (N, D)"),
    (lambda: {"W1": np.ones((2, 2))}, "missing b1, W2, b2"),
    (lambda: [np.ones((2, 2))], "should return a dict"),
    (lambda: None, "forget to `return`"),
])
def test_xor_checker_names_the_function_that_was_built(answer, says):
    status, message = _result("01.xor_by_hand", answer)
    assert status == "wrong"
    assert says in message, message


def test_notebook_gives_no_line_of_code_before_its_exercise():
    sources = ["".join(c["source"]) for c in json.loads(NOTEBOOK.read_text())["cells"]]
    forward = sources.index('check("01.dense_forward", dense_forward)')
    backward = sources.index('check("01.dense_backward", dense_backward)')
    assert not any("np.tanh(X @ W.T + b)" in s or "X W^\\top + \\mathbf b" in s for s in sources[:forward])
    sigmoid = sources.index('check("01.stable_sigmoid", stable_sigmoid)')
    assert not any("e^{-|z|}" in s or "np.exp(-np.abs(z))" in s for s in sources[:sigmoid])
    assert not any("(1 - A1**2)" in s or "dZ1.T @ X" in s for s in sources[:backward])


def test_xor_solution_outputs_exactly_xor():
    np.testing.assert_allclose(L.xor_network_outputs(L.xor_params()), [0, 1, 1, 0])


def test_notebook_ships_exercises_unattempted_with_help_on_request():
    cells = json.loads(NOTEBOOK.read_text())["cells"]
    sources = ["".join(c["source"]) for c in cells]
    for name in ("01.stable_sigmoid", "01.dense_forward", "01.xor_by_hand", "01.dense_backward"):
        at = next(i for i, s in enumerate(sources) if s.startswith(f'check("{name}"'))
        assert "raise NotImplementedError" in sources[at - 1]
        assert cells[at]["cell_type"] == "code"
        output = "".join("".join(o.get("data", {}).get("text/plain", "")) for o in cells[at]["outputs"])
        assert "Not attempted yet" in output
        assert cells[at + 1]["cell_type"] == "markdown" and sources[at + 1].strip() == help_markdown(name)


# --- widgets ----------------------------------------------------------------------------


def test_neuron_state_follows_the_equation():
    state = neuron.neuron_state(2.0, -1.0, 0.5, "tanh")
    np.testing.assert_allclose(state["z_points"], [0.5, -0.5, 2.5, 1.5])
    np.testing.assert_allclose(state["a_points"], np.tanh([0.5, -0.5, 2.5, 1.5]))
    xs = np.linspace(*neuron.LIMITS, neuron.N_GRID)
    np.testing.assert_allclose(state["output"][0, -1], np.tanh(2.0 * xs[-1] - 1.0 * xs[0] + 0.5))
    assert state["correct"] == 1       # z > 0 on (0,0), (1,0), (1,1); only (1,0) is right


@pytest.mark.parametrize("w1, w2, b", [(1.0, 1.0, -0.5), (0.3, -2.0, 0.7), (-4.0, 0.5, 1.0), (0.0, 3.0, -1.0)])
def test_boundary_line_lies_on_z_equals_zero(w1, w2, b):
    x1, x2 = neuron.boundary_line(w1, w2, b)
    assert len(x1) == 2
    np.testing.assert_allclose(w1 * x1 + w2 * x2 + b, 0, atol=1e-12)


@pytest.mark.parametrize("w1, w2, b", [(1.0, 1.0, -0.5), (0.3, -2.0, 0.7), (-4.0, 0.5, 1.0)])
def test_weight_arrow_starts_on_the_line_and_points_uphill_along_w(w1, w2, b):
    start, end = (np.array(p) for p in neuron.weight_arrow(w1, w2, b))
    assert w1 * start[0] + w2 * start[1] + b == pytest.approx(0, abs=1e-12)
    step = end - start
    assert step[0] * w2 - step[1] * w1 == pytest.approx(0, abs=1e-12) and step @ [w1, w2] > 0
    assert np.linalg.norm(step) == pytest.approx(0.35)
    assert neuron.weight_arrow(0.0, 0.0, b) is None


def test_no_single_neuron_gets_all_four_xor_corners():
    rng = np.random.default_rng(0)
    best = max(neuron.neuron_state(*rng.uniform(-5, 5, 3))["correct"] for _ in range(2000))
    assert best == 3


def test_neuron_explorer_redraws_when_sliders_move(capsys):
    w = neuron.neuron_explorer(w1=1.0, w2=1.0, b=-0.5)
    assert set(w.sliders) == {"w1", "w2", "b", "activation"}
    before_output, before_line = w.data["output"].copy(), w.data["boundary"]
    renders, png = w.live.renders, w.live.widget.value

    w.sliders["b"].value = -1.5                 # the line z = 0 moves up and right, parallel to itself
    x1, x2 = w.data["boundary"]
    np.testing.assert_allclose(x1 + x2, 1.5)
    assert not np.allclose(x2, before_line[1])
    assert np.all(w.data["output"] <= before_output + 1e-12)    # a lower bias lowers every output
    assert w.live.renders == renders + 1 and w.live.widget.value != png

    w.sliders["w1"].value = 3.0
    assert w.data["z_points"][2] == pytest.approx(3.0 - 1.5)    # corner (1, 0)
    np.testing.assert_allclose(w.artists["line"].get_xydata()[:, 0], w.data["boundary"][0])

    w.sliders["activation"].value = "relu"
    assert w.data["output"].min() == 0.0 and w.data["output"].max() > 1.0
    assert w.artists["image"].get_clim() == neuron.OUTPUT_RANGE["relu"]
    np.testing.assert_allclose(w.artists["curve"].get_ydata(), np.maximum(w.data["curve"][0], 0))
    assert capsys.readouterr().out == ""


def test_explorers_display_as_the_widget_with_a_readable_offline_text(xor_run):
    _, losses, snapshots = xor_run
    for explorer in (neuron.neuron_explorer(), neuron.training_explorer(snapshots, losses, mlp.XOR_X, mlp.XOR_Y)):
        bundle = explorer._repr_mimebundle_()
        assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == explorer.widget.model_id
        assert bundle["text/plain"] == live.OFFLINE_TEXT


def test_neuron_explorer_at_slider_extremes_has_no_nan_and_no_warnings():
    w = neuron.neuron_explorer()
    with strict():
        for activation in ("sigmoid", "tanh", "relu"):
            w.sliders["activation"].value = activation
            for name in ("w1", "w2", "b"):
                for value in (w.sliders[name].min, w.sliders[name].max, 0.0):
                    w.sliders[name].value = value
                    assert np.all(np.isfinite(w.data["output"])) and np.all(np.isfinite(w.data["a_points"]))
        w.sliders["w1"].value = w.sliders["w2"].value = 0.0
        assert w.data["boundary"][0].size == 0     # no line and no arrow when the weights are zero
        assert not w.artists["arrow"].get_visible()
        w.sliders["w1"].value = 0.1
        assert w.artists["arrow"].get_visible()
        for name in ("w1", "w2", "b"):
            w.sliders[name].value = w.sliders[name].min
        assert np.all(np.isfinite(w.data["output"]))


def _pixel(live, ax, x, y):
    """The RGB colour the live figure's PNG shows at data point (x, y) of ``ax``."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(live.widget.value)).convert("RGB")
    px, py = ax.transData.transform((x, y))
    return np.array(image.getpixel((int(round(px)), int(round(image.height - py)))), dtype=int)


def test_neuron_explorer_draws_the_corners_over_the_changing_image():
    w = neuron.neuron_explorer(w1=1.0, w2=1.0, b=-0.5)
    w.sliders["b"].value = 2.0                     # everything red-ish under the corners
    ax = w.artists["ax_plane"]
    assert _pixel(w.live, ax, 0.0, 1.0).max() < 60          # black square at (0, 1)
    assert _pixel(w.live, ax, 1.0, 1.0).min() > 200         # white circle at (1, 1)


def test_training_explorer_draws_the_points_over_the_regions(xor_run):
    _, losses, snapshots = xor_run
    w = neuron.training_explorer(snapshots, losses, mlp.XOR_X, mlp.XOR_Y)
    ax = w.image.axes
    red, blue = (np.array(matplotlib.colors.to_rgb(c)) * 255 for c in (palette.CLASSES[1], palette.CLASSES[0]))
    assert np.abs(_pixel(w.live, ax, 0.0, 1.0) - red).max() < 40       # XOR = 1
    assert np.abs(_pixel(w.live, ax, 0.0, 0.0) - blue).max() < 40      # XOR = 0


def test_plot_neuron_is_the_same_picture_as_the_widget():
    fig = neuron.plot_neuron(w1=0.5, w2=-1.0, b=0.2, activation="tanh")
    image = fig.axes[0].get_images()[0]
    np.testing.assert_allclose(image.get_array(), neuron.neuron_state(0.5, -1.0, 0.2, "tanh")["output"])


@pytest.fixture(scope="module")
def xor_run():
    params, losses, snapshots = mlp.train(mlp.init_params(2, 4, seed=0), mlp.XOR_X, mlp.XOR_Y, steps=300,
                                          lr=0.5, momentum=0.9, snapshot_every=50)
    return params, losses, snapshots


def test_training_explorer_shows_the_chosen_step(xor_run, capsys):
    _, losses, snapshots = xor_run
    w = neuron.training_explorer(snapshots, losses, mlp.XOR_X, mlp.XOR_Y)
    assert w.data["step"] == 300 and w.data["accuracy"] == 1.0
    final = w.data["proba"].copy()
    w.sliders["step"].value = 0
    assert w.data["step"] == 0 and w.data["loss"] == pytest.approx(losses[0])
    assert not np.allclose(w.data["proba"], final)
    np.testing.assert_allclose(w.image.get_array(), w.data["proba"])
    assert list(w.marker.get_xdata()) == [0, 0]
    w.sliders["step"].value = 100
    np.testing.assert_allclose(w.data["proba"], neuron.region_grid(dict(snapshots)[100]))
    assert capsys.readouterr().out == ""
    with pytest.raises(ValueError, match="snapshots is empty"):
        neuron.training_explorer([], losses, mlp.XOR_X, mlp.XOR_Y)


def test_static_training_figures(xor_run):
    params, _, snapshots = xor_run
    fig, ax = plt.subplots()
    assert neuron.plot_regions(ax, params, mlp.XOR_X, mlp.XOR_Y) == 1.0
    fig = neuron.plot_training_snapshots(snapshots, mlp.XOR_X, mlp.XOR_Y, steps=[0, 300])
    assert len(fig.axes) == 2 and fig.axes[1].get_title() == "step 300: 100% right"
    with pytest.raises(ValueError, match="no snapshot at step"):
        neuron.plot_training_snapshots(snapshots, mlp.XOR_X, mlp.XOR_Y, steps=[10])


# --- diagram ----------------------------------------------------------------------------


def test_network_diagram_draws_every_weight():
    fig, ax = plt.subplots()
    lines = draw_network(ax, [2, 3, 1], names=["x", "h", "y"])
    assert len(lines) == 2 * 3 + 3 * 1
    assert len(ax.patches) == 6
    positions = layer_positions([2, 3, 1])
    assert positions[0][0, 1] > positions[0][1, 1]           # first neuron on top
    np.testing.assert_allclose(positions[1][:, 1].mean(), 0)


def test_network_diagram_shows_weight_sign_and_size():
    fig, ax = plt.subplots()
    W1, W2 = np.array([[1.0, -0.1], [0.0, 2.0]]), np.array([[-3.0, 1.0]])
    lines = draw_network(ax, [2, 2, 1], weights=[W1, W2])
    assert matplotlib.colors.same_color(lines[0].get_color(), palette.SIGN["positive"])
    assert matplotlib.colors.same_color(lines[1].get_color(), palette.SIGN["negative"])
    assert lines[3].get_linewidth() > lines[0].get_linewidth() > lines[1].get_linewidth()
    with pytest.raises(ValueError, match=r"weights\[0\] should have shape"):
        draw_network(ax, [2, 2, 1], weights=[W1.T[:1], W2])
    with pytest.raises(ValueError, match="at least two layers"):
        draw_network(ax, [3])
