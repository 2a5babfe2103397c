"""How a gradient travels back through an RNN: Jacobian products, their bound, measured norms.

For the recurrence h_t = act(a_t), a_t = W_hh h_{t-1} + W_xh x_t + b_h, one step back
multiplies the gradient by the step Jacobian

    J_t = dh_t / dh_{t-1} = diag(act'(a_t)) W_hh                                  (H, H)

and a lag of T - t steps multiplies it by the product (Pascanu, Mikolov & Bengio 2013)

    dh_T / dh_t = J_T J_{T-1} ... J_{t+1} = prod_{k=t+1..T} diag(act'(a_k)) W_hh.

With |act'| <= gamma (gamma = 1 for tanh and ReLU, 1/4 for the sigmoid) and sigma_max the
largest singular value of W_hh, every factor has norm at most gamma * sigma_max, so

    || dh_T / dh_t || <= (gamma * sigma_max) ** (T - t).

Below 1 the gradient reaching h_t from step T is guaranteed to vanish geometrically with the
lag. Above 1 it *may* explode; that is necessary, not sufficient, because saturated units
(act' near 0) shrink the product again.

Everything here is a pure function of arrays; the gradients come from :func:`rnn.backward`.
Shapes are time-major as elsewhere: x (T, B, D), h (T, B, H), W_hh (H, H).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import activations, lstm, model, rnn, tasks
from .optim import Adam
from .train import progress_bar, train

#: The largest value of each activation's derivative: gamma in the bound above.
DERIVATIVE_BOUND = {"tanh": 1.0, "relu": 1.0, "sigmoid": 0.25}


def _square(W, name: str = "W_hh") -> np.ndarray:
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"{name} should be a square matrix (H, H), but it has shape {W.shape}.")
    return W


def _gamma(activation: str) -> float:
    try:
        return DERIVATIVE_BOUND[activation]
    except KeyError:
        raise ValueError(f"unknown activation {activation!r}; choose one of {', '.join(DERIVATIVE_BOUND)}.") from None


# --- the size of a matrix --------------------------------------------------------------------


def sigma_max(W) -> float:
    """Largest singular value of W: the most any vector's length can grow in one product W v."""
    return float(np.linalg.norm(_square(W), 2))


def spectral_radius(W) -> float:
    """Largest |eigenvalue| of W: the growth rate per step of ||W^n v|| for large n.

    Never above :func:`sigma_max`; equal to it for symmetric or scaled orthogonal matrices.
    """
    return float(np.max(np.abs(np.linalg.eigvals(_square(W)))))


def scale_to_spectral_radius(W, rho: float) -> np.ndarray:
    """W rescaled (a copy) so that its spectral radius is ``rho`` (rho >= 0)."""
    W = _square(W)
    if rho < 0:
        raise ValueError(f"a spectral radius cannot be negative; got {rho}.")
    return W * (rho / spectral_radius(W))


def scale_to_sigma_max(W, s: float) -> np.ndarray:
    """W rescaled (a copy) so that its largest singular value is ``s`` (s >= 0)."""
    W = _square(W)
    if s < 0:
        raise ValueError(f"a singular value cannot be negative; got {s}.")
    return W * (s / sigma_max(W))


def random_orthogonal(H: int, *, seed: int = 0) -> np.ndarray:
    """A random orthogonal (H, H) matrix (QR of a Gaussian one, signs fixed): every singular
    value and every |eigenvalue| is 1, so ``scale * Q`` has sigma_max = spectral radius = scale."""
    rng = np.random.default_rng(seed)
    q, r = np.linalg.qr(rng.standard_normal((H, H)))
    return q * np.sign(np.diag(r))


# --- Jacobians and the bound -----------------------------------------------------------------


def step_jacobian(W_hh, h_t, activation: str = "tanh") -> np.ndarray:
    """dh_t / dh_{t-1} = diag(act'(a_t)) W_hh for one sequence: h_t (H,) -> (H, H).

    act' is read from the output h_t (for tanh 1 - h_t^2), as :mod:`activations` does.
    Row i says how h_t[i] moves when each h_{t-1}[j] moves.
    """
    W_hh = _square(W_hh)
    h_t = np.asarray(h_t, dtype=np.float64)
    if h_t.shape != (W_hh.shape[0],):
        raise ValueError(f"h_t should have shape (H,) = ({W_hh.shape[0]},), but it has shape {h_t.shape}.")
    _, dact = activations.get(activation)
    return dact(h_t)[:, None] * W_hh


def jacobian_products(W_hh, h, activation: str = "tanh") -> np.ndarray:
    """Every dh_T / dh_t for one sequence of states h (T, H) -> (T, H, H), h[t-1] holding h_t.

    Index t - 1 holds the product of the step Jacobians of steps t+1 .. T (steps counted from 1, as
    everywhere in the course), so index T-1 is the identity and index 0 spans the longest lag, T - 1 steps.
    """
    h = np.asarray(h, dtype=np.float64)
    if h.ndim != 2:
        raise ValueError(f"h should hold one sequence of states, shape (T, H), but it has shape {h.shape}.")
    T, H = h.shape
    out = np.empty((T, H, H))
    out[T - 1] = np.eye(H)
    for t in range(T - 2, -1, -1):
        out[t] = out[t + 1] @ step_jacobian(W_hh, h[t + 1], activation)
    return out


def bound_rate(W_hh, activation: str = "tanh") -> float:
    """gamma * sigma_max(W_hh): no step Jacobian can stretch a gradient by more than this."""
    return _gamma(activation) * sigma_max(W_hh)


def gradient_bound(W_hh, lags, activation: str = "tanh") -> np.ndarray:
    """The bound (gamma * sigma_max) ** lag on ||dh_T / dh_{T-lag}|| for each lag (any shape)."""
    lags = np.asarray(lags, dtype=np.float64)
    with np.errstate(over="ignore", under="ignore"):
        return bound_rate(W_hh, activation) ** lags


def guaranteed_to_vanish(W_hh, activation: str = "tanh") -> bool:
    """True when gamma * sigma_max(W_hh) < 1: gradients must vanish geometrically, whatever
    the inputs. False means only that they *can* grow; whether they do depends on the states."""
    return bound_rate(W_hh, activation) < 1.0


# --- measured: the real backward pass --------------------------------------------------------


@dataclass
class GradientFlow:
    """Per-lag gradient sizes from one backward pass.

    ``norms[lag]``: mean over the batch of ||dL/dh_{T-lag}||, with ||dL/dh_T|| = 1 (steps counted from 1).
    ``per_unit[lag, i]``: mean over the batch of |dL/dh_{T-lag}[i]|, (T, H).
    ``saturation[lag]``: mean over units and batch of 1 - act'(a) at that step, 0 for a
    unit in its linear range, 1 for a saturated (tanh) or switched-off (ReLU) one.
    """

    lags: np.ndarray
    norms: np.ndarray
    per_unit: np.ndarray
    saturation: np.ndarray


def rnn_params(W_hh, input_size: int = 1, *, input_scale: float = 1.0, seed: int = 0) -> dict:
    """RNN parameters around a given W_hh (H, H): W_xh ~ N(0, input_scale^2 / D), b_h = 0."""
    W_hh = _square(W_hh)
    rng = np.random.default_rng(seed)
    H = W_hh.shape[0]
    W_xh = rng.standard_normal((H, input_size)) * (input_scale / np.sqrt(input_size))
    return {"W_xh": W_xh, "W_hh": W_hh.copy(), "b_h": np.zeros(H)}


def _mean_norm_by_lag(grads) -> np.ndarray:
    """(T, B, H) gradients -> (T,) mean over the batch of each step's norm, reordered so index = lag."""
    return np.linalg.norm(grads, axis=2).mean(axis=1)[::-1]


def gradient_flow(params: dict, x, activation: str = "tanh", *, seed: int = 0) -> GradientFlow:
    """Backpropagate a unit-norm loss gradient from the last state and measure it at every step.

    params: RNN parameters (``W_xh, W_hh, b_h``); x (T, B, D). The loss gradient dL/dh_T
    is a random unit vector per sequence and zero elsewhere, so what reaches h_t is exactly
    (dh_T/dh_t)^T applied to it: :func:`rnn.backward` with ``return_dh_steps=True``.
    """
    h, cache = rnn.forward(params, x, activation=activation)
    T, B, H = h.shape
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((B, H))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    dh = np.zeros_like(h)
    dh[-1] = v
    *_, dh_steps = rnn.backward(dh, cache, return_dh_steps=True)
    norms = _mean_norm_by_lag(dh_steps)
    per_unit = np.abs(dh_steps).mean(axis=1)[::-1]
    _, dact = activations.get(activation)
    saturation = 1.0 - dact(h).mean(axis=(1, 2))[::-1]
    return GradientFlow(np.arange(T), norms, per_unit, saturation)


def lag_gradient_norms(W_hh, T: int, activation: str = "tanh", *, batch_size: int = 16,
                       input_scale: float = 1.0, seed: int = 0) -> GradientFlow:
    """:func:`gradient_flow` for an RNN with recurrent weights W_hh driven by N(0, 1) inputs.

    One input feature, ``batch_size`` sequences of length T, W_xh ~ N(0, input_scale^2).
    """
    if T < 1:
        raise ValueError(f"T must be at least 1; got {T}.")
    params = rnn_params(W_hh, 1, input_scale=input_scale, seed=seed)
    x = np.random.default_rng(seed + 1).standard_normal((T, batch_size, 1))
    return gradient_flow(params, x, activation, seed=seed + 2)


def fitted_rate(norms, skip: int = 0) -> float:
    """The per-step factor r of a geometric fit norms[lag] ~ c * r ** lag (least squares in log).

    ``skip`` leaves out the first lags (a transient). Zeros (an underflowed gradient) are
    dropped; fewer than two usable points give NaN.
    """
    norms = np.asarray(norms, dtype=np.float64)
    lags = np.arange(len(norms))[skip:]
    values = norms[skip:]
    keep = values > 0
    if keep.sum() < 2:
        return float("nan")
    slope = np.polyfit(lags[keep], np.log(values[keep]), 1)[0]
    return float(np.exp(slope))


# --- long sequences: the adding problem at growing lengths -----------------------------------


AT_BASELINE = 0.1   # a test MSE this high means the run learned next to nothing (the baseline is 1/6)


@dataclass
class SweepResult:
    """Test MSE of each (length, seed) run, ``mse`` (len(lengths), len(seeds)), and the trained
    parameters, ``params[i][j]`` for ``lengths[i]`` and ``seeds[j]``."""

    lengths: list
    seeds: list
    mse: np.ndarray
    threshold: float
    steps: int
    params: list = field(default_factory=list)

    @property
    def solved(self) -> np.ndarray:
        return self.mse < self.threshold

    @property
    def success_rate(self) -> np.ndarray:
        return self.solved.mean(axis=1)

    def table(self, digits: int = 2) -> str:
        """One line per length: successes, median and range of the test MSE (``digits`` significant digits)."""
        lines = [f"{'T':>4}  solved  median MSE  (min - max)"]
        for T, row, ok in zip(self.lengths, self.mse, self.solved):
            lines.append(f"{T:>4}  {int(ok.sum())}/{len(row)}     {np.median(row):<10.{digits}g}  "
                         f"({row.min():.{digits}g} - {row.max():.{digits}g})")
        return "\n".join(lines)

    def summary(self) -> str:
        """The table as lesson 3 prints it: successes and the median test MSE, with a median of
        ``AT_BASELINE`` or more shown as "at the baseline".

        A run that fails wanders near the baseline of 1/6, and where exactly depends on the last
        bits of floating-point rounding, which differ between BLAS libraries and processors; the
        medians of runs that learn do not. So this text reads the same on every machine, and
        :meth:`table` (used by the benchmark) keeps the exact numbers."""
        lines = [f"{'T':>4}  solved  median test MSE"]
        for T, row, ok in zip(self.lengths, self.mse, self.solved):
            median = float(np.median(row))
            shown = f"{median:.2g}" if median < AT_BASELINE else "at the baseline (about 1/6)"
            lines.append(f"{T:>4}  {int(ok.sum())}/{len(row)}     {shown}")
        return "\n".join(lines)


def adding_mse(params: dict, T: int, *, n: int = 1000, seed: int = 12345, activation: str = "tanh") -> float:
    """Test MSE of a trained model on ``n`` fresh adding-problem sequences of length T."""
    x, y = tasks.adding_problem(T, n, np.random.default_rng(seed))
    pred, _ = model.forward(params, x, readout="last", activation=activation)
    return float(np.mean((pred - y) ** 2))


def train_adding(T: int, *, seed: int = 0, steps: int = 1500, hidden_size: int = 32, batch_size: int = 32,
                 lr: float = 1e-2, clip: float | None = None, progress: bool = False):
    """Train a tanh RNN (Adam) on the adding problem of length T; returns the TrainResult."""
    params = model.init_params("rnn", 2, hidden_size, 1, seed=seed)

    def make_batch(rng):
        return tasks.adding_problem(T, batch_size, rng)

    return train(params, make_batch, loss="mse", readout="last", steps=steps, optimizer=Adam(lr=lr),
                 clip=clip, seed=seed, progress=progress)


def length_sweep(lengths, seeds, *, steps: int = 1500, hidden_size: int = 32, batch_size: int = 32,
                 lr: float = 1e-2, threshold: float = 0.01, progress: bool = False) -> SweepResult:
    """Train one tanh RNN per (length, seed) on the adding problem and test it.

    A run counts as solved when its test MSE is below ``threshold``; always predicting 1
    scores :data:`tasks.ADDING_BASELINE_MSE` = 1/6.
    """
    lengths, seeds = list(lengths), list(seeds)
    mse = np.empty((len(lengths), len(seeds)))
    trained = [[None] * len(seeds) for _ in lengths]
    runs = [(i, j) for i in range(len(lengths)) for j in range(len(seeds))]
    for i, j in progress_bar(runs, total=len(runs), desc="runs", enabled=progress):
        result = train_adding(lengths[i], seed=seeds[j], steps=steps, hidden_size=hidden_size,
                              batch_size=batch_size, lr=lr)
        mse[i, j] = adding_mse(result.params, lengths[i])
        trained[i][j] = result.params
    return SweepResult(lengths, seeds, mse, threshold, steps, trained)


@dataclass
class LSTMGradientRoutes:
    """How much of an LSTM's long-lag gradient travels along the cell path alone.

    Index = lag (steps back from the last one). ``total``: mean over the batch of
    ||dL/dc_t||, every route included; ``cell_path``: the same for the part that went only
    along c (dL/dc_T times the product of the forget gates in between, never through h or
    a gate); ``forget_product``: the mean over batch and units of that product. Norms are
    relative to the last step's, where both are the same.
    """

    lags: np.ndarray
    total: np.ndarray
    cell_path: np.ndarray
    forget_product: np.ndarray

    @property
    def cell_share(self) -> np.ndarray:
        """cell_path / total: the ratio of the two norms at each lag. Not a fraction of a sum: the
        routes add as vectors, so where the others partly cancel the cell path it exceeds 1."""
        return self.cell_path / self.total


def lstm_gradient_routes(params: dict, x) -> LSTMGradientRoutes:
    """Put the loss on the last output, h_T (the array's h[T-1]), and split the gradient that reaches each c_t.

    params: LSTM parameters (``W_x, W_h, b``); x (T, B, D). The total comes from
    :func:`lstm.backward` with ``return_dc_steps=True``; the cell path is the last step's
    dL/dc_T carried back by the forget gates alone, prod_{k=t+1}^{T} f_k.
    """
    h, _, cache = lstm.forward(params, x)
    T, B, _ = h.shape
    dh = np.zeros_like(h)
    dh[-1] = 1.0 / B
    *_, dc_steps = lstm.backward(dh, cache, return_dc_steps=True)
    f = cache["f"]                                                   # (T, B, H)
    product = np.ones_like(f)                                        # product[t] = f_{t+1} ... f_{T-1}
    for t in range(T - 2, -1, -1):
        product[t] = product[t + 1] * f[t + 1]
    cell_path = dc_steps[-1][None] * product
    total, along_cell = _mean_norm_by_lag(dc_steps), _mean_norm_by_lag(cell_path)
    return LSTMGradientRoutes(np.arange(T), total / total[0], along_cell / total[0],
                              product.mean(axis=(1, 2))[::-1])
