"""Lesson 5's exercises: a multi-step forecast, and the softmax with a temperature that sampling uses.

Each usual mistake is a short function computing the wrong answer, with its sentence (see :mod:`.core`).
"""

from __future__ import annotations

import numpy as np

from .. import model
from .core import compare_exercise, known_mistake


def forecast(params, context, n_ahead):
    window = len(context)
    values = list(context)
    predictions = []
    for _ in range(n_ahead):
        x = np.array(values[-window:])[:, None, None]       # (window, 1, 1): time, batch, feature
        y, _ = model.forward(params, x, readout="last")     # (1, 1)
        predictions.append(y[0, 0])
        values.append(y[0, 0])                              # the prediction becomes the newest input
    return np.array(predictions)


def _rollout(params, context, n_ahead, *, sliding=True, feed_prediction=True, layout=lambda v: v[:, None, None],
             pick=lambda y: y[0, 0]):
    """A forecast rolled out the way a usual mistake does it: a window that grows instead of sliding, the
    last observed value fed back instead of each prediction, or the window laid out along another axis."""
    window, values, out = len(context), list(context), []
    for _ in range(n_ahead):
        inputs = np.array(values[-window:] if sliding else values)
        y, _ = model.forward(params, layout(inputs), readout="last")
        out.append(pick(y))
        values.append(pick(y) if feed_prediction else context[-1])
    return np.array(out)


_SWAPPED = ("your window is laid out along the batch axis, (1, window, 1): the model then reads one step of "
            "window separate sequences. The course's arrays are time-major, (T, B, D): use (window, 1, 1).")

FORECAST_MISTAKES = [
    known_mistake("every forecast is the same number: append each prediction to the values and run the model "
                  "again on the latest window.")(
        lambda params, context, n: np.full(n, forecast(params, context, 1)[0])),
    known_mistake("your window is extended with the last observed value at every step, so no forecast ever sees "
                  "an earlier prediction. Append the model's prediction instead: each forecast becomes the newest "
                  "input of the next.")(lambda *args: _rollout(*args, feed_prediction=False)),
    known_mistake("your window grows with every prediction; the model was trained on windows of len(context) "
                  "values, so keep only the last len(context).")(lambda *args: _rollout(*args, sliding=False)),
    known_mistake(_SWAPPED)(lambda *args: _rollout(*args, layout=lambda v: v[None, :, None])),
    known_mistake(_SWAPPED)(lambda *args: _rollout(*args, layout=lambda v: v[None, :, None], pick=lambda y: y[-1, 0])),
    known_mistake("your first forecast is missing: you returned forecasts 2 to n_ahead + 1. The first forecast is "
                  "the model's answer on the context itself.")(lambda p, c, n: forecast(p, c, n + 1)[1:]),
]


def _forecast_cases():
    params = model.init_params("rnn", 1, 6, 1, seed=5)
    params["b_y"] = np.array([0.3])
    return [(params, np.sin(np.arange(8) / 2.0), 5), (params, np.cos(np.arange(3) / 1.5), 4)]


compare_exercise("05.forecast", "Forecast several steps ahead", solution=forecast, cases=_forecast_cases,
                 mistakes=FORECAST_MISTAKES, allow=("rnn_course.model.forward",),
                 hint="context is (window,); return the n_ahead forecasts, (n_ahead,).",
                 praise="each prediction is fed back in as the newest input, and the window slides along.")


def softmax_with_temperature(logits, temperature):
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max()                 # the largest exponent becomes e^0 = 1: nothing overflows
    e = np.exp(z)
    return e / e.sum()


TEMPERATURE_MISTAKES = [
    known_mistake("you return the plain softmax: the temperature must change the distribution (divide the logits by "
                  "it).")(lambda z, T: softmax_with_temperature(z, 1.0)),
    known_mistake("you multiplied the logits by the temperature; divide them instead, so that a low temperature "
                  "sharpens the distribution.")(lambda z, T: softmax_with_temperature(np.asarray(z) * T * T, T)),
    known_mistake("your probabilities do not sum to 1: divide the exponentials by their sum.")(
        lambda z, T: np.exp(np.asarray(z, dtype=float) / T - np.max(np.asarray(z) / T))),
    known_mistake("your probabilities do not sum to 1: divide the exponentials by their sum.")(
        lambda z, T: np.exp(np.asarray(z, dtype=float) / T)),
]


def _temperature_cases():
    logits = np.array([2.0, 1.0, 0.5, -1.0])
    return [(logits, 1.0), (logits, 0.5), (logits, 2.0), (np.array([1000.0, 999.0, 0.0]), 0.5)]


compare_exercise("05.temperature_softmax", "Softmax with a temperature", solution=softmax_with_temperature,
                 cases=_temperature_cases, mistakes=TEMPERATURE_MISTAKES,
                 hint="logits (C,) and a temperature > 0; return C probabilities. Logits like 1000 overflow np.exp "
                      "unless you subtract the largest (scaled) logit first; the result does not change.",
                 praise="a temperature below 1 sharpens the distribution, above 1 flattens it, and shifting by the "
                        "maximum keeps np.exp from overflowing.")
