"""Lesson 5's exercises: a multi-step forecast, and the softmax with a temperature that sampling uses.

Each usual mistake is a short function computing the wrong answer, with its sentence (see :mod:`.core`).
"""

from __future__ import annotations

import numpy as np

from .. import model
from .core import KnownMistake, compare_exercise, known_mistake


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


def _predict(params, inputs):
    """The model's forecast after reading ``inputs`` (a window of values), as the solution runs it."""
    y, _ = model.forward(params, np.array(inputs)[:, None, None], readout="last")
    return y[0, 0]


@known_mistake("every forecast is the same number: append each prediction to the values and run the model again on "
               "the latest window.")
def _same_forecast(params, context, n_ahead):
    return np.full(n_ahead, _predict(params, context))


@known_mistake("your window is extended with the last observed value at every step, so no forecast ever sees an "
               "earlier prediction. Append the model's prediction instead: each forecast becomes the newest input of "
               "the next.")
def _feeds_the_last_observation(params, context, n_ahead):
    values, predictions = list(context), []
    for _ in range(n_ahead):
        predictions.append(_predict(params, values[-len(context):]))
        values.append(context[-1])                      # the last observation, not the prediction
    return np.array(predictions)


@known_mistake("your window grows with every prediction; the model was trained on windows of len(context) values, "
               "so keep only the last len(context).")
def _growing_window(params, context, n_ahead):
    values, predictions = list(context), []
    for _ in range(n_ahead):
        predictions.append(_predict(params, values))    # every value so far, not the last len(context)
        values.append(predictions[-1])
    return np.array(predictions)


_SWAPPED = ("your window is laid out along the batch axis, (1, window, 1): the model then reads one step of "
            "window separate sequences. The course's arrays are time-major, (T, B, D): use (window, 1, 1).")


_FIRST_VALUE_ONLY = ("each forecast is the model's output after reading only the first value of the window. Either "
                     "the window is laid out along the batch axis, (1, window, 1), so the model reads window separate "
                     "one-step sequences (the course's arrays are time-major, (T, B, D): use (window, 1, 1)), or you "
                     "took y[0], the output after the first step, where the forecast is the last step's, y[-1].")


def _batch_major(pick):
    """The forecast with the window laid out (1, window, 1), reading the output ``pick(y)``."""
    def forecast_along_the_batch(params, context, n_ahead):
        values, predictions = list(context), []
        for _ in range(n_ahead):
            y, _ = model.forward(params, np.array(values[-len(context):])[None, :, None], readout="last")
            predictions.append(pick(y))
            values.append(pick(y))
        return np.array(predictions)
    return forecast_along_the_batch


@known_mistake("your first forecast is missing: you returned forecasts 2 to n_ahead + 1. The first forecast is the "
               "model's answer on the context itself.")
def _first_forecast_missing(params, context, n_ahead):
    return forecast(params, context, n_ahead + 1)[1:]


@known_mistake("your result has the shape (len(context) + n_ahead,): you returned the context followed by the "
               "forecasts; return only the n_ahead new values.")
def _context_included(params, context, n_ahead):
    return np.concatenate([np.asarray(context, dtype=float), forecast(params, context, n_ahead)])


@known_mistake("your window is one value short: values[-window + 1:] keeps window - 1 values. Keep the last "
               "len(context): values[-len(context):].")
def _window_one_short(params, context, n_ahead):
    values, predictions = list(context), []
    for _ in range(n_ahead):
        predictions.append(_predict(params, values[-len(context) + 1:]))
        values.append(predictions[-1])
    return np.array(predictions)


@known_mistake("each forecast you kept is an array of shape (1, 1), the model's whole output; keep the number, "
               "y[0, 0] (with readout=\"last\"), so that the forecasts form one array of shape (n_ahead,).")
def _whole_output_kept(params, context, n_ahead):
    return forecast(params, context, n_ahead)[:, None, None]


@known_mistake("each forecast you kept is an array of shape (1,), a row of the model's output; keep the number, "
               "y[0, 0] (with readout=\"last\"), so that the forecasts form one array of shape (n_ahead,).")
def _output_row_kept(params, context, n_ahead):
    return forecast(params, context, n_ahead)[:, None]


FORECAST_MISTAKES = [
    _same_forecast, _feeds_the_last_observation, _growing_window,
    KnownMistake(_batch_major(lambda y: y[0, 0]), _FIRST_VALUE_ONLY),
    KnownMistake(_batch_major(lambda y: y[-1, 0]), _SWAPPED),
    _first_forecast_missing, _context_included, _window_one_short, _whole_output_kept, _output_row_kept,
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
    known_mistake("you divided the probabilities by the temperature, after the softmax; divide the logits, before it: "
                  "softmax(logits / T).")(lambda z, T: softmax_with_temperature(z, 1.0) / T),
    known_mistake("the sum you divide by comes from the unscaled logits; numerator and denominator both use "
                  "logits / T: e = exp(logits / T - max), then e / e.sum().")(
        lambda z, T: np.exp((z - np.max(z)) / T) / np.exp(z - np.max(z)).sum()),
    known_mistake("you raised the probabilities to the power 1 / T and stopped: they no longer sum to 1. Divide "
                  "the logits by T before the softmax instead (or divide the powers by their sum).")(
        lambda z, T: softmax_with_temperature(z, 1.0) ** (1 / T)),
    known_mistake("you returned log-probabilities (the log-softmax); exponentiate them: the probabilities are "
                  "e / e.sum().")(lambda z, T: np.log(softmax_with_temperature(z, T))),
]


def _temperature_cases():
    logits = np.array([2.0, 1.0, 0.5, -1.0])
    return [(logits, 1.0), (logits, 0.5), (logits, 2.0), (np.array([1000.0, 999.0, 0.0]), 0.5),
            (np.array([9.0, 8.0, 0.0]), 0.01),       # small scores, but 9 / 0.01 = 900 overflows np.exp too
            (np.array([0.0, 1000.0]), 0.5)]          # 2000 above the smallest: a shift by the mean still overflows


compare_exercise("05.temperature_softmax", "Softmax with a temperature", solution=softmax_with_temperature,
                 cases=_temperature_cases, mistakes=TEMPERATURE_MISTAKES,
                 hint="np.exp overflows above about 709: which shift of the scores leaves every p_i as it is and "
                      "keeps every exponent <= 0? (logits (C,), a temperature > 0; C probabilities that sum to 1.)",
                 praise="a temperature below 1 sharpens the distribution, above 1 flattens it, and shifting by the "
                        "maximum keeps np.exp from overflowing.")
