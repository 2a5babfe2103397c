"""Lesson 7's studies: LSTM variants, a task only a bidirectional layer can solve, truncated BPTT
on a long text, and a recurrence that a parallel scan can compute (minGRU).

Built on :mod:`rnn_course.variants`, :mod:`rnn_course.deep`, :mod:`rnn_course.gru` and the
training pieces of lesson 5; nothing here knows about notebooks. Every function is seeded, and
every training run is small on purpose: the lesson runs in seconds, so its tables say what a
small run can say, and no more.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from . import deep, gru, linear, losses, tasks, variants
from .activations import sigmoid
from .experiments import adding_test_set
from .optim import Adam, clip_grad_norm

# ---------------------------------------------------------------------------------------
# Which parts of the LSTM matter: the variants on the adding problem
# ---------------------------------------------------------------------------------------


@dataclass
class VariantRun:
    variant: str
    seed: int
    test_mse: float
    losses: list = field(default_factory=list)


def train_variant(variant: str, T: int, *, hidden_size: int = 16, steps: int = 300, batch_size: int = 32,
                  lr: float = 1e-2, seed: int = 0, n_test: int = 512) -> VariantRun:
    """Train one LSTM variant with a linear read-out of the last step on the adding problem of
    length T: Adam(lr), forget bias 1, fresh batches from ``seed`` (the same for every variant),
    MSE. Scored on ``n_test`` held-out sequences."""
    from . import lstm

    params = lstm.init_params(2, hidden_size, seed=seed, forget_bias=1.0)
    params.update(linear.init_params(hidden_size, 1, seed=seed + 1))
    rng = np.random.default_rng(seed)
    opt = Adam(lr=lr)
    run = VariantRun(variant, seed, np.nan)

    def predict(p, x):
        h, cache = variants.forward({k: p[k] for k in ("W_x", "W_h", "b")}, x, variant)
        y, out_cache = linear.forward({k: p[k] for k in linear.PARAM_KEYS}, h[-1])
        return y, h, cache, out_cache

    for _ in range(steps):
        x, y = tasks.adding_problem(T, batch_size, rng)
        pred, h, cache, out_cache = predict(params, x)
        value, dy = losses.mse(pred, y)
        dh_last, grads = linear.backward(dy, out_cache)
        dh = np.zeros_like(h)
        dh[-1] = dh_last
        _, cell_grads = variants.backward(dh, cache)
        grads.update(cell_grads)
        run.losses.append(value)
        params = opt.step(params, grads)
    x_test, y_test = adding_test_set(T, n_test)
    run.test_mse = float(np.mean((predict(params, x_test)[0] - y_test) ** 2))
    return run


def variant_table(variant_names=variants.VARIANTS, *, T: int = 10, seeds=(0, 1), **kwargs) -> list:
    """Every variant trained with every seed (same steps, same batches): a list of VariantRun."""
    return [train_variant(v, T, seed=s, **kwargs) for v in variant_names for s in seeds]


def format_variant_table(runs, *, baseline: float = tasks.ADDING_BASELINE_MSE) -> str:
    """One line per variant: Greff's short name, the test MSE of each seed, and their mean."""
    seeds = sorted({r.seed for r in runs})
    head = f"{'variant':<22} {'Greff':>5}  " + "  ".join(f"{'seed ' + str(s):>8}" for s in seeds) + "      mean"
    lines = [head, f"{'(always answer 1)':<22} {'':>5}  " + "  ".join(f"{baseline:8.3f}" for _ in seeds)
             + f"  {baseline:8.3f}"]
    for name in dict.fromkeys(r.variant for r in runs):
        mine = {r.seed: r.test_mse for r in runs if r.variant == name}
        cells = "  ".join(f"{_mse(mine[s]):>8}" for s in seeds)
        lines.append(f"{name:<22} {variants.GREFF_NAMES[name]:>5}  {cells}  {_mse(np.mean(list(mine.values()))):>8}")
    return "\n".join(lines)


def _mse(value: float) -> str:
    """Two significant digits at most, so another BLAS cannot change the printed text."""
    return f"{value:.1e}".replace("e-0", "e-") if value < 0.01 else f"{value:.3f}"


# ---------------------------------------------------------------------------------------
# Seeing the future: a task for a bidirectional layer
# ---------------------------------------------------------------------------------------

def future_task(T: int, batch_size: int, rng, *, lag: int = 2):
    """Random signs x_t in {-1, +1}, (T, B, 1); the label of step t is the sign ``lag`` steps later,
    x_{t+lag} (for the last ``lag`` steps, which have no later input, the sign itself).
    A model reading only the past is at chance on the first T - lag steps."""
    x = rng.choice([-1.0, 1.0], size=(T, batch_size, 1))
    y = np.concatenate([x[lag:], x[T - lag:]], axis=0)
    return x, y


def _flatten(layers) -> dict:
    return {f"{k}.{d}.{name}": arr for k, layer in enumerate(layers) for d, p in layer.items()
            for name, arr in p.items()}


def _unflatten(flat: dict, like) -> list:
    return [{d: {name: flat[f"{k}.{d}.{name}"] for name in p} for d, p in layer.items()}
            for k, layer in enumerate(like)]


@dataclass
class FutureRun:
    bidirectional: bool
    losses: list
    accuracy_by_step: np.ndarray      # (T,): fraction of test signs right at each step

    @property
    def accuracy(self) -> float:
        return float(self.accuracy_by_step.mean())


def train_future(bidirectional: bool, *, T: int = 12, lag: int = 2, hidden_size: int = 8, cell: str = "gru",
                 steps: int = 200, batch_size: int = 32, lr: float = 2e-2, seed: int = 0,
                 n_test: int = 512) -> FutureRun:
    """A one-layer ``cell`` stack, one-way or both ways, with a linear read-out at every step,
    trained with MSE on :func:`future_task`; the test accuracy is sign(prediction) == label."""
    layers = deep.init_layers(cell, 1, hidden_size, bidirectional=bidirectional, seed=seed)
    dirs = 2 if bidirectional else 1
    params = _flatten(layers)
    params.update(linear.init_params(dirs * hidden_size, 1, seed=seed + 7))
    rng = np.random.default_rng(seed)
    opt = Adam(lr=lr)
    history = []

    def predict(p, x):
        out, cache = deep.forward(_unflatten(p, layers), x, cell=cell)
        y, out_cache = linear.forward({k: p[k] for k in linear.PARAM_KEYS}, out)
        return y, cache, out_cache

    for _ in range(steps):
        x, y = future_task(T, batch_size, rng, lag=lag)
        pred, cache, out_cache = predict(params, x)
        value, dy = losses.mse(pred, y)
        dout, grads = linear.backward(dy, out_cache)
        _, layer_grads = deep.backward(dout, cache)
        grads.update(_flatten(layer_grads))
        history.append(value)
        params = opt.step(params, grads)
    x_test, y_test = future_task(T, n_test, np.random.default_rng(10_000 + seed), lag=lag)
    pred, _, _ = predict(params, x_test)
    return FutureRun(bidirectional, history, (np.sign(pred) == y_test).mean(axis=(1, 2)))


# ---------------------------------------------------------------------------------------
# Truncated BPTT on a long text: the state carried across chunks, or reset every window
# ---------------------------------------------------------------------------------------

def streams(ids, batch_size: int) -> np.ndarray:
    """The text cut into ``batch_size`` contiguous streams side by side, (N // B, B): column b is
    the b-th stretch of the text, so chunk k of every stream continues chunk k - 1 (d2l's
    sequential partitioning)."""
    ids = np.asarray(ids)
    n = len(ids) // batch_size
    return ids[: n * batch_size].reshape(batch_size, n).T


def _chunk_loss(params, chunk_in, chunk_out, h0, V):
    """Mean cross-entropy of one chunk, its gradients, and the final state (as data)."""
    cell = {k: params[k] for k in gru.PARAM_KEYS}
    h, cache = gru.forward(cell, tasks.one_hot(chunk_in, V), h0)
    logits, out_cache = linear.forward({k: params[k] for k in linear.PARAM_KEYS}, h)
    value, dlogits = losses.softmax_cross_entropy(logits, chunk_out)
    return value, h[-1].copy(), (cache, out_cache, dlogits)


def stream_loss(params, ids, V: int, *, T: int, batch_size: int, carry: bool) -> float:
    """Mean cross-entropy (nats per character) over a text run as ``batch_size`` streams in
    chunks of T, the state carried from chunk to chunk (``carry``) or zero at every chunk."""
    s = streams(ids, batch_size)
    n_chunks = (s.shape[0] - 1) // T
    H = params["W_h"].shape[1]
    h = np.zeros((batch_size, H))
    total = 0.0
    for k in range(n_chunks):
        chunk_in, chunk_out = s[k * T:(k + 1) * T], s[k * T + 1:(k + 1) * T + 1]
        value, h_last, _ = _chunk_loss(params, chunk_in, chunk_out, h if carry else None, V)
        h = h_last
        total += value
    return total / n_chunks


@dataclass
class TBPTTRun:
    carry: bool
    losses: list
    valid_carried: float       # held-out loss, state carried through the held-out text
    valid_reset: float         # held-out loss, state reset every T characters


def train_tbptt(ids, valid_ids, V: int, *, carry: bool, T: int = 10, batch_size: int = 16, hidden_size: int = 48,
                epochs: int = 1, lr: float = 1e-2, clip: float = 5.0, seed: int = 0) -> TBPTTRun:
    """A GRU character model trained on ``ids`` in order, chunk after chunk of every stream.

    With ``carry`` each chunk starts from the state the previous chunk ended in (the gradient
    still stops at the chunk's edge: h0 is data, not a parameter); without it every chunk starts
    from zeros. Both see the same chunks in the same order, from the same initial weights.
    """
    params = gru.init_params(V, hidden_size, seed=seed)
    params.update(linear.init_params(hidden_size, V, seed=seed + 1))
    opt = Adam(lr=lr)
    s = streams(ids, batch_size)
    n_chunks = (s.shape[0] - 1) // T
    history = []
    for _ in range(epochs):
        h = np.zeros((batch_size, hidden_size))
        for k in range(n_chunks):
            chunk_in, chunk_out = s[k * T:(k + 1) * T], s[k * T + 1:(k + 1) * T + 1]
            value, h_last, (cache, out_cache, dlogits) = _chunk_loss(params, chunk_in, chunk_out,
                                                                     h if carry else None, V)
            dh, grads = linear.backward(dlogits, out_cache)
            _, _, cell_grads = gru.backward(dh, cache)      # dh0 is dropped: the gradient stops here
            grads.update(cell_grads)
            grads, _ = clip_grad_norm(grads, clip)
            params = opt.step(params, grads)
            history.append(value)
            h = h_last
    kw = {"T": T, "batch_size": batch_size}
    return TBPTTRun(carry, history, stream_loss(params, valid_ids, V, carry=True, **kw),
                    stream_loss(params, valid_ids, V, carry=False, **kw))


# ---------------------------------------------------------------------------------------
# Why parallel models won: a recurrence against a scan
# ---------------------------------------------------------------------------------------

def min_gru_gates(params: dict, x):
    """minGRU's gates read only x_t, so all T steps come from one product each:
    z_t = sigma(W_z x_t + b_z), h~_t = W_h x_t + b_h. x (T, B, D) -> (z, h_tilde), each (T, B, H)."""
    z = sigmoid(x @ params["W_z"].T + params["b_z"])
    h_tilde = x @ params["W_h"].T + params["b_h"]
    return z, h_tilde


def min_gru_init(input_size: int, hidden_size: int, *, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    k = 1.0 / np.sqrt(input_size)
    return {"W_z": rng.uniform(-k, k, (hidden_size, input_size)), "b_z": np.zeros(hidden_size),
            "W_h": rng.uniform(-k, k, (hidden_size, input_size)), "b_h": np.zeros(hidden_size)}


def min_gru_loop(z, h_tilde, h0):
    """h_t = (1 - z_t) h_{t-1} + z_t h~_t, one step after another: T sequential steps."""
    h = np.empty_like(z)
    prev = h0
    for t in range(z.shape[0]):
        h[t] = (1 - z[t]) * prev + z[t] * h_tilde[t]
        prev = h[t]
    return h


def min_gru_scan(z, h_tilde, h0):
    """The same h by a parallel (Hillis-Steele) scan: log2(T) rounds, each a whole-array operation.

    Each step is an affine map h -> a_t h + b_t with a_t = 1 - z_t, b_t = z_t h~_t, and two maps
    compose into one: (a2, b2) after (a1, b1) is (a2 a1, a2 b1 + b2). Round k composes every step
    with the one 2^k before it, so after log2(T) rounds step t holds the composition of steps
    0..t, applied to h0. Every round touches all steps at once: that is what a GPU runs in parallel.
    """
    a = 1 - z
    b = z * h_tilde
    b[0] = b[0] + a[0] * h0                  # fold the initial state into the first map
    offset = 1
    while offset < z.shape[0]:
        b[offset:] = a[offset:] * b[:-offset] + b[offset:]   # the right side is read before the write
        a[offset:] = a[offset:] * a[:-offset]
        offset *= 2
    return b


def best_time(fn, *args, repeat: int = 5) -> float:
    """The best of ``repeat`` wall-clock times of ``fn(*args)``, in milliseconds."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn(*args)
        times.append((time.perf_counter() - start) * 1000)
    return min(times)


def time_against_length(lengths, *, batch_size: int = 8, input_size: int = 16, hidden_size: int = 32,
                        repeat: int = 3, seed: int = 0) -> dict:
    """Milliseconds for the GRU's forward pass, minGRU by a loop and minGRU by a scan, at every T.

    Returns ``{"T": [...], "gru": [...], "min_gru_loop": [...], "min_gru_scan": [...],
    "max_difference": largest |loop - scan| over all T}``.
    """
    rng = np.random.default_rng(seed)
    g = gru.init_params(input_size, hidden_size, seed=seed)
    m = min_gru_init(input_size, hidden_size, seed=seed)
    out = {"T": list(lengths), "gru": [], "min_gru_loop": [], "min_gru_scan": [], "max_difference": 0.0}
    h0 = np.zeros((batch_size, hidden_size))
    for T in lengths:
        x = rng.normal(size=(T, batch_size, input_size))
        z, h_tilde = min_gru_gates(m, x)
        out["gru"].append(best_time(gru.forward, g, x, repeat=repeat))
        out["min_gru_loop"].append(best_time(min_gru_loop, z, h_tilde, h0, repeat=repeat))
        out["min_gru_scan"].append(best_time(min_gru_scan, z, h_tilde, h0, repeat=repeat))
        diff = np.abs(min_gru_loop(z, h_tilde, h0) - min_gru_scan(z, h_tilde, h0)).max()
        out["max_difference"] = max(out["max_difference"], float(diff))
    return out
