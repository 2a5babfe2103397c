"""Lines of real handwritten digits, and a recurrent reader that transcribes them with CTC.

The digits are the 1,797 8x8 images of the UCI "Optical Recognition of Handwritten Digits" data set
that scikit-learn ships (``data/digits.csv.gz``; source and licence in ``data/README.md``): each
pixel counts the ink in a 4x4 block of a 32x32 bitmap, 0..16, here scaled to 0..1.

A *line* is 3 to 6 digit images set side by side with random gaps, on a strip of blank paper of
fixed width, read column by column: x is (T, B, 8), one 8-pixel column per step. Its label is the
digit string and nothing else: no column is told which digit it belongs to. Labels are the digits
shifted by one, so that symbol 0 is CTC's blank: digit d is label d + 1.

The reader: an optional 1-D convolution over each column and its neighbours (tanh), a stack of
recurrent layers from :mod:`rnn_course.deep` (bidirectional or not), and a linear layer to K = 11
scores per column, trained with :func:`rnn_course.ctc.loss_and_grad` and Adam.
"""

from __future__ import annotations

import gzip
import time
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from . import ctc, deep, linear
from .optim import Adam, clip_grad_norm

BLANK = 0
N_SYMBOLS = 11                 # the blank and the ten digits
HEIGHT = 8                     # pixels per column
DEFAULT_WIDTH = 66             # columns per line: room for 6 digits, 5 gaps of up to 3 and a margin


# ---------------------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------------------

def load_digits():
    """The 1,797 images ``(N, 8, 8)`` scaled to 0..1 (float64) and their digits ``(N,)``."""
    raw = resources.files("rnn_course").joinpath("data", "digits.csv.gz").read_bytes()
    table = np.loadtxt(gzip.decompress(raw).decode("ascii").splitlines(), delimiter=",", dtype=np.int64)
    return table[:, :64].reshape(-1, 8, 8) / 16.0, table[:, 64]


def split_images(n_images: int, *, test_fraction: float = 0.3, seed: int = 0):
    """Disjoint index arrays ``(train, test)``: lines for training are made only from ``train``."""
    if not 0 < test_fraction < 1:
        raise ValueError(f"test_fraction should be between 0 and 1; got {test_fraction}.")
    order = np.random.default_rng(seed).permutation(n_images)
    n_test = int(round(test_fraction * n_images))
    return np.sort(order[n_test:]), np.sort(order[:n_test])


def text_of(labels) -> str:
    """A label list as the digit string it stands for: [4, 2, 2] -> "311"."""
    return "".join(str(int(label) - 1) for label in labels)


@dataclass
class Lines:
    """A batch of lines: x (T, B, 8), targets (B label lists), texts (B digit strings),
    and for each line the image indices used and the column where each digit starts."""

    x: np.ndarray
    targets: list
    texts: list
    images: list = field(default_factory=list)
    starts: list = field(default_factory=list)


def make_lines(images, digits, pool, n_lines: int, *, seed: int = 0, min_digits: int = 3, max_digits: int = 6,
               max_gap: int = 3, width: int = DEFAULT_WIDTH, dtype=np.float64) -> Lines:
    """``n_lines`` lines of ``min_digits``..``max_digits`` images drawn from ``pool`` (indices into
    ``images``), separated by 0..``max_gap`` blank columns, after a margin of 0..2, on a strip ``width``
    columns wide (blank paper fills the rest). Seeded: the same arguments give the same lines."""
    if not 1 <= min_digits <= max_digits:
        raise ValueError(f"need 1 <= min_digits <= max_digits; got {min_digits} and {max_digits}.")
    longest = 2 + max_digits * HEIGHT + (max_digits - 1) * max_gap
    if width < longest:
        raise ValueError(f"width should be at least {longest} columns for {max_digits} digits with gaps of up to "
                         f"{max_gap}; got {width}.")
    pool = np.asarray(pool)
    rng = np.random.default_rng(seed)
    x = np.zeros((width, n_lines, HEIGHT), dtype=dtype)
    lines = Lines(x, [], [])
    for b in range(n_lines):
        chosen = rng.choice(pool, size=rng.integers(min_digits, max_digits + 1), replace=False)
        col = int(rng.integers(0, 3))
        starts = []
        for i, index in enumerate(chosen):
            if i:
                col += int(rng.integers(0, max_gap + 1))
            starts.append(col)
            x[col:col + 8, b, :] = images[index].T              # column j of the image is step col + j
            col += 8
        labels = [int(digits[i]) + 1 for i in chosen]
        lines.targets.append(labels)
        lines.texts.append(text_of(labels))
        lines.images.append(chosen.tolist())
        lines.starts.append(starts)
    return lines


# ---------------------------------------------------------------------------------------
# The reader: convolution -> recurrent stack -> linear -> CTC
# ---------------------------------------------------------------------------------------

def init_reader(*, cell: str = "lstm", hidden_size: int = 24, bidirectional: bool = True, conv_channels: int = 16,
                conv_width: int = 3, seed: int = 0, dtype=np.float64) -> dict:
    """Parameters ``{"conv": {"W_c", "b_c"} or None, "layers": deep layers, "out": {"W_hy", "b_y"}}``.

    The convolution (``conv_channels`` > 0) maps each column and its neighbours, ``conv_width``
    columns in all (odd), to ``conv_channels`` features: W_c (C, conv_width * 8), b_c (C,).
    """
    if conv_width < 1 or conv_width % 2 == 0:
        raise ValueError(f"conv_width should be an odd number of columns; got {conv_width}.")
    rng = np.random.default_rng(seed + 100)
    conv = None
    if conv_channels:
        fan_in = conv_width * HEIGHT
        conv = {"W_c": rng.uniform(-1, 1, (conv_channels, fan_in)).astype(dtype) / np.sqrt(fan_in),
                "b_c": np.zeros(conv_channels, dtype=dtype)}
    d_in = conv_channels or HEIGHT
    layers = deep.init_layers(cell, d_in, hidden_size, bidirectional=bidirectional, seed=seed, dtype=dtype)
    out = linear.init_params((2 if bidirectional else 1) * hidden_size, N_SYMBOLS, seed=seed + 50, dtype=dtype)
    return {"cell": cell, "conv": conv, "layers": layers, "out": out}


def _windows(x, width: int):
    """(T, B, D) -> (T, B, width * D): each column with its neighbours, zero beyond the edges."""
    half = width // 2
    padded = np.pad(x, ((half, half), (0, 0), (0, 0)))
    return np.concatenate([padded[j:j + len(x)] for j in range(width)], axis=-1)


def reader_forward(params: dict, x):
    """x (T, B, 8) -> (logits (T, B, 11), cache)."""
    cache = {}
    z = np.asarray(x)
    if params["conv"] is not None:
        width = params["conv"]["W_c"].shape[1] // HEIGHT
        windows = _windows(z, width)
        z = np.tanh(windows @ params["conv"]["W_c"].T + params["conv"]["b_c"])
        cache["conv"] = (windows, z)
    h, cache["deep"] = deep.forward(params["layers"], z, cell=params["cell"])
    logits, cache["out"] = linear.forward(params["out"], h)
    return logits, cache


def reader_backward(dlogits, params: dict, cache) -> dict:
    """The gradient of every parameter, shaped like ``params``."""
    dh, d_out = linear.backward(dlogits, cache["out"])
    dz, d_layers = deep.backward(dh, cache["deep"])
    grads = {"cell": params["cell"], "conv": None, "layers": d_layers, "out": d_out}
    if params["conv"] is not None:
        windows, z = cache["conv"]
        da = dz * (1 - z ** 2)
        grads["conv"] = {"W_c": np.einsum("tbc,tbd->cd", da, windows), "b_c": da.sum(axis=(0, 1))}
    return grads


def _flat(params: dict) -> dict:
    """Every array of the reader under a path name ("layers.0.forward.W_x"), the same objects."""
    flat = {}
    if params["conv"] is not None:
        flat.update({f"conv.{k}": v for k, v in params["conv"].items()})
    for i, layer in enumerate(params["layers"]):
        for d, p in layer.items():
            flat.update({f"layers.{i}.{d}.{k}": v for k, v in p.items()})
    flat.update({f"out.{k}": v for k, v in params["out"].items()})
    return flat


def _unflat(flat: dict, like: dict) -> dict:
    new = {"cell": like["cell"], "conv": None, "layers": [{d: {} for d in layer} for layer in like["layers"]],
           "out": {}}
    for name, value in flat.items():
        parts = name.split(".")
        if parts[0] == "conv":
            new["conv"] = new["conv"] or {}
            new["conv"][parts[1]] = value
        elif parts[0] == "layers":
            new["layers"][int(parts[1])][parts[2]][parts[3]] = value
        else:
            new["out"][parts[1]] = value
    return new


def count_params(params: dict) -> int:
    """The number of trained numbers in a reader."""
    return int(sum(v.size for v in _flat(params).values()))


def logits_of(params: dict, x) -> np.ndarray:
    """The reader's scores for every column, (T, B, 11)."""
    return reader_forward(params, x)[0]


@dataclass
class Training:
    params: dict
    losses: list
    seconds: float
    steps: int
    batch_size: int


def train_reader(params: dict, images, digits, pool, *, steps: int = 200, batch_size: int = 32, lr: float = 1e-2,
                 max_norm: float = 5.0, seed: int = 0, **line_options) -> Training:
    """Adam on the mean CTC loss of fresh lines from ``pool`` (new seeded lines every step)."""
    opt = Adam(lr=lr)
    flat = _flat(params)
    losses = []
    start = time.perf_counter()
    for step in range(steps):
        batch = make_lines(images, digits, pool, batch_size, seed=seed * 1_000_003 + step, **line_options)
        current = _unflat(flat, params)
        logits, cache = reader_forward(current, batch.x)
        loss, dlogits = ctc.loss_and_grad(logits, batch.targets, blank=BLANK)
        grads, _ = clip_grad_norm(_flat(reader_backward(dlogits / batch_size, current, cache)), max_norm)
        flat = opt.step(flat, grads)
        losses.append(float(loss.mean()))
    return Training(_unflat(flat, params), losses, time.perf_counter() - start, steps, batch_size)


# ---------------------------------------------------------------------------------------
# Scoring a transcription
# ---------------------------------------------------------------------------------------

def edit_distance(a, b) -> int:
    """The fewest insertions, deletions and substitutions turning sequence a into b (Levenshtein)."""
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (x != y))
    return row[-1]


def error_rates(predicted: list, targets: list) -> tuple:
    """(character error rate, line error rate): edits over all true digits, and the share of lines
    not read exactly."""
    edits = sum(edit_distance(p, t) for p, t in zip(predicted, targets))
    chars = sum(len(t) for t in targets)
    wrong = sum(list(p) != list(t) for p, t in zip(predicted, targets))
    return edits / chars, wrong / len(targets)


__all__ = ["BLANK", "Lines", "N_SYMBOLS", "Training", "count_params", "edit_distance", "error_rates", "init_reader",
           "load_digits", "logits_of", "make_lines", "reader_backward", "reader_forward", "split_images", "text_of",
           "train_reader"]


# ---------------------------------------------------------------------------------------
# Comparing readers under one budget
# ---------------------------------------------------------------------------------------

#: The readers lesson 8 compares: name -> (cell, bidirectional, convolution channels).
READERS = {
    "BLSTM + conv": ("lstm", True, 16),
    "BLSTM": ("lstm", True, 0),
    "LSTM + conv (one-way)": ("lstm", False, 16),
    "BiRNN + conv (tanh)": ("rnn", True, 16),
}


def matched_hidden_size(cell: str, bidirectional: bool, conv_channels: int, target: int) -> int:
    """The hidden size whose reader has the parameter count closest to ``target``."""
    def size(H):
        return count_params(init_reader(cell=cell, hidden_size=H, bidirectional=bidirectional,
                                        conv_channels=conv_channels))
    return min(range(1, 257), key=lambda H: (abs(size(H) - target), H))


@dataclass
class ReaderRun:
    name: str
    seed: int
    hidden_size: int
    n_params: int
    steps: int
    batch_size: int
    seconds: float
    greedy: tuple            # (character error rate, line error rate)
    beam: tuple
    final_loss: float


def evaluate(params: dict, lines: Lines, beam_width: int = 8) -> tuple:
    """((CER, LER) with greedy decoding, (CER, LER) with prefix beam search) on ``lines``."""
    logits = logits_of(params, lines.x)
    greedy = error_rates(ctc.greedy_decode(logits, blank=BLANK), lines.targets)
    beam = error_rates(ctc.beam_search(logits, beam_width, blank=BLANK), lines.targets)
    return greedy, beam


def compare_readers(names=tuple(READERS), *, seeds=(0,), steps: int = 1500, batch_size: int = 32,
                    hidden_size: int = 24, lr: float = 1e-2, n_test: int = 300, beam_width: int = 8,
                    split_seed: int = 0, test_seed: int = 12345, progress=None) -> list:
    """Train every reader in ``names`` with every seed, the same steps, batches and learning rate,
    sizes matched to the first reader's parameter count; score each on ``n_test`` held-out lines."""
    images, digits = load_digits()
    train, test = split_images(len(images), seed=split_seed)
    test_lines = make_lines(images, digits, test, n_test, seed=test_seed)
    cell0, bi0, conv0 = READERS[names[0]]
    target = count_params(init_reader(cell=cell0, hidden_size=hidden_size, bidirectional=bi0, conv_channels=conv0))
    runs = []
    for name in names:
        cell, bi, conv = READERS[name]
        H = hidden_size if name == names[0] else matched_hidden_size(cell, bi, conv, target)
        for seed in seeds:
            params = init_reader(cell=cell, hidden_size=H, bidirectional=bi, conv_channels=conv, seed=seed)
            run = train_reader(params, images, digits, train, steps=steps, batch_size=batch_size, lr=lr, seed=seed)
            greedy, beam = evaluate(run.params, test_lines, beam_width)
            runs.append(ReaderRun(name, seed, H, count_params(params), steps, batch_size, run.seconds, greedy, beam,
                                  float(np.mean(run.losses[-50:]))))
            if progress:
                progress(runs[-1])
    return runs


def format_runs(runs: list, beam_width: int = 8) -> str:
    """The runs as a table: error rates in whole percent (rounded, so that they read the same on
    every machine)."""
    lines = [f"{'reader':<22} {'H':>3} {'params':>6} {'seed':>4}   {'greedy CER':>10} {'LER':>5}   "
             f"{f'beam {beam_width} CER':>11} {'LER':>5}"]
    for r in runs:
        lines.append(f"{r.name:<22} {r.hidden_size:>3} {r.n_params:>6,} {r.seed:>4}   {r.greedy[0]:>10.0%} "
                     f"{r.greedy[1]:>5.0%}   {r.beam[0]:>11.0%} {r.beam[1]:>5.0%}")
    return "\n".join(lines)
