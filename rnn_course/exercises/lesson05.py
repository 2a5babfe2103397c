"""Lesson 5's exercises: a multi-step forecast, and the softmax with a temperature that sampling uses."""

from __future__ import annotations

import numpy as np

from .. import model
from ..experiments import rollout
from .core import Mistake, attempt, exercise, require_array


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


def _rollout_mistake(params, context, n_ahead, *, sliding=True, feed_prediction=True):
    """A forecast rolled out the way a usual mistake does it: a window that grows instead of
    sliding, or the last observed value fed back instead of each prediction."""
    window, values, out = len(context), list(context), []
    for _ in range(n_ahead):
        inputs = values[-window:] if sliding else values
        y, _ = model.forward(params, np.array(inputs)[:, None, None], readout="last")
        out.append(y[0, 0])
        values.append(y[0, 0] if feed_prediction else context[-1])
    return np.array(out)


@exercise("05.forecast", "Forecast several steps ahead", solution=forecast)
def _check_forecast(answer):
    params = model.init_params("rnn", 1, 6, 1, seed=5)
    params["b_y"] = np.array([0.3])
    context = np.sin(np.arange(8) / 2.0)
    given = context.copy()
    got = require_array(attempt(answer, params, given, 5), (5,), "forecast(params, context, 5)")
    if not np.array_equal(given, context):
        raise Mistake("your function changed the context array it was given; work on a copy (list(context)).")
    want = rollout(params, context, 5)
    if np.allclose(got, want):
        return "each prediction is fed back in as the newest input, and the window slides along."
    first, _ = model.forward(params, context[:, None, None], readout="last")
    if not np.isclose(got[0], first[0, 0]):
        raise Mistake(f"the first forecast should be the model's answer on the context itself, "
                      f"{first[0, 0]:.4f}; yours is {got[0]:.4f}.")
    if np.allclose(got, got[0]):
        raise Mistake("every forecast is the same number: append each prediction to the values and run the "
                      "model again on the latest window.")
    if np.allclose(got, _rollout_mistake(params, context, 5, feed_prediction=False)):
        raise Mistake(f"your window is extended with the last observed value, {context[-1]:.4f}, at every step, "
                      "so no forecast ever sees an earlier prediction. Append the model's prediction "
                      "instead (y[0, 0]): each forecast becomes the newest input of the next.")
    if np.allclose(got, _rollout_mistake(params, context, 5, sliding=False)):
        raise Mistake("your window grows with every prediction; the model was trained on windows of "
                      "len(context) values, so keep only the last len(context) (values[-window:]).")
    raise Mistake(f"expected {np.round(want, 4)}, got {np.round(got, 4)}.")


def softmax_with_temperature(logits, temperature):
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max()                 # the largest exponent becomes e^0 = 1: nothing overflows
    e = np.exp(z)
    return e / e.sum()


_reference = softmax_with_temperature


def _plain_softmax(logits):
    return _reference(logits, 1.0)


@exercise("05.temperature_softmax", "Softmax with a temperature", solution=softmax_with_temperature)
def _check_temperature_softmax(answer):
    logits = np.array([2.0, 1.0, 0.5, -1.0])
    for temperature in (1.0, 0.5, 2.0):
        got = require_array(attempt(answer, logits, temperature), logits.shape,
                            f"softmax_with_temperature(logits, {temperature})")
        if not np.isclose(got.sum(), 1.0):
            raise Mistake(f"at temperature {temperature} your probabilities sum to {got.sum():.3g}, not 1: "
                          "divide the exponentials by their sum.")
        want = _reference(logits, temperature)
        if np.allclose(got, want):
            continue
        if temperature != 1.0 and np.allclose(got, _plain_softmax(logits)):
            raise Mistake(f"at temperature {temperature} you return the plain softmax: the temperature "
                          "must change the distribution (divide the logits by it).")
        if np.allclose(got, _plain_softmax(logits * temperature)):
            raise Mistake(f"at temperature {temperature} you multiplied the logits by the temperature; "
                          "divide them instead, so that a low temperature sharpens the distribution.")
        raise Mistake(f"at temperature {temperature} expected {np.round(want, 3)}, got {np.round(got, 3)}.")
    big = np.array([1000.0, 999.0, 0.0])
    with np.errstate(over="ignore", invalid="ignore"):    # an overflow is the mistake we look for
        got = attempt(answer, big, 0.5)
    if got is not None and not np.all(np.isfinite(np.asarray(got, dtype=np.float64))):
        raise Mistake("logits of 1000 overflow np.exp and give NaN: subtract the largest (scaled) logit "
                      "before exponentiating; the result does not change.")
    got = require_array(got, big.shape, "softmax_with_temperature([1000, 999, 0], 0.5)")
    if not np.allclose(got, _reference(big, 0.5)):
        raise Mistake(f"for logits {big.tolist()} at temperature 0.5 expected "
                      f"{np.round(_reference(big, 0.5), 3)}, got {np.round(got, 3)}.")
    return ("a temperature below 1 sharpens the distribution, above 1 flattens it, and shifting by the "
            "maximum keeps np.exp from overflowing.")
