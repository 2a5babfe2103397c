"""A seeded training loop with a progress bar.

    result = train(params, make_batch, loss="mse", readout="last", steps=1500)

``make_batch(rng)`` returns one batch ``(x, target)`` drawn with the given NumPy
generator, so the same ``seed`` always gives the same batches and the same run.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from . import losses, model
from .optim import Adam, clip_grad_norm, clip_grad_value, cosine, global_norm


@dataclass
class TrainResult:
    """What a run leaves: the trained parameters and a per-step history."""

    params: dict
    losses: list = field(default_factory=list)
    grad_norms: list = field(default_factory=list)
    #: cosine between each step's gradient before and after clipping (only when clipping)
    clip_cosines: list = field(default_factory=list)
    #: ``{step: params}`` after that many steps, for the steps asked for with ``snapshots=``
    snapshots: dict = field(default_factory=dict)

    def final_loss(self, last: int = 50) -> float:
        """Mean training loss over the last ``last`` steps (smoother than the very last)."""
        return float(np.mean(self.losses[-last:]))


def loss_and_grads(params: dict, x, target, *, loss: str = "mse", readout: str = "last",
                   activation: str = "tanh"):
    """One forward and backward pass: returns (loss value, grads)."""
    y, cache = model.forward(params, x, readout=readout, activation=activation)
    if loss == "mse":
        value, dy = losses.mse(y, target)
    elif loss == "xent":
        value, dy = losses.softmax_cross_entropy(y, target)
    else:
        raise ValueError(f"loss must be 'mse' or 'xent'; got {loss!r}.")
    return value, model.backward(dy, cache)


def progress_bar(iterable, *, total=None, desc=None, enabled=True):
    """tqdm's progress bar (its notebook widget in Jupyter), or the bare iterable."""
    if not enabled:
        return iterable
    from tqdm.auto import tqdm
    from tqdm.notebook import tqdm as notebook_tqdm

    if issubclass(tqdm, notebook_tqdm):
        return _notebook_bar()(iterable, total=total, desc=desc, mininterval=0.25)
    return tqdm(iterable, total=total, desc=desc, mininterval=0.25)


@functools.cache
def _notebook_bar():
    """tqdm's notebook bar, shown under a display id so that, when it closes, the text a saved
    notebook keeps for it (what GitHub shows, where no widget runs) says the run finished,
    instead of the "0%" it was displayed with. That text has no timings, so re-running an
    unchanged lesson leaves its file unchanged."""
    from IPython.display import display
    from tqdm.notebook import tqdm as notebook_tqdm

    class FinishedBar(notebook_tqdm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, display=False, **kwargs)
            self._handle = display(self._bundle(f"{self.desc}: 0/{self.total}"), raw=True, display_id=True)
            self.displayed = True

        def _bundle(self, text: str) -> dict:
            bundle = dict(self.container._repr_mimebundle_())
            bundle["text/plain"] = text
            return bundle

        def close(self):
            super().close()
            handle, self._handle = getattr(self, "_handle", None), None
            if handle is not None:
                handle.update(self._bundle(f"{self.desc}: {self.n}/{self.total} done"), raw=True)

    return FinishedBar


def train(params: dict, make_batch, *, loss: str = "mse", readout: str = "last", steps: int = 1000,
          optimizer=None, clip: float | None = None, clip_value: float | None = None, seed: int = 0,
          activation: str = "tanh", snapshots=(), progress: bool = True, desc: str | None = None) -> TrainResult:
    """Train a :mod:`rnn_course.model` for ``steps`` steps.

    ``optimizer`` defaults to Adam(lr=1e-2); ``clip`` is a gradient-norm threshold and
    ``clip_value`` an element-wise one (None: no clipping; give at most one). The history
    records the loss and the gradient norm *before* clipping. ``snapshots`` lists step counts
    after which to keep a copy of the parameters (one run then shows several budgets).
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1; got {steps}.")
    if clip is not None and clip_value is not None:
        raise ValueError("give clip (a norm) or clip_value (element-wise), not both.")
    if any(not 1 <= s <= steps for s in snapshots):
        raise ValueError(f"snapshots must lie between 1 and steps = {steps}; got {list(snapshots)}.")
    rng = np.random.default_rng(seed)
    opt = optimizer if optimizer is not None else Adam(lr=1e-2)
    result = TrainResult(params=dict(params))
    bar = progress_bar(range(steps), total=steps, desc=desc, enabled=progress)
    for step in bar:
        x, target = make_batch(rng)
        value, grads = loss_and_grads(result.params, x, target, loss=loss, readout=readout,
                                      activation=activation)
        if clip is not None or clip_value is not None:
            clipped, norm = clip_grad_norm(grads, clip) if clip is not None else clip_grad_value(grads, clip_value)
            result.clip_cosines.append(cosine(grads, clipped))
            grads = clipped
        else:
            norm = global_norm(grads)
        result.losses.append(value)
        result.grad_norms.append(norm)
        result.params = opt.step(result.params, grads)
        if step + 1 in snapshots:
            result.snapshots[step + 1] = dict(result.params)
        if progress and step % 50 == 0:
            bar.set_postfix(loss=f"{value:.4f}", refresh=False)
    if progress:
        bar.close()
    return result
