"""Several seeds of one model trained at once: every array gets a leading seed axis S.

Lesson 5 compares a tanh RNN and an LSTM over several seeds. Training each seed in its own Python loop
costs S times the loop's overhead; stacking the S models on a leading axis costs it once, since every
step's matrix product becomes one batched product (``np.matmul`` over the seed axis). Each seed keeps its
own initial weights (``model.init_params(cell, ..., seed=s)``), its own batches (drawn from
``default_rng(s)``, as :func:`rnn_course.experiments.train_adding` draws them) and its own Adam moments
(Adam is element-wise, so one Adam over the stacked arrays is S independent ones). The result equals S
separate runs up to the rounding of the products.

Only what the adding problem needs: a one-layer RNN or LSTM, a linear read-out of the last step, the
mean squared error. Shapes: x (S, T, B, D), states (S, B, H), weights (S, rows, cols).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import model, tasks
from .activations import sigmoid_via_tanh as sigmoid  # as rnn_course.lstm computes it
from .optim import Adam


def stack_params(cell: str, input_size: int, hidden_size: int, seeds, dtype=np.float64) -> dict:
    """``model.init_params`` of every seed, stacked on a leading axis."""
    each = [model.init_params(cell, input_size, hidden_size, 1, seed=s, dtype=dtype) for s in seeds]
    return {k: np.stack([p[k] for p in each]) for k in each[0]}


def unstack(params: dict, index: int) -> dict:
    """The parameters of seed number ``index``, as :mod:`rnn_course.model` takes them."""
    return {k: v[index] for k, v in params.items()}


def _rows(W, v):
    """v @ W.T for every seed: v (S, B, n), W (S, m, n) -> (S, B, m)."""
    return np.matmul(v, np.ascontiguousarray(W.transpose(0, 2, 1)))


def loss_and_grads(params: dict, x, y):
    """Per-seed MSE of the last step's read-out and its gradients: x (S, T, B, D), y (S, B, 1).

    Every product inside the time loops is a batched product of contiguous arrays, which NumPy hands
    to BLAS seed by seed; the input projections and the weight gradients are one product each.
    """
    lstm_cell = "W_h" in params
    S, T, B, _ = x.shape
    H = params["W_hy"].shape[2]
    W_in, W_rec = (params["W_x"], params["W_h"]) if lstm_cell else (params["W_xh"], params["W_hh"])
    bias = params["b"] if lstm_cell else params["b_h"]
    W_rec_T = np.ascontiguousarray(W_rec.transpose(0, 2, 1))         # (S, H, rows)
    xs = np.ascontiguousarray(x.transpose(1, 0, 2, 3))                 # (T, S, B, D): xs[t] contiguous
    a_x = np.matmul(xs.reshape(T, S, B, -1), np.ascontiguousarray(W_in.transpose(0, 2, 1))[None]) + bias[None, :, None]
    dtype = np.result_type(x, params["W_hy"])
    h = np.zeros((S, B, H), dtype)
    c = np.zeros((S, B, H), dtype)
    hs = np.empty((T + 1, S, B, H), dtype)
    hs[0] = h
    cs, gates = [c], []
    for t in range(T):
        a = a_x[t] + np.matmul(h, W_rec_T)
        if lstm_cell:
            s = sigmoid(a)                                            # one call for the three gates
            i, f, o = s[..., :H], s[..., H:2 * H], s[..., 3 * H:]
            g = np.tanh(a[..., 2 * H:3 * H])
            c = f * c + i * g
            h = o * np.tanh(c)
            gates.append((i, f, g, o))
            cs.append(c)
        else:
            h = np.tanh(a)
        hs[t + 1] = h
    pred = _rows(params["W_hy"], h) + params["b_y"][:, None]         # (S, B, 1)
    diff = pred - y
    losses = np.mean(diff * diff, axis=(1, 2))                        # (S,)
    dpred = (2.0 / (B * diff.shape[2])) * diff
    grads = {"W_hy": np.matmul(dpred.transpose(0, 2, 1), h), "b_y": dpred.sum(axis=1)}
    dh = np.matmul(dpred, params["W_hy"])                             # (S, B, H)
    dc = np.zeros_like(dh)
    da = np.empty((T, S, B, W_rec.shape[1]), dtype)
    for t in range(T - 1, -1, -1):
        if lstm_cell:
            i, f, g, o = gates[t]
            tanh_c = np.tanh(cs[t + 1])
            dc = dc + dh * o * (1 - tanh_c**2)
            da[t, ..., :H] = dc * g * i * (1 - i)
            da[t, ..., H:2 * H] = dc * cs[t] * f * (1 - f)
            da[t, ..., 2 * H:3 * H] = dc * i * (1 - g**2)
            da[t, ..., 3 * H:] = dh * tanh_c * o * (1 - o)
            dc = dc * f
        else:
            da[t] = dh * (1 - hs[t + 1] ** 2)
        dh = np.matmul(da[t], W_rec)
    flat_da = np.ascontiguousarray(da.transpose(1, 3, 0, 2)).reshape(S, -1, T * B)      # (S, rows, T*B)
    d_in = np.matmul(flat_da, np.ascontiguousarray(xs.transpose(1, 0, 2, 3)).reshape(S, T * B, -1))
    d_rec = np.matmul(flat_da, np.ascontiguousarray(hs[:-1].transpose(1, 0, 2, 3)).reshape(S, T * B, H))
    d_bias = da.sum(axis=(0, 2))
    if lstm_cell:
        grads.update({"W_x": d_in, "W_h": d_rec, "b": d_bias})
    else:
        grads.update({"W_xh": d_in, "W_hh": d_rec, "b_h": d_bias})
    return losses, grads


@dataclass
class SeedRuns:
    """S seeds of one model trained on the adding problem, and their held-out scores."""

    cell: str
    hidden_size: int
    seeds: tuple
    params: dict              # stacked, leading axis = seed
    losses: np.ndarray        # (steps, S) training loss
    test_mse: np.ndarray      # (S,)
    within: np.ndarray        # (S,) fraction of test sequences with |error| < tolerance

    @property
    def n_params(self) -> int:
        """Parameters of one seed's model, read-out included."""
        return int(sum(v[0].size for v in self.params.values()))


def train_seeds(cell: str, input_size: int, hidden_size: int, seeds, make_batch, *, steps: int, lr: float = 1e-2,
                snapshots=(), dtype=np.float64) -> tuple:
    """Train one ``cell`` model per seed, stacked: ``make_batch(rng) -> (x (T, B, D), y (B, 1))`` draws each
    seed's batch from that seed's own generator, as :func:`rnn_course.train.train` does.

    ``dtype`` is the precision of the weights and of every computation (the batches are drawn as before
    and then converted, so float32 and float64 runs see the same sequences up to rounding).
    Returns ``(params, losses, kept)``: the stacked parameters, the training losses (steps, S), and
    ``{step: stacked parameters}`` after each step count in ``snapshots``.
    """
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64; got {dtype}.")
    params = stack_params(cell, input_size, hidden_size, seeds, dtype)
    rngs = [np.random.default_rng(s) for s in seeds]
    opt = Adam(lr=lr)
    history = np.empty((steps, len(rngs)))
    kept = {}
    for step in range(steps):
        batches = [make_batch(rng) for rng in rngs]
        x = np.stack([b[0] for b in batches]).astype(dtype, copy=False)
        y = np.stack([b[1] for b in batches]).astype(dtype, copy=False)
        history[step], grads = loss_and_grads(params, x, y)
        params = opt.step(params, grads)
        if step + 1 in snapshots:
            kept[step + 1] = dict(params)
    return params, history, kept


def train_adding_seeds(cell: str, T: int, seeds, *, hidden_size: int = 32, steps: int = 600, batch_size: int = 32,
                       lr: float = 1e-2, x_test=None, y_test=None, tolerance: float = 0.04,
                       dtype=np.float64) -> SeedRuns:
    """Train one ``cell`` model per seed on the adding problem of length T, all at once; score each on
    ``x_test (T, N, 2)``, ``y_test (N, 1)`` (by default :func:`experiments.adding_test_set`), in ``dtype``
    (float32 halves the time; lesson 5 uses it)."""
    from . import experiments

    seeds = tuple(seeds)
    params, history, _ = train_seeds(cell, 2, hidden_size, seeds,
                                     lambda rng: tasks.adding_problem(T, batch_size, rng), steps=steps, lr=lr,
                                     dtype=dtype)
    if x_test is None:
        x_test, y_test = experiments.adding_test_set(T)
    x_test = np.asarray(x_test).astype(params["W_hy"].dtype, copy=False)
    mse, within = [], []
    for k in range(len(seeds)):
        scores = experiments.evaluate_adding(unstack(params, k), x_test, y_test, tolerance=tolerance)
        mse.append(scores["mse"])
        within.append(scores["within"])
    return SeedRuns(cell, hidden_size, seeds, params, history, np.array(mse), np.array(within))


@dataclass
class SeedResult:
    """One seed's share of a stacked run, shaped like :class:`rnn_course.train.TrainResult` where lessons read it."""

    params: dict
    losses: np.ndarray
    snapshots: dict


def train_forecasters(cell: str, series, window: int, seeds, *, hidden_size: int = 16, steps: int = 400,
                      batch_size: int = 32, lr: float = 1e-2, snapshots=(), dtype=np.float64) -> dict:
    """:func:`rnn_course.experiments.train_forecaster` for every seed at once: ``{seed: SeedResult}``."""
    x_all, y_all = tasks.forecast_windows(series, window, 1)
    n = x_all.shape[1]

    def make_batch(rng):
        idx = rng.integers(0, n, batch_size)
        return x_all[:, idx], y_all[idx]

    seeds = tuple(seeds)
    params, history, kept = train_seeds(cell, 1, hidden_size, seeds, make_batch, steps=steps, lr=lr,
                                        snapshots=snapshots, dtype=dtype)
    return {s: SeedResult(unstack(params, k), history[:, k], {b: unstack(p, k) for b, p in kept.items()})
            for k, s in enumerate(seeds)}


def format_share(share: float, floor: float | None = None) -> str:
    """A fraction of the test sequences as a whole percentage, or ``"<10%"`` below ``floor`` (here 0.10).

    A model that found nothing answers within the tolerance about as often as a baseline, and which of
    those few answers land inside moves with the machine's floating-point rounding over hundreds of
    training steps: below the floor only the bound is printed, the same on every machine.
    """
    if floor is not None and share < floor:
        return f"<{floor:.0%}"
    return f"{share:.0%}"


def format_seed_mse(mse: float, ceiling: float | None = None) -> str:
    """A test MSE as :func:`rnn_course.experiments.format_mse` prints it, or ``">0.1"`` above ``ceiling``
    (for the same reason as :func:`format_share`'s floor)."""
    from .experiments import format_mse

    if ceiling is not None and mse > ceiling:
        return f">{ceiling:g}"
    return format_mse(mse)


def seed_table(runs, *, solved_within: float = 0.5, floor: float | None = None) -> str:
    """One line per model: size, parameters, each seed's fraction of test answers within 0.04, their mean,
    and how many seeds answer at least ``solved_within`` of the test sequences within 0.04. Fractions below
    ``floor`` print as the bound only (:func:`format_share`)."""
    seeds = runs[0].seeds
    head = (f"{'model':<22}{'params':>7}  " + "".join(f"{'seed ' + str(s):>8}" for s in seeds)
            + f"{'mean':>8}  {'seeds >= ' + format(solved_within, '.0%'):>12}")
    lines = [head]
    for r in runs:
        name = f"{r.cell.upper()}, H = {r.hidden_size}"
        lines.append(f"{name:<22}{r.n_params:>7}  " + "".join(f"{format_share(w, floor):>8}" for w in r.within)
                     + f"{format_share(r.within.mean(), floor):>8}  "
                     + f"{int(np.sum(r.within >= solved_within)):>7} of {len(seeds)}")
    return "\n".join(lines)


def mse_table(runs, *, ceiling: float | None = None) -> str:
    """One line per model: each seed's test MSE (:func:`format_seed_mse`; above ``ceiling`` only the bound)."""
    return "\n".join(f"{r.cell.upper() + ', H = ' + str(r.hidden_size):<22}"
                     + "".join(f"{format_seed_mse(m, ceiling):>8}" for m in r.test_mse) for r in runs)
