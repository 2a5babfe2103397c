"""Lesson 5's experiments: an RNN and an LSTM side by side on three tasks.

Everything here builds on :mod:`rnn_course.model`, :mod:`rnn_course.train` and
:mod:`rnn_course.tasks`; nothing knows about notebooks. Every function is seeded.

- The adding problem: train both cells with the same optimizer and budget at several
  lengths T, then score them on held-out sequences (MSE, and the fraction within 0.04,
  the 1997 paper's criterion for a correct answer), next to two baselines: always
  answering 1, and the best answer blind to the markers.
- Forecasting: one-step-ahead predictors of a series, rolled out several steps ahead by
  feeding each prediction back in as the newest input.
- A character-level language model: training on a text, and sampling at a temperature.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import linear, lstm, model, rnn, tasks
from .losses import log_softmax, softmax_cross_entropy
from .optim import Adam, clip_grad_norm
from .train import TrainResult, loss_and_grads, progress_bar, train

#: The 1997 paper counts an answer as correct when its absolute error is below 0.04.
ADDING_TOLERANCE = 0.04

#: How often always answering 1 lands within the tolerance: the sum S of two U[0, 1] values
#: has density 1 - |s - 1| near 1, so P(|S - 1| < 0.04) = 1 - (1 - 0.04)^2, about 8%.
ADDING_BASELINE_WITHIN = 1.0 - (1.0 - ADDING_TOLERANCE) ** 2


# ---------------------------------------------------------------------------------------
# The adding problem
# ---------------------------------------------------------------------------------------

def adding_test_set(T: int, n: int = 2560, seed: int = 10_000):
    """Held-out adding-problem sequences: ``x (T, n, 2)``, ``y (n, 1)``.

    The default ``n`` matches the 2,560 test sequences of Hochreiter & Schmidhuber (1997);
    the seed differs from any training seed, so these sequences are never trained on.
    """
    return tasks.adding_problem(T, n, np.random.default_rng(seed))


def _scores(pred, y, tolerance: float) -> dict:
    err = pred - y
    return {"mse": float(np.mean(err ** 2)), "within": float(np.mean(np.abs(err) < tolerance))}


def evaluate_adding(params: dict, x, y, *, tolerance: float = ADDING_TOLERANCE) -> dict:
    """Score a trained model on adding-problem sequences ``x (T, N, 2)``, ``y (N, 1)``.

    Returns ``{"mse": mean squared error, "within": fraction of sequences whose absolute
    error is below tolerance}``, both plain floats.
    """
    pred, _ = model.forward(params, x, readout="last")
    return _scores(pred, y, tolerance)


def blind_answer(x) -> np.ndarray:
    """The best answer a model blind to the markers can give: ``x (T, N, 2)`` -> ``(N, 1)``.

    Each marked value is equally likely to be any value of its half of the sequence, so
    without the markers the expected target is the mean of the first half's values plus
    the mean of the second half's (halves split at ``T // 2``, as in
    :func:`rnn_course.tasks.adding_problem`). Only ``x[..., 0]``, the values, is read.
    """
    values = np.asarray(x)[..., 0]
    half = values.shape[0] // 2
    return (values[:half].mean(axis=0) + values[half:].mean(axis=0))[:, None]


def adding_blind_mse(T: int) -> float:
    """The expected MSE of :func:`blind_answer` at length T: the lowest a model can reach
    without using the markers.

    What it cannot know is where in its half each marked value sits. A value drawn at
    random from n values of U[0, 1] has, around their mean, an expected variance of
    (1 - 1/n) / 12; the two halves (n1 = T // 2 and n2 = T - n1 steps) are independent, so

        MSE = (2 - 1/n1 - 1/n2) / 12,

    which is 1/6 - 1/(3T) for even T (and a hair below it for odd T). It approaches the
    1/6 of always answering 1 as T grows.
    """
    if T < 2:
        raise ValueError(f"the adding problem needs T >= 2; got T = {T}.")
    n1 = T // 2
    n2 = T - n1
    return (2.0 - 1.0 / n1 - 1.0 / n2) / 12.0


def blind_scores(T: int, n: int = 2560, *, tolerance: float = ADDING_TOLERANCE) -> dict:
    """:func:`blind_answer` scored on :func:`adding_test_set` ``(T, n)``, like
    :func:`evaluate_adding`: ``{"mse", "within"}``."""
    x, y = adding_test_set(T, n)
    return _scores(blind_answer(x), y, tolerance)


def train_adding(cell: str, T: int, *, hidden_size: int = 32, steps: int = 600, batch_size: int = 32,
                 lr: float = 1e-2, seed: int = 0, progress: bool = True) -> TrainResult:
    """Train a ``cell`` ("rnn" or "lstm") model on the adding problem of length T.

    Adam(lr), fresh batches of ``batch_size`` sequences every step (drawn from ``seed``),
    MSE on the read-out of the last step. Both cells get the same seed, so they see the
    very same batches.
    """
    params = model.init_params(cell, 2, hidden_size, 1, seed=seed)
    return train(params, lambda rng: tasks.adding_problem(T, batch_size, rng), loss="mse", readout="last",
                 steps=steps, optimizer=Adam(lr=lr), seed=seed, progress=progress,
                 desc=f"{cell.upper()} T={T}")


@dataclass
class AddingRun:
    """One trained model on the adding problem and its held-out scores."""

    cell: str
    T: int
    steps: int
    test_mse: float
    within: float
    result: TrainResult
    batch_size: int = 32

    @property
    def sequences_seen(self) -> int:
        """Training sequences drawn: steps times batch size (the 1997 paper's measure of effort)."""
        return self.steps * self.batch_size

    @property
    def learned(self) -> bool:
        """Under 0.01 test MSE: far below the baseline 1/6 (this lesson's bar for 'learned')."""
        return self.test_mse < 0.01


def compare_adding(lengths, *, cells=("rnn", "lstm"), steps=600, hidden_size: int = 32, batch_size: int = 32,
                   lr: float = 1e-2, seed: int = 0, n_test: int = 2560, progress: bool = True) -> list:
    """Train every cell at every length with the same budget; return a list of :class:`AddingRun`.

    ``steps`` is one number for every T, or a dict ``{T: steps}`` (longer sequences may
    get more steps; both cells at one T always get the same number).
    """
    runs = []
    for T in lengths:
        n_steps = steps[T] if isinstance(steps, dict) else steps
        x_test, y_test = adding_test_set(T, n_test)
        for cell in cells:
            result = train_adding(cell, T, hidden_size=hidden_size, steps=n_steps, batch_size=batch_size,
                                  lr=lr, seed=seed, progress=progress)
            scores = evaluate_adding(result.params, x_test, y_test)
            runs.append(AddingRun(cell, T, n_steps, scores["mse"], scores["within"], result, batch_size))
    return runs


def format_mse(value: float) -> str:
    """An MSE to print: one significant digit under 0.01 (the digits further down depend on
    the machine's floating-point rounding over hundreds of steps), two above."""
    if value < 0.01:
        return f"{value:.0e}".replace("e-0", "e-")
    return f"{value:.2f}"


def adding_table(runs, *, baseline: float = tasks.ADDING_BASELINE_MSE,
                 baseline_within: float = ADDING_BASELINE_WITHIN, n_test: int = 2560) -> str:
    """The runs as a plain-text table: T, cell, steps, training sequences seen, test MSE,
    fraction of test sequences within 0.04, and a verdict.

    Two baselines: always answering 1 (the same at every T), and, for each T, the best
    answer blind to the markers (:func:`blind_answer`), scored on the same ``n_test`` test
    sequences as the runs. A verdict of "learned" needs a test MSE below 0.01; "near the
    baselines" means above half of the blind baseline at that T.
    """
    header = (f"{'T':>4}  {'model':<6}  {'steps':>5}  {'sequences':>9}  {'test MSE':>8}  {'|err| < 0.04':>12}  "
              "verdict")
    base = (f"{'':>4}  {'-':<6}  {'':>5}  {'':>9}  {baseline:8.3f}  {baseline_within:>12.0%}  "
            "baseline: always answer 1")
    lines = [header, base]
    blind = {}
    for run in runs:
        if run.T not in blind:
            blind[run.T] = blind_scores(run.T, n_test)
            lines.append(f"{run.T:>4}  {'blind':<6}  {'':>5}  {'':>9}  {blind[run.T]['mse']:8.3f}  "
                         f"{blind[run.T]['within']:>12.0%}  baseline: best answer blind to the markers")
        if run.learned:
            verdict = "learned"
        elif run.test_mse > 0.5 * blind[run.T]["mse"]:
            verdict = "near the baselines"
        else:
            verdict = "partly"
        lines.append(f"{run.T:>4}  {run.cell.upper():<6}  {run.steps:>5}  {run.sequences_seen:>9,}  "
                     f"{format_mse(run.test_mse):>8}  {run.within:>12.0%}  {verdict}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------
# Forecasting
# ---------------------------------------------------------------------------------------

def train_forecaster(cell: str, series, window: int, *, hidden_size: int = 16, steps: int = 400,
                     batch_size: int = 32, lr: float = 1e-2, seed: int = 0, snapshots=(),
                     progress: bool = True) -> TrainResult:
    """Train a one-step-ahead predictor: from ``window`` past values, the next one.

    series (N,) -> every (window, next value) pair of :func:`rnn_course.tasks.forecast_windows`;
    each step draws ``batch_size`` of them at random. ``snapshots`` (step counts) keeps the
    parameters after those steps in ``result.snapshots``: one run, several training budgets.
    """
    x_all, y_all = tasks.forecast_windows(series, window, 1)
    n = x_all.shape[1]

    def make_batch(rng):
        idx = rng.integers(0, n, batch_size)
        return x_all[:, idx], y_all[idx]

    params = model.init_params(cell, 1, hidden_size, 1, seed=seed)
    return train(params, make_batch, loss="mse", readout="last", steps=steps, optimizer=Adam(lr=lr),
                 seed=seed, snapshots=snapshots, progress=progress, desc=f"{cell.upper()} forecaster")


def rollout(params: dict, context, n_ahead: int) -> np.ndarray:
    """Forecast ``n_ahead`` steps by feeding each prediction back in.

    context (window,) or (window, N): the last observed values (N series at once). Each
    step runs the model over the most recent ``window`` values, observed or predicted,
    appends its prediction and slides on. Returns the predictions, (n_ahead,) or
    (n_ahead, N) like the context.
    """
    context = np.asarray(context, dtype=np.float64)
    single = context.ndim == 1
    if single:
        context = context[:, None]
    window, n = context.shape
    values = np.concatenate([context, np.empty((n_ahead, n))])      # (window + n_ahead, N)
    for k in range(n_ahead):
        x = values[k: k + window, :, None]                            # (window, N, 1)
        pred, _ = model.forward(params, x, readout="last")            # (N, 1)
        values[window + k] = pred[:, 0]
    out = values[window:]
    return out[:, 0] if single else out


def sines_recurrence(periods) -> np.ndarray:
    """The exact linear recurrence obeyed by any noiseless sum of sines with these periods.

    A sine of angular frequency w satisfies s_t = 2 cos(w) s_{t-1} - s_{t-2} whatever its amplitude
    and phase; a sum of k of them satisfies the product of their characteristic polynomials, a
    recurrence of order 2k. Returns ``a`` (2k,) with s_t = a[0] s_{t-1} + ... + a[2k-1] s_{t-2k}.
    """
    poly = np.array([1.0])
    for period in periods:
        w = 2 * np.pi / period
        poly = np.convolve(poly, [1.0, -2 * np.cos(w), 1.0])
    return -poly[1:]


def fit_linear_forecaster(series, order: int) -> np.ndarray:
    """Least-squares coefficients ``a`` (order,) of s_t ~ a[0] s_{t-1} + ... + a[order-1] s_{t-order}."""
    series = np.asarray(series, dtype=np.float64)
    lagged = np.stack([series[order - k - 1: len(series) - k - 1] for k in range(order)], axis=1)
    coefs, *_ = np.linalg.lstsq(lagged, series[order:], rcond=None)
    return coefs


def linear_rollout(coefs, context, n_ahead: int) -> np.ndarray:
    """:func:`rollout` for a linear recurrence: context (window, N) with window >= len(coefs)."""
    coefs = np.asarray(coefs, dtype=np.float64)
    values = list(np.asarray(context, dtype=np.float64)[-len(coefs):])
    for _ in range(n_ahead):
        values.append(sum(a * values[-k - 1] for k, a in enumerate(coefs)))
    return np.array(values[len(coefs):])


def rmse(pred, target) -> float:
    """Root mean squared error between two arrays of the same shape."""
    pred, target = np.asarray(pred, dtype=np.float64), np.asarray(target, dtype=np.float64)
    if pred.shape != target.shape:
        raise ValueError(f"pred has shape {pred.shape} but target has shape {target.shape}.")
    return float(np.sqrt(np.mean((pred - target) ** 2)))


# ---------------------------------------------------------------------------------------
# A character-level language model
# ---------------------------------------------------------------------------------------

@dataclass
class CharLMRun:
    """A trained character model and its history.

    ``losses`` holds the loss on each step's batch; every ``eval_every`` steps the loss on
    the whole training text and on the held-out text is recorded (``eval_steps``,
    ``train_loss``, ``valid_loss``), and ``best_params`` keeps the weights at the lowest
    held-out loss (early stopping; None without held-out text).
    """

    params: dict
    losses: list = field(default_factory=list)
    eval_steps: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    valid_loss: list = field(default_factory=list)
    best_params: dict | None = None

    @property
    def best_step(self) -> int | None:
        """The evaluation step with the lowest held-out loss."""
        if not self.valid_loss:
            return None
        return self.eval_steps[int(np.argmin(self.valid_loss))]


def train_char_lm(ids, vocab_size: int, *, valid_ids=None, cell: str = "lstm", hidden_size: int = 64,
                  T: int = 25, batch_size: int = 32, steps: int = 500, lr: float = 1e-2,
                  clip: float | None = 5.0, eval_every: int = 25, seed: int = 0,
                  progress: bool = True, dtype=np.float64) -> CharLMRun:
    """Train next-character prediction on an encoded text ``ids (N,)``.

    Each step draws ``batch_size`` random windows of T characters
    (:func:`rnn_course.tasks.char_batches`, seeded by ``seed``) and takes one Adam step
    on the mean cross-entropy over every character of every window (nats per character),
    with the gradient norm clipped at ``clip``. ``valid_ids (M,)``, if given, is a held-out
    text scored with :func:`text_loss` every ``eval_every`` steps. ``dtype`` is the precision of the
    weights and of training (float32 about halves the time; lesson 5 uses it).
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1; got {steps}.")
    rng = np.random.default_rng(seed)
    opt = Adam(lr=lr)
    run = CharLMRun(params=model.init_params(cell, vocab_size, hidden_size, vocab_size, seed=seed, dtype=dtype))
    best = np.inf

    def evaluate(step):
        nonlocal best
        run.eval_steps.append(step)
        run.train_loss.append(text_loss(run.params, ids, vocab_size))
        if valid_ids is not None:
            run.valid_loss.append(text_loss(run.params, valid_ids, vocab_size))
            if run.valid_loss[-1] < best:
                best, run.best_params = run.valid_loss[-1], dict(run.params)

    evaluate(0)
    bar = progress_bar(range(1, steps + 1), total=steps, desc=f"{cell.upper()} characters", enabled=progress)
    for step in bar:
        x, targets = tasks.char_batches(ids, T, batch_size, rng, n_classes=vocab_size, dtype=dtype)
        value, grads = loss_and_grads(run.params, x, targets, loss="xent", readout="all")
        if clip is not None:
            grads, _ = clip_grad_norm(grads, clip)
        run.losses.append(value)
        run.params = opt.step(run.params, grads)
        if step % eval_every == 0 or step == steps:
            evaluate(step)
            if progress:
                bar.set_postfix(loss=f"{value:.3f}", refresh=False)
    if progress:
        bar.close()
    return run


def text_loss(params: dict, ids, vocab_size: int, T: int = 100) -> float:
    """Mean cross-entropy (nats per character) over a whole encoded text ``ids (N,)``.

    The text is cut into (N - 1) // T windows of T characters, run as one batch from a zero
    state; each window predicts its next characters, in the precision of ``params``. The tail
    that does not fill a window is left out.
    """
    ids = np.asarray(ids)
    n = (len(ids) - 1) // T
    if n < 1:
        raise ValueError(f"the text has {len(ids)} characters, fewer than T + 1 = {T + 1}.")
    inputs = ids[: n * T].reshape(n, T).T                         # (T, n): window k in column k
    targets = ids[1: n * T + 1].reshape(n, T).T
    dtype = np.result_type(*params.values())
    logits, _ = model.forward(params, tasks.one_hot(inputs, vocab_size, dtype), readout="all")
    return float(softmax_cross_entropy(logits, targets)[0])


def temperature_probs(logits, temperature: float) -> np.ndarray:
    """softmax(logits / temperature) along the last axis.

    temperature 1 keeps the model's distribution; below 1 sharpens it towards the most
    likely character, above 1 flattens it towards uniform. Must be positive.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be positive; got {temperature}.")
    return np.exp(log_softmax(np.asarray(logits, dtype=np.float64) / temperature))


def sample(params: dict, prime_ids, n: int, *, temperature: float = 1.0, seed: int = 0) -> np.ndarray:
    """Generate ``n`` character ids after the ``prime_ids`` (at least one), for a model whose
    inputs and outputs are the same V characters.

    The model reads the prime one character at a time (one-hot, (1, V)), carrying its
    state; then each new character is drawn from ``temperature_probs(logits, temperature)``
    and fed back in. Returns the ``n`` new ids, (n,).
    """
    prime_ids = np.asarray(prime_ids, dtype=np.int64).ravel()
    if prime_ids.size == 0:
        raise ValueError("sample needs at least one prime character.")
    V = params["W_hy"].shape[0]
    rng = np.random.default_rng(seed)
    cell = model.cell_of(params)
    out_params = {k: params[k] for k in linear.PARAM_KEYS}
    h = c = None
    out = np.empty(n, dtype=np.int64)

    def step(char_id, h, c):
        x_t = tasks.one_hot(np.array([char_id]), V)                 # (1, V)
        if cell == "rnn":
            h, _ = rnn.step_forward(params, x_t, h)
        else:
            h, c, _ = lstm.step_forward(params, x_t, h, c)
        return h, c

    for char_id in prime_ids:
        h, c = step(char_id, h, c)
    for k in range(n):
        logits, _ = linear.forward(out_params, h)                   # (1, V)
        p = temperature_probs(logits[0], temperature)
        out[k] = rng.choice(V, p=p)
        h, c = step(out[k], h, c)
    return out
