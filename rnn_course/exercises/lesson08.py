"""Lesson 8's exercises: CTC's forward recursion, its loss and gradient, greedy and prefix beam search.

Every function here works on ONE sequence (no batch axis): ``log_probs`` or ``logits`` of shape
(T, K), a target list of L labels, the blank at index ``blank``. The learner may call the two
log-space helpers the lesson gives, ``rnn_course.ctc.logsumexp`` and ``rnn_course.ctc.log_softmax``;
the rest of :mod:`rnn_course.ctc` is the course's own and does not count.
"""

from __future__ import annotations

import copy
import inspect

import numpy as np

from .. import ctc
from .core import Mistake, NotAttempted, attempt, diagnose, exercise, known_mistake, learner_gradcheck
from .matcher import close

ALLOW = ("rnn_course.ctc.logsumexp", "rnn_course.ctc.log_softmax")


# ---------------------------------------------------------------------------------------
# 08.ctc_forward
# ---------------------------------------------------------------------------------------

def ctc_forward(log_probs, target, blank=0):
    # log_probs (T, K): log y[t, k]; target: L labels  ->  log_alpha (T, 2L + 1)
    ext = [blank]
    for label in target:
        ext += [label, blank]                       # z' = (blank, z1, blank, z2, ..., zL, blank)
    T, S = len(log_probs), len(ext)
    log_alpha = np.full((T, S), -np.inf, dtype=log_probs.dtype)
    log_alpha[0, 0] = log_probs[0, blank]           # start in the first blank ...
    if S > 1:
        log_alpha[0, 1] = log_probs[0, ext[1]]      # ... or on the first label
    for t in range(1, T):
        for s in range(S):
            terms = [log_alpha[t - 1, s]]           # stay
            if s >= 1:
                terms.append(log_alpha[t - 1, s - 1])   # move on by one
            if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                terms.append(log_alpha[t - 1, s - 2])   # skip a blank between two different labels
            log_alpha[t, s] = ctc.logsumexp(*terms) + log_probs[t, ext[s]]
    return log_alpha


def _extended(target, blank):
    ext = [blank]
    for label in target:
        ext += [label, blank]
    return ext


def _skip_different(ext, s, blank):
    return s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]


def _alpha(log_probs, ext, blank, *, combine=ctc.logsumexp, may_skip=_skip_different, start_states=2, emit=0):
    """The alpha recursion over a given extended sequence; the keyword names the one change
    (``emit=-1``: step t emits z'_{s-1} instead of z'_s)."""
    T, S = len(log_probs), len(ext)
    log_alpha = np.full((T, S), -np.inf, dtype=log_probs.dtype)
    for s in range(min(start_states, S)):
        log_alpha[0, s] = log_probs[0, ext[s]]
    for t in range(1, T):
        for s in range(S):
            terms = [log_alpha[t - 1, s]] + ([log_alpha[t - 1, s - 1]] if s >= 1 else [])
            if may_skip(ext, s, blank):
                terms.append(log_alpha[t - 1, s - 2])
            log_alpha[t, s] = combine(*terms) + log_probs[t, ext[s + emit]]
    return log_alpha


@known_mistake("you allowed the skip from s - 2 to s between two EQUAL labels: an alignment that jumps from "
               "one 3 straight to the next 3 collapses to a single 3, so it does not belong to the target 3 3. "
               "Skip the blank only when z'_s differs from z'_{s-2}.")
def _skip_equal(log_probs, target, blank=0):
    return _alpha(log_probs, _extended(target, blank), blank,
                  may_skip=lambda ext, s, blank: s >= 2 and ext[s] != blank)


@known_mistake("your recursion never skips: from s - 2 an alignment may jump over a blank straight to s when "
               "z'_s is a label different from z'_{s-2} ('3 7' needs no blank between), so alpha[t, s] sums "
               "three terms there, not two.")
def _no_skip(log_probs, target, blank=0):
    return _alpha(log_probs, _extended(target, blank), blank, may_skip=lambda ext, s, blank: False)


def _log_product(*terms):
    return np.sum(terms)


@known_mistake("you added the log-alphas of the incoming states (log a + log b): that MULTIPLIES the "
               "probabilities of the paths arriving. Paths are alternatives, so their probabilities add: "
               "in log space, ctc.logsumexp(log a, log b).")
def _multiplied(log_probs, target, blank=0):
    return _alpha(log_probs, _extended(target, blank), blank, combine=_log_product)


@known_mistake("you kept only the best incoming path (max instead of logsumexp): that is the Viterbi "
               "recursion, the probability of the single best alignment. CTC sums over all alignments: "
               "ctc.logsumexp(...).")
def _viterbi(log_probs, target, blank=0):
    return _alpha(log_probs, _extended(target, blank), blank, combine=lambda *t: np.max(t))


def _as_learners_write_it(*terms):
    # a single incoming term (the stay at s = 0) is used as it is; two or three go through exp and back
    return terms[0] if len(terms) == 1 else np.log(sum(np.exp(t) for t in terms))


@known_mistake("you summed the incoming paths as np.log(np.exp(a) + np.exp(b)): right for short sequences, "
               "but exp underflows to 0 once the log-probabilities fall below about -745 (long sequences, "
               "confident networks), and log(0) = -inf. Shift by the largest term first, or use ctc.logsumexp.")
def _probability_space(log_probs, target, blank=0):
    return _alpha(log_probs, _extended(target, blank), blank, combine=_as_learners_write_it)


@known_mistake("your extended sequence has no blank in front: z' must be (blank, z1, blank, ..., zL, blank), "
               "2L + 1 symbols, so that an alignment can start with silence.")
def _no_leading_blank(log_probs, target, blank=0):
    return _alpha(log_probs, _extended(target, blank)[1:], blank)


@known_mistake("your extended sequence has no blank at the end: z' must be (blank, z1, blank, ..., zL, blank), "
               "2L + 1 symbols, so that an alignment can end with silence.")
def _no_trailing_blank(log_probs, target, blank=0):
    return _alpha(log_probs, _extended(target, blank)[:-1], blank)


@known_mistake("the start states are wrong: at t = 0 an alignment may begin in the first blank (s = 0) OR on "
               "the first label (s = 1); set both log_alpha[0, 0] and log_alpha[0, 1].")
def _one_start_state(log_probs, target, blank=0):
    return _alpha(log_probs, _extended(target, blank), blank, start_states=1)


@known_mistake("state s emits z'_{s-1}, the symbol before it: at state s the alignment emits z'_s, so add "
               "log_probs[t, ext[s]].")
def _emits_previous(log_probs, target, blank=0):
    return _alpha(log_probs, _extended(target, blank), blank, emit=-1)


@known_mistake("the last state (the final blank, s = S - 1) is never filled after step 0: your loop over s "
               "stops at S - 2. Run s over range(S), all 2L + 1 states.")
def _last_state_missing(log_probs, target, blank=0):
    log_alpha = ctc_forward(log_probs, target, blank)
    log_alpha[1:, -1] = -np.inf
    return log_alpha


@known_mistake("the last step is never filled: your loop over t stops at T - 2. Run t over range(1, T), so "
               "that row T - 1 holds the alphas that p(z | x) is read from.")
def _last_step_missing(log_probs, target, blank=0):
    log_alpha = ctc_forward(log_probs, target, blank)
    if len(log_alpha) > 1:
        log_alpha[-1] = -np.inf
    return log_alpha


HUGE_NEGATIVE = ("your impossible states hold a huge negative number (such as -1e30) where the reference has -inf. "
                 "Your sums are right; write -np.inf (np.full(..., -np.inf)): ctc.logsumexp is exact with it, "
                 "and -1e30 + -1e30 is a number, not 'impossible'.")


def _huge_for_impossible(answer, args) -> bool:
    """True if the answer is right once its huge negative numbers are read as -inf."""
    try:
        with np.errstate(all="ignore"):
            got = np.asarray(attempt(answer, *copy.deepcopy(args)), dtype=np.float64)
    except Exception:
        return False
    expected = ctc_forward(*copy.deepcopy(args)).astype(np.float64)
    if got.shape != expected.shape or not np.isneginf(expected).any() or np.isneginf(got).any():
        return False
    return close(np.where(got < -1e20, -np.inf, got), expected, 1e-6, 1e-6)


def _case_text(names, args) -> str:
    """ "with target = [1, 2, 2], blank = 0": the small arguments of a case, for crash messages."""
    parts = [f"{n} = {list(v) if isinstance(v, list | tuple) else v}" for n, v in zip(names, args)
             if not isinstance(v, np.ndarray)]
    shapes = [f"{n} of shape {v.shape} ({v.dtype})" for n, v in zip(names, args) if isinstance(v, np.ndarray)]
    return "with " + ", ".join(shapes + parts)


def _run_cases(answer, solution, cases, mistakes, names, outputs=None, *, rtol=1e-6, atol=1e-6, hint=""):
    """diagnose() over every case; a crash names the case it happened on."""
    for args in cases:
        try:
            diagnose(answer, solution, args, mistakes, outputs, rtol=rtol, atol=atol, hint=hint)
        except Mistake as err:
            if "raised" in str(err) and not isinstance(err, NotAttempted):
                text = str(err).rstrip(".")
                raise Mistake(f"{text.split('. Shapes:')[0]} ({_case_text(names, args)}).") from None
            raise


def _forward_cases():
    rng = np.random.default_rng(8)
    cases = []
    for T, K, target in ((7, 4, [1, 2, 2]), (9, 5, [3, 3, 1, 4]), (5, 3, [2]), (4, 3, [])):
        cases.append((ctc.log_softmax(rng.normal(0, 2, (T, K))), list(target), 0))
    confident = rng.choice([-400.0, 400.0], size=(8, 4))          # log-probabilities near -800: exp underflows
    cases.append((ctc.log_softmax(confident), [1, 2, 2], 0))
    cases.append((ctc.log_softmax(rng.normal(0, 2, (6, 4))).astype(np.float32), [2, 1], 0))
    cases.append((ctc.log_softmax(rng.normal(0, 2, (8, 5))), [1, 0, 0, 3], 2))       # the blank is symbol 2
    cases.append((ctc.log_softmax(rng.normal(0, 2, (6, 4))), [0, 2, 1], 3))          # ... and here the last one
    return cases


_FORWARD_MISTAKES = [_skip_equal, _no_skip, _no_leading_blank, _no_trailing_blank, _one_start_state,
                     _emits_previous, _last_state_missing, _last_step_missing, _multiplied, _viterbi,
                     _probability_space]


@exercise("08.ctc_forward", "CTC's forward (alpha) recursion, in log space", solution=ctc_forward, allow=ALLOW)
def _check_forward(answer):
    hint = ("Shapes: log_probs (T, K), target a list of L labels (maybe empty); return log_alpha (T, 2L + 1), "
            "-inf where no alignment reaches.")
    for args in _forward_cases():
        try:
            _run_cases(answer, ctc_forward, [args], _FORWARD_MISTAKES, ("log_probs", "target", "blank"), hint=hint)
        except Mistake as err:
            if _huge_for_impossible(answer, args):
                raise Mistake(HUGE_NEGATIVE) from None
            raise err
    return ("the extended sequence with its blanks, both start states, stay / move on / skip only between "
            "different labels, and the paths summed in log space.")


# ---------------------------------------------------------------------------------------
# 08.ctc_loss_grad
# ---------------------------------------------------------------------------------------

def ctc_backward(log_probs, target, blank=0):
    # log_beta[t, s]: log-probability of the steps AFTER t, given state s at step t
    ext = [blank]
    for label in target:
        ext += [label, blank]
    T, S = len(log_probs), len(ext)
    log_beta = np.full((T, S), -np.inf, dtype=log_probs.dtype)
    log_beta[T - 1, S - 1] = 0.0                    # end in the last blank ...
    if S > 1:
        log_beta[T - 1, S - 2] = 0.0                # ... or on the last label
    for t in range(T - 2, -1, -1):
        for s in range(S):
            terms = [log_beta[t + 1, s] + log_probs[t + 1, ext[s]]]
            if s + 1 < S:
                terms.append(log_beta[t + 1, s + 1] + log_probs[t + 1, ext[s + 1]])
            if s + 2 < S and ext[s + 2] != blank and ext[s + 2] != ext[s]:
                terms.append(log_beta[t + 1, s + 2] + log_probs[t + 1, ext[s + 2]])
            log_beta[t, s] = ctc.logsumexp(*terms)
    return log_beta


def ctc_loss_grad(logits, target, blank=0):
    # logits (T, K) -> loss = -log p(target | x), dlogits (T, K)
    log_probs = ctc.log_softmax(logits)                 # stable: shifts by the largest logit
    log_alpha = ctc_forward(log_probs, target, blank)
    log_beta = ctc_backward(log_probs, target, blank)
    S = log_alpha.shape[1]
    log_p = ctc.logsumexp(log_alpha[-1, -1], log_alpha[-1, -2]) if S > 1 else log_alpha[-1, -1]
    occupancy = np.exp(log_alpha + log_beta - log_p)    # (T, S): share of p carried through (t, s)
    dlogits = np.exp(log_probs)                     # y[t, k]
    ext = [blank]
    for label in target:
        ext += [label, blank]
    for s, k in enumerate(ext):
        dlogits[:, k] -= occupancy[:, s]            # minus the share of alignments emitting k at t
    return (-log_p).astype(logits.dtype), dlogits.astype(logits.dtype)


def _loss_grad(log_probs, log_alpha, log_beta, log_p, ext, dtype):
    """The loss and gradient from given pieces (the mistakes below change one piece each)."""
    occupancy = np.exp(log_alpha + log_beta - log_p)
    dlogits = np.exp(log_probs)
    for s, k in enumerate(ext):
        dlogits[:, k] -= occupancy[:, s]
    return np.asarray(-log_p).astype(dtype), dlogits.astype(dtype)


def _pieces(logits, target, blank):
    log_probs = ctc.log_softmax(logits)
    return log_probs, ctc_forward(log_probs, target, blank), ctc_backward(log_probs, target, blank)


def _end(log_alpha):
    return ctc.logsumexp(log_alpha[-1, -1], log_alpha[-1, -2]) if log_alpha.shape[1] > 1 else log_alpha[-1, -1]


@known_mistake("the end states are wrong: you read p(z | x) from log_alpha[T-1, S-1] alone. An alignment may "
               "end in the last blank OR on the last label: ctc.logsumexp(log_alpha[T-1, S-1], log_alpha[T-1, S-2]).")
def _one_end_state(logits, target, blank=0):
    log_probs, log_alpha, log_beta = _pieces(logits, target, blank)
    return _loss_grad(log_probs, log_alpha, log_beta, log_alpha[-1, -1], _extended(target, blank), logits.dtype)


@known_mistake("your gradient is missing the softmax's own term: dL/du[t, k] = y[t, k] - (share of the "
               "alignments that emit k at step t). You returned only minus the share, the gradient with "
               "respect to the log-probabilities' selection, not the logits.")
def _no_softmax_term(logits, target, blank=0):
    log_probs, log_alpha, log_beta = _pieces(logits, target, blank)
    loss, d = _loss_grad(log_probs, log_alpha, log_beta, _end(log_alpha), _extended(target, blank), logits.dtype)
    return loss, (d - np.exp(log_probs)).astype(logits.dtype)


@known_mistake("you did not divide by p(z | x): alpha[t, s] * beta[t, s] is the probability of the alignments "
               "through (t, s); its SHARE of p(z | x), exp(log_alpha + log_beta - log_p), is what the gradient "
               "needs (the shares at each step add up to 1).")
def _not_normalised(logits, target, blank=0):
    log_probs, log_alpha, log_beta = _pieces(logits, target, blank)
    loss, _ = _loss_grad(log_probs, log_alpha, log_beta, _end(log_alpha), _extended(target, blank), logits.dtype)
    _, d = _loss_grad(log_probs, log_alpha, log_beta, 0.0, _extended(target, blank), logits.dtype)
    return loss, d


@known_mistake("your beta counts step t's own emission, and so does alpha: alpha + beta then holds "
               "log y[t, z'_s] twice. Either define beta over the steps after t only (as here), or subtract "
               "log y[t, z'_s] once.")
def _emission_twice(logits, target, blank=0):
    log_probs, log_alpha, log_beta = _pieces(logits, target, blank)
    ext = _extended(target, blank)
    return _loss_grad(log_probs, log_alpha, log_beta + log_probs[:, ext], _end(log_alpha), ext, logits.dtype)


@known_mistake("your loss has the wrong sign: the loss is MINUS log p(z | x), a positive number that "
               "training makes smaller.")
def _wrong_sign(logits, target, blank=0):
    loss, d = ctc_loss_grad(logits, target, blank)
    return -loss, d


@known_mistake("your softmax overflows at large logits: np.exp(1000) is infinity, so exp(u) / sum(exp(u)) gives "
               "NaN. Subtract the largest logit of each step first (log_softmax does), then take logs.")
def _naive_softmax(logits, target, blank=0):
    log_probs = np.log(np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True))
    log_alpha = ctc_forward(log_probs, target, blank)
    log_beta = ctc_backward(log_probs, target, blank)
    return _loss_grad(log_probs, log_alpha, log_beta, _end(log_alpha), _extended(target, blank), logits.dtype)


def _skip_ahead(ext, s, blank):
    return ext[s + 2] != blank and ext[s + 2] != ext[s]


def _beta(log_probs, ext, blank, *, end_states=2, may_skip=_skip_ahead):
    """beta by the backward recursion; the keyword names the one change."""
    T, S = len(log_probs), len(ext)
    log_beta = np.full((T, S), -np.inf, dtype=log_probs.dtype)
    log_beta[T - 1, S - min(end_states, S):] = 0.0
    for t in range(T - 2, -1, -1):
        for s in range(S):
            terms = [log_beta[t + 1, s] + log_probs[t + 1, ext[s]]]
            if s + 1 < S:
                terms.append(log_beta[t + 1, s + 1] + log_probs[t + 1, ext[s + 1]])
            if s + 2 < S and may_skip(ext, s, blank):
                terms.append(log_beta[t + 1, s + 2] + log_probs[t + 1, ext[s + 2]])
            log_beta[t, s] = ctc.logsumexp(*terms)
    return log_beta


def _with_beta(logits, target, blank, **change):
    log_probs = ctc.log_softmax(logits)
    log_alpha = ctc_forward(log_probs, target, blank)
    ext = _extended(target, blank)
    return _loss_grad(log_probs, log_alpha, _beta(log_probs, ext, blank, **change), _end(log_alpha), ext,
                      logits.dtype)


@known_mistake("your beta starts from the last blank alone: an alignment may end on the last blank OR on the "
               "last label, so set both log_beta[T-1, S-1] and log_beta[T-1, S-2] to 0 (probability 1).")
def _beta_one_end(logits, target, blank=0):
    return _with_beta(logits, target, blank, end_states=1)


@known_mistake("your beta allows the skip between two EQUAL labels (from s to s + 2 when z'_{s+2} == z'_s): that "
               "path collapses to one label, not two. Skip only onto a label different from z'_s.")
def _beta_skips_equal(logits, target, blank=0):
    return _with_beta(logits, target, blank, may_skip=lambda ext, s, blank: ext[s + 2] != blank)


@known_mistake("your gradient keeps only the LAST state's share for each symbol: the blank sits at L + 1 states "
               "(and a repeated digit at two), and `dlogits[:, k] = ...` or `dlogits[:, ext] -= occupancy` "
               "(repeated indices: only one update survives) drops the others. Subtract every state's share: "
               "a loop with -=, or np.subtract.at(dlogits, (slice(None), ext), occupancy).")
def _shares_overwritten(logits, target, blank=0):
    log_probs, log_alpha, log_beta = _pieces(logits, target, blank)
    occupancy = np.exp(log_alpha + log_beta - _end(log_alpha))
    y = np.exp(log_probs)
    dlogits = y.copy()
    for s, k in enumerate(_extended(target, blank)):
        dlogits[:, k] = y[:, k] - occupancy[:, s]
    return np.asarray(-_end(log_alpha)).astype(logits.dtype), dlogits.astype(logits.dtype)


_LOSS_MISTAKES = [_one_end_state, _beta_one_end, _beta_skips_equal, _shares_overwritten, _no_softmax_term,
                  _not_normalised, _emission_twice, _wrong_sign]


def _loss_cases():
    rng = np.random.default_rng(80)
    cases = [(rng.normal(0, 1.5, (T, K)), list(target), 0)
             for T, K, target in ((8, 4, [1, 2, 2]), (10, 5, [3, 3, 1, 4]), (5, 3, [2]), (4, 3, []))]
    cases.append((rng.normal(0, 1.5, (6, 4)).astype(np.float32), [2, 1], 0))
    cases.append((rng.normal(0, 1.5, (9, 5)), [1, 0, 0, 3], 2))                     # the blank is symbol 2
    return cases


def _large_logits_case():
    rng = np.random.default_rng(81)
    return (rng.choice([-1000.0, 1000.0], size=(7, 4)) + rng.normal(0, 1, (7, 4)), [1, 2, 2], 0)


def _gradcheck_after(answer):
    logits, target = np.random.default_rng(82).normal(0, 1, (6, 4)), [1, 3, 3]

    def loss(params):
        return float(np.asarray(answer(params["logits"].copy(), list(target))[0]))

    return learner_gradcheck(answer, loss, {"logits": logits},
                             lambda fn, params: {"logits": fn(params["logits"], list(target))[1]})


@exercise("08.ctc_loss_grad", "CTC's loss and its gradient with respect to the logits (alpha and beta)",
          solution=ctc_loss_grad, allow=ALLOW,
          solution_text="\n\n".join(inspect.getsource(f) for f in (ctc_forward, ctc_backward, ctc_loss_grad)))
def _check_loss_grad(answer):
    hint = "Shapes: logits (T, K), target a list of L labels (maybe empty); return (loss, dlogits (T, K))."
    names, outputs = ("logits", "target", "blank"), ("loss", "dlogits")
    _run_cases(answer, ctc_loss_grad, _loss_cases(), _LOSS_MISTAKES, names, outputs, rtol=1e-5, hint=hint)
    try:
        _run_cases(answer, ctc_loss_grad, [_large_logits_case()], _LOSS_MISTAKES, names, outputs, rtol=1e-5,
                   hint=hint)
    except Mistake as err:
        if "NaN" in str(err) or "infinity" in str(err):
            raise Mistake(_naive_softmax.explanation) from None
        raise
    return ("the loss from both end states, beta over the steps after t, and y minus each symbol's share of "
            "the alignments. " + _gradcheck_after(answer))


# ---------------------------------------------------------------------------------------
# 08.greedy_decode
# ---------------------------------------------------------------------------------------

def greedy_decode(log_probs, blank=0):
    # log_probs (T, K) -> the labels: best symbol per step, repeats merged, then blanks dropped
    path = np.argmax(log_probs, axis=1)
    labels = []
    for t, symbol in enumerate(path):
        if symbol != blank and (t == 0 or symbol != path[t - 1]):
            labels.append(int(symbol))
    return labels


def _labels_of(value, who="your function"):
    """A decoder's answer as a list of ints (a list, tuple or 1-D array of whole numbers), else a Mistake."""
    if value is None:
        raise Mistake(f"{who} returned None; did you forget to `return` the labels?")
    arr = np.asarray(value) if isinstance(value, list | tuple | np.ndarray) else None
    if arr is None or arr.ndim != 1 or (arr.size and arr.dtype.kind not in "iuf"):
        raise Mistake(f"{who} should return a list of labels (ints), like [3, 1, 4]; it returned "
                      f"{type(value).__name__}" + (f" of shape {arr.shape}" if arr is not None else "") + ".")
    if arr.size and not np.all(arr == np.round(arr)):
        raise Mistake(f"{who} should return whole-number labels; it returned {arr.tolist()}.")
    return [int(k) for k in arr]


def _decodes(fn, cases):
    """fn's labelling of every case, or None when it fails on one (a known mistake that does not apply)."""
    try:
        with np.errstate(all="ignore"):
            return [_labels_of(fn(*copy.deepcopy(args)), "a known mistake") for args in cases]
    except Exception:
        return None


def _check_decoder(answer, solution, cases, mistakes, names, hint):
    """Compare labellings case by case; name a known mistake only if it gives the answer's labelling on
    EVERY case (a coincidence on one case names nothing); otherwise say expected and got."""
    got, first_wrong = [], None
    for i, args in enumerate(cases):
        try:
            value = attempt(answer, *copy.deepcopy(args))
        except Mistake as err:
            raise Mistake(f"{str(err).rstrip('.')} ({_case_text(names, args)}). {hint}") from None
        got.append(_labels_of(value))
        if first_wrong is None and got[-1] != solution(*copy.deepcopy(args)):
            first_wrong = i
    if first_wrong is None:
        return
    for mistake in mistakes:
        if _decodes(mistake.compute, cases) == got:
            raise Mistake(mistake.explanation)
    args = cases[first_wrong]
    raise Mistake(f"{_case_text(names, args)}: expected {solution(*copy.deepcopy(args))}, got {got[first_wrong]} "
                  f"(compared as label sequences; {first_wrong + 1} of {len(cases)} cases checked in order).")


def _best_path(log_probs):
    return [int(k) for k in np.argmax(log_probs, axis=1)]


def _merged(path):
    return [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]


@known_mistake("repeats are not collapsed: you dropped the blanks but kept every step of a run, so "
               "'3 3 - 7' reads 3 3 7. Merge runs of the same symbol first, then drop the blanks.")
def _repeats_kept(log_probs, blank=0):
    return [k for k in _best_path(log_probs) if k != blank]


@known_mistake("you dropped the blanks BEFORE merging repeats, so '3 - 3' became one 3: the blank between two "
               "equal labels is what keeps them two. Merge runs first, then drop the blanks.")
def _blanks_first(log_probs, blank=0):
    return _merged([k for k in _best_path(log_probs) if k != blank])


@known_mistake("the blanks are still in: after merging runs, drop every blank (the symbol `blank`).")
def _blanks_kept(log_probs, blank=0):
    return _merged(_best_path(log_probs))


@known_mistake("you returned the best symbol of every step (the alignment), not the labelling: apply the "
               "collapse rule, merge repeats, then drop blanks.")
def _path_returned(log_probs, blank=0):
    return _best_path(log_probs)


@known_mistake("your labels are one less than the reference's: return the symbol indices themselves (label k is "
               "column k of log_probs), not k - 1; turning labels into digits is for printing only.")
def _shifted_down(log_probs, blank=0):
    return [k - 1 for k in greedy_decode(log_probs, blank)]


@known_mistake("you took the argmax over axis 0, the steps, which gives one step number per symbol: the best "
               "symbol of each step is np.argmax(log_probs, axis=1) (log_probs is (T, K)).")
def _argmax_over_steps(log_probs, blank=0):
    path = np.argmax(log_probs, axis=0)
    return [int(k) for i, k in enumerate(path) if k != blank and (i == 0 or k != path[i - 1])]


_GREEDY_MISTAKES = [_repeats_kept, _blanks_first, _blanks_kept, _path_returned, _shifted_down, _argmax_over_steps]


def _from_path(path, K, rng):
    """Log-probabilities whose best symbol at step t is path[t]."""
    scores = rng.normal(0, 0.5, (len(path), K))
    scores[np.arange(len(path)), path] += 3.0
    return ctc.log_softmax(scores)


def _greedy_cases():
    rng = np.random.default_rng(88)
    paths = ([0, 3, 3, 0, 0, 3, 7, 7, 0], [2, 2, 0, 2, 5, 0, 0, 5, 5, 1], [0, 0, 0, 0], [4, 0, 4, 4, 0, 4, 1])
    cases = [(_from_path(p, 8, rng), 0) for p in paths]
    cases.append((_from_path([1, 1, 0, 2], 3, rng).astype(np.float32), 0))
    cases.append((_from_path([5, 3, 3, 5, 5, 0, 5, 1, 1], 6, rng), 5))       # the blank is symbol 5
    return cases


@exercise("08.greedy_decode", "Greedy (best path) decoding", solution=greedy_decode, allow=ALLOW)
def _check_greedy(answer):
    _check_decoder(answer, greedy_decode, _greedy_cases(), _GREEDY_MISTAKES, ("log_probs", "blank"),
                   "Shapes: log_probs (T, K); return a list of labels (ints).")
    return "the best symbol per step, runs merged, then blanks dropped: '3 - 3 3 - 7' reads 3 3 7."


# ---------------------------------------------------------------------------------------
# 08.beam_search
# ---------------------------------------------------------------------------------------

def beam_search(log_probs, beam_width, blank=0):
    # log_probs (T, K) -> the most probable labelling the beam finds (a list of labels)
    beam = {(): (0.0, -np.inf)}         # prefix -> (log p of alignments ending in a blank, ... in its last label)
    for lp in log_probs:
        moves = []                      # (prefix after this step, log p added ending in a blank, ... in a label)
        for prefix, (p_blank, p_label) in beam.items():
            p_total = np.logaddexp(p_blank, p_label)
            moves.append((prefix, p_total + lp[blank], -np.inf))              # a blank: the prefix stays
            if prefix:
                moves.append((prefix, -np.inf, p_label + lp[prefix[-1]]))     # its last label again: stays
            for k in range(len(lp)):
                if k == blank:
                    continue
                if prefix and k == prefix[-1]:
                    moves.append((prefix + (k,), -np.inf, p_blank + lp[k]))   # a repeat only after a blank
                else:
                    moves.append((prefix + (k,), -np.inf, p_total + lp[k]))
        grown = {}
        for prefix, in_blank, in_label in moves:                              # the same prefix twice: add
            b, n = grown.get(prefix, (-np.inf, -np.inf))
            grown[prefix] = (np.logaddexp(b, in_blank), np.logaddexp(n, in_label))
        best = sorted(grown, key=lambda p: np.logaddexp(*grown[p]), reverse=True)[:beam_width]
        beam = {p: grown[p] for p in best}
    return list(max(beam, key=lambda p: np.logaddexp(*beam[p])))


def _total(entry):
    return np.logaddexp(*entry)


def _moves(beam, lp, blank, repeat_needs_blank=True, keep_repeat=True, merge=np.logaddexp):
    """Where every prefix of the beam goes on one column: (prefix, log p ending in a blank, ... in a label)."""
    moves = []
    for prefix, (p_blank, p_label) in beam.items():
        p_all = merge(p_blank, p_label)
        moves.append((prefix, p_all + lp[blank], -np.inf))
        if prefix and keep_repeat:
            moves.append((prefix, -np.inf, p_label + lp[prefix[-1]]))
        for k in range(len(lp)):
            if k != blank:
                only_blank = prefix and k == prefix[-1] and repeat_needs_blank
                moves.append((prefix + (k,), -np.inf, (p_blank if only_blank else p_all) + lp[k]))
    return moves


def _gather(moves, merge=np.logaddexp):
    grown = {}
    for prefix, in_blank, in_label in moves:
        b, n = grown.get(prefix, (-np.inf, -np.inf))
        grown[prefix] = (merge(b, in_blank), merge(n, in_label))
    return grown


def _overwrite(moves):
    """Two routes into the same prefix: the later replaces the earlier (only where it brings something)."""
    grown = {}
    for prefix, in_blank, in_label in moves:
        b, n = grown.get(prefix, (-np.inf, -np.inf))
        grown[prefix] = (in_blank if in_blank > -np.inf else b, in_label if in_label > -np.inf else n)
    return grown


def _search(log_probs, beam_width, blank, *, moves=_moves, gather=_gather, rank=_total, reverse=True, choose=_total):
    """Prefix beam search made of its steps; a known mistake swaps one of them."""
    beam = {(): (0.0, -np.inf)}
    for lp in log_probs:
        grown = gather(moves(beam, lp, blank))
        best = sorted(grown, key=lambda p: rank(grown[p]), reverse=reverse)[:beam_width]
        beam = {p: grown[p] for p in best}
    return list(max(beam, key=lambda p: choose(beam[p])))


@known_mistake("your beam search returns what greedy decoding returns: it ranks prefixes by their single best "
               "alignment (max, or no search at all), and the best single alignment is the greedy path. A "
               "labelling's probability is the SUM over all its alignments (logaddexp).")
def _max_not_sum(log_probs, beam_width, blank=0):
    return _search(log_probs, beam_width, blank, moves=lambda b, lp, k: _moves(b, lp, k, merge=np.maximum),
                   gather=lambda m: _gather(m, merge=np.maximum), rank=lambda e: max(e), choose=lambda e: max(e))


@known_mistake("you appended a label equal to the prefix's last one from every alignment: with no blank between "
               "two equal labels, '3 3' collapses to ONE 3, so only the alignments ending in a blank may grow "
               "3 into 3 3 (the others stay at 3).")
def _repeat_without_blank(log_probs, beam_width, blank=0):
    return _search(log_probs, beam_width, blank, moves=lambda b, lp, k: _moves(b, lp, k, repeat_needs_blank=False))


@known_mistake("you dropped the alignments that repeat the prefix's last label: emitting 3 again after an "
               "alignment ending in 3 leaves the prefix as it is, and that probability belongs to it.")
def _repeat_dropped(log_probs, beam_width, blank=0):
    return _search(log_probs, beam_width, blank, moves=lambda b, lp, k: _moves(b, lp, k, keep_repeat=False))


@known_mistake("your search ignores beam_width: it keeps every prefix, so it is exact but grows without bound. "
               "After each column keep only the beam_width most probable prefixes.")
def _every_prefix(log_probs, beam_width, blank=0):
    return _search(log_probs, 10 ** 9, blank)


@known_mistake("you kept the beam_width LEAST probable prefixes: sort by log(p_b + p_nb) in descending order "
               "(sorted(..., reverse=True)) before taking the first beam_width.")
def _sorted_ascending(log_probs, beam_width, blank=0):
    return _search(log_probs, beam_width, blank, reverse=False)


@known_mistake("you ranked the prefixes by p_nb alone (the alignments ending in the last label): a prefix's "
               "probability is p_b + p_nb, in logs np.logaddexp(log_p_b, log_p_nb).")
def _ranked_by_label_ending(log_probs, beam_width, blank=0):
    return _search(log_probs, beam_width, blank, rank=lambda e: e[1])


@known_mistake("you chose the final answer by p_b alone (the alignments ending in a blank): an alignment may end "
               "on its last label too; choose by np.logaddexp(log_p_b, log_p_nb).")
def _chosen_by_blank_ending(log_probs, beam_width, blank=0):
    return _search(log_probs, beam_width, blank, choose=lambda e: e[0])


@known_mistake("when two routes reach the same prefix, the later one replaces the earlier: their probabilities "
               "must ADD (np.logaddexp of what is there and what arrives), since both are alignments of it.")
def _merge_overwrites(log_probs, beam_width, blank=0):
    return _search(log_probs, beam_width, blank, gather=_overwrite)


_BEAM_MISTAKES = [_max_not_sum, _repeat_without_blank, _repeat_dropped, _sorted_ascending, _ranked_by_label_ending,
                  _chosen_by_blank_ending, _merge_overwrites, _every_prefix]      # the slowest to compute last


def _beam_cases():
    # sizes small enough that a search keeping every prefix ((K - 1)**T of them) still ends in a moment
    first = np.random.default_rng(1)         # T = 5, K = 3, beam 4: a case where the repeat rule decides
    T, K, width = (int(first.integers(3, 8)), int(first.integers(2, 4)), int(first.integers(2, 5)))
    cases = [(ctc.log_softmax(first.normal(0, 1.0, (T, K))), width, 0)]
    rng = np.random.default_rng(888)
    for T, K, width in ((6, 3, 4), (8, 4, 3), (7, 5, 8), (7, 3, 1), (12, 3, 16), (5, 3, 2)):
        for _ in range(3):
            cases.append((ctc.log_softmax(rng.normal(0, 1.2, (T, K))), width, 0))
    # a case where summing over alignments changes the answer: the best path reads [], but "1" wins
    summed = np.log(np.array([[0.4, 0.35, 0.25], [0.4, 0.35, 0.25]]))
    cases.append((summed, 4, 0))
    for T, K, width, blank in ((8, 4, 2, 3), (7, 4, 3, 1)):     # blanks other than 0 (small: every prefix fits)
        cases.append((ctc.log_softmax(rng.normal(0, 1.2, (T, K))), width, blank))
    return cases


@exercise("08.beam_search", "Prefix beam search", solution=beam_search, allow=ALLOW)
def _check_beam(answer):
    _check_decoder(answer, beam_search, _beam_cases(), _BEAM_MISTAKES, ("log_probs", "beam_width", "blank"),
                   "Shapes: log_probs (T, K), beam_width a whole number; return a list of labels (ints).")
    return ("two probabilities per prefix (ending in a blank, ending in its last label), repeats only after a "
            "blank, alignments summed, the beam_width best prefixes kept.")


# ---------------------------------------------------------------------------------------
# Hints, one step at a time: the first names where to start, the last is nearly the line
# ---------------------------------------------------------------------------------------

HINTS = {
    "08.ctc_forward": (
        "Start from the extended target z' = [blank, z1, blank, z2, ..., zL, blank] (2L + 1 states) and an array "
        "log_alpha of shape (T, 2L + 1) filled with -np.inf, in the dtype of log_probs.",
        "Step 0 has two start states: log_alpha[0, 0] = log_probs[0, blank] and, if there is a label, "
        "log_alpha[0, 1] = log_probs[0, ext[1]].",
        "At each later step t and state s, collect the incoming terms: log_alpha[t-1, s] (stay), "
        "log_alpha[t-1, s-1] (move on, if s >= 1), and log_alpha[t-1, s-2] only if ext[s] is not the blank and "
        "differs from ext[s-2].",
        "log_alpha[t, s] = ctc.logsumexp(*terms) + log_probs[t, ext[s]]",
    ),
    "08.ctc_loss_grad": (
        "Start from log_probs = ctc.log_softmax(logits), then log_alpha from your ctc_forward and log_beta from a "
        "ctc_backward you write as its mirror image (steps after t only).",
        "log_beta[T-1, S-1] = log_beta[T-1, S-2] = 0; going back, log_beta[t, s] sums log_beta[t+1, s'] + "
        "log_probs[t+1, ext[s']] over s' = s, s + 1 and s + 2 (the skip under the same rule as alpha).",
        "log_p = ctc.logsumexp(log_alpha[-1, -1], log_alpha[-1, -2]) (only the last one for an empty target); the "
        "loss is -log_p, and share = np.exp(log_alpha + log_beta - log_p) has shape (T, S).",
        "dlogits = np.exp(log_probs); then for s, k in enumerate(ext): dlogits[:, k] -= share[:, s]",
    ),
    "08.greedy_decode": (
        "Start from the best symbol of each step: np.argmax(log_probs, axis=1), one index per step.",
        "Walk along that path and keep a symbol only if it differs from the symbol just before it (merging runs "
        "comes first).",
        "Of what you keep, drop the blank (the index `blank`), and return plain ints.",
        "if symbol != blank and (t == 0 or symbol != path[t - 1]): labels.append(int(symbol))",
    ),
    "08.beam_search": (
        "Start from beam = {(): (0.0, -np.inf)}: the empty prefix, log p_b = 0 (all alignments so far end in a "
        "blank), log p_nb = -inf; then one update per column.",
        "For each prefix and column: a blank keeps the prefix (into p_b, from p_b + p_nb); its last label again "
        "keeps it (into p_nb, from p_nb); any other label k appends (into the new prefix's p_nb, from p_b + p_nb, "
        "but from p_b alone when k equals the last label).",
        "Two routes into the same prefix add: np.logaddexp of what is there and what arrives, separately for p_b "
        "and p_nb. Then keep the beam_width prefixes with the largest np.logaddexp(p_b, p_nb).",
        "best = sorted(grown, key=lambda p: np.logaddexp(*grown[p]), reverse=True)[:beam_width]; at the end "
        "return list(max(beam, key=lambda p: np.logaddexp(*beam[p])))",
    ),
}
