"""Lesson 8's exercises: CTC's forward recursion, its loss and gradient, greedy and prefix beam search.

Every function here works on ONE sequence (no batch axis): ``log_probs`` or ``logits`` of shape
(T, K), a target list of L labels, the blank at index ``blank``. The learner may call the two
log-space helpers the lesson gives, ``rnn_course.ctc.logsumexp`` and ``rnn_course.ctc.log_softmax``;
the rest of :mod:`rnn_course.ctc` is the course's own and does not count.
"""

from __future__ import annotations

import inspect

import numpy as np

from .. import ctc
from .core import Mistake, compare_exercise, diagnose, exercise, known_mistake, learner_gradcheck

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


def _alpha(log_probs, ext, blank, *, combine=ctc.logsumexp, skip_equal=False, start_states=2):
    """The alpha recursion over a given extended sequence; the keyword names the one change."""
    T, S = len(log_probs), len(ext)
    log_alpha = np.full((T, S), -np.inf, dtype=log_probs.dtype)
    for s in range(min(start_states, S)):
        log_alpha[0, s] = log_probs[0, ext[s]]
    for t in range(1, T):
        for s in range(S):
            terms = [log_alpha[t - 1, s]] + ([log_alpha[t - 1, s - 1]] if s >= 1 else [])
            if s >= 2 and ext[s] != blank and (skip_equal or ext[s] != ext[s - 2]):
                terms.append(log_alpha[t - 1, s - 2])
            log_alpha[t, s] = combine(*terms) + log_probs[t, ext[s]]
    return log_alpha


@known_mistake("you allowed the skip from s - 2 to s between two EQUAL labels: an alignment that jumps from "
               "one 3 straight to the next 3 collapses to a single 3, so it does not belong to the target 3 3. "
               "Skip the blank only when z'_s differs from z'_{s-2}.")
def _skip_equal(log_probs, target, blank=0):
    return _alpha(log_probs, _extended(target, blank), blank, skip_equal=True)


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


def _sum_in_probability_space(*terms):
    return np.log(np.sum(np.exp(terms)))


@known_mistake("you summed the incoming paths as np.log(np.exp(a) + np.exp(b)): right for short sequences, "
               "but exp underflows to 0 once the log-probabilities fall below about -745 (long sequences, "
               "confident networks), and log(0) = -inf. Shift by the largest term first, or use logsumexp.")
def _probability_space(log_probs, target, blank=0):
    return _alpha(log_probs, _extended(target, blank), blank, combine=_sum_in_probability_space)


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


def _forward_cases():
    rng = np.random.default_rng(8)
    cases = []
    for T, K, target in ((7, 4, [1, 2, 2]), (9, 5, [3, 3, 1, 4]), (5, 3, [2]), (4, 3, [])):
        cases.append((ctc.log_softmax(rng.normal(0, 2, (T, K))), list(target)))
    confident = rng.choice([-400.0, 400.0], size=(8, 4))          # log-probabilities near -800: exp underflows
    cases.append((ctc.log_softmax(confident), [1, 2, 2]))
    cases.append((ctc.log_softmax(rng.normal(0, 2, (6, 4))).astype(np.float32), [2, 1]))
    return cases


compare_exercise(
    "08.ctc_forward", "CTC's forward (alpha) recursion, in log space", solution=ctc_forward, cases=_forward_cases,
    mistakes=[_skip_equal, _no_leading_blank, _no_trailing_blank, _one_start_state, _multiplied, _viterbi,
              _probability_space],
    rtol=1e-6, atol=1e-6, allow=ALLOW,
    praise="the extended sequence with its blanks, both start states, stay / move on / skip only between "
           "different labels, and the paths summed in log space.",
    hint="Shapes: log_probs (T, K), target a list of L labels; return log_alpha (T, 2L + 1), -inf where no "
         "alignment reaches.",
)


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


_LOSS_MISTAKES = [_one_end_state, _no_softmax_term, _not_normalised, _emission_twice, _wrong_sign]


def _loss_cases():
    rng = np.random.default_rng(80)
    cases = [(rng.normal(0, 1.5, (T, K)), list(target))
             for T, K, target in ((8, 4, [1, 2, 2]), (10, 5, [3, 3, 1, 4]), (5, 3, [2]), (4, 3, []))]
    cases.append((rng.normal(0, 1.5, (6, 4)).astype(np.float32), [2, 1]))
    return cases


def _large_logits_case():
    rng = np.random.default_rng(81)
    return (rng.choice([-1000.0, 1000.0], size=(7, 4)) + rng.normal(0, 1, (7, 4)), [1, 2, 2])


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
    hint = "Shapes: logits (T, K), target a list of L labels; return (loss, dlogits (T, K))."
    for args in _loss_cases():
        diagnose(answer, ctc_loss_grad, args, _LOSS_MISTAKES, outputs=("loss", "dlogits"),
                 rtol=1e-5, atol=1e-6, hint=hint)
    try:
        diagnose(answer, ctc_loss_grad, _large_logits_case(), _LOSS_MISTAKES, outputs=("loss", "dlogits"),
                 rtol=1e-5, atol=1e-6, hint=hint)
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


def _best_path(log_probs):
    return [int(k) for k in np.argmax(log_probs, axis=1)]


@known_mistake("repeats are not collapsed: you dropped the blanks but kept every step of a run, so "
               "'3 3 - 7' reads 3 3 7. Merge runs of the same symbol first, then drop the blanks.")
def _repeats_kept(log_probs, blank=0):
    return [k for k in _best_path(log_probs) if k != blank]


@known_mistake("you dropped the blanks BEFORE merging repeats, so '3 - 3' became one 3: the blank between two "
               "equal labels is what keeps them two. Merge runs first, then drop the blanks.")
def _blanks_first(log_probs, blank=0):
    kept = [k for k in _best_path(log_probs) if k != blank]
    return [k for i, k in enumerate(kept) if i == 0 or k != kept[i - 1]]


@known_mistake("the blanks are still in: after merging runs, drop every blank (symbol 0).")
def _blanks_kept(log_probs, blank=0):
    path = _best_path(log_probs)
    return [k for i, k in enumerate(path) if i == 0 or k != path[i - 1]]


@known_mistake("you returned the best symbol of every step (the alignment), not the labelling: apply the "
               "collapse rule, merge repeats, then drop blanks.")
def _path_returned(log_probs, blank=0):
    return _best_path(log_probs)


def _from_path(path, K, rng):
    """Log-probabilities whose best symbol at step t is path[t]."""
    scores = rng.normal(0, 0.5, (len(path), K))
    scores[np.arange(len(path)), path] += 3.0
    return ctc.log_softmax(scores)


def _greedy_cases():
    rng = np.random.default_rng(88)
    paths = ([0, 3, 3, 0, 0, 3, 7, 7, 0], [2, 2, 0, 2, 5, 0, 0, 5, 5, 1], [0, 0, 0, 0], [4, 0, 4, 4, 0, 4, 1])
    cases = [(_from_path(p, 8, rng),) for p in paths]
    cases.append((_from_path([1, 1, 0, 2], 3, rng).astype(np.float32),))
    return cases


compare_exercise(
    "08.greedy_decode", "Greedy (best path) decoding", solution=greedy_decode, cases=_greedy_cases,
    mistakes=[_repeats_kept, _blanks_first, _blanks_kept, _path_returned], allow=ALLOW,
    praise="the best symbol per step, runs merged, then blanks dropped: '3 - 3 3 - 7' reads 3 3 7.",
    hint="Shapes: log_probs (T, K); return a list of labels (ints).",
)


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


def _prefix_search(log_probs, beam_width, blank, *, merge=np.logaddexp, repeat_needs_blank=True, keep_repeat=True):
    """Prefix beam search with one named change."""
    beam = {(): (0.0, -np.inf)}
    for lp in log_probs:
        moves = []
        for prefix, (p_blank, p_label) in beam.items():
            p_total = merge(p_blank, p_label)
            moves.append((prefix, p_total + lp[blank], -np.inf))
            if prefix and keep_repeat:
                moves.append((prefix, -np.inf, p_label + lp[prefix[-1]]))
            for k in range(len(lp)):
                if k != blank:
                    only_blank = prefix and k == prefix[-1] and repeat_needs_blank
                    moves.append((prefix + (k,), -np.inf, (p_blank if only_blank else p_total) + lp[k]))
        grown = {}
        for prefix, in_blank, in_label in moves:
            b, n = grown.get(prefix, (-np.inf, -np.inf))
            grown[prefix] = (merge(b, in_blank), merge(n, in_label))
        best = sorted(grown, key=lambda p: merge(*grown[p]), reverse=True)[:beam_width]
        beam = {p: grown[p] for p in best}
    return list(max(beam, key=lambda p: merge(*beam[p])))


@known_mistake("your beam search returns what greedy decoding returns: it ranks prefixes by their single best "
               "alignment (max, or no search at all), and the best single alignment is the greedy path. A "
               "labelling's probability is the SUM over all its alignments (logaddexp).")
def _max_not_sum(log_probs, beam_width, blank=0):
    return _prefix_search(log_probs, beam_width, blank, merge=np.maximum)


@known_mistake("you appended a label equal to the prefix's last one from every alignment: with no blank between "
               "two equal labels, '3 3' collapses to ONE 3, so only the alignments ending in a blank may grow "
               "3 into 3 3 (the others stay at 3).")
def _repeat_without_blank(log_probs, beam_width, blank=0):
    return _prefix_search(log_probs, beam_width, blank, repeat_needs_blank=False)


@known_mistake("you dropped the alignments that repeat the prefix's last label: emitting 3 again after an "
               "alignment ending in 3 leaves the prefix as it is, and that probability belongs to it.")
def _repeat_dropped(log_probs, beam_width, blank=0):
    return _prefix_search(log_probs, beam_width, blank, keep_repeat=False)


def _beam_cases():
    first = np.random.default_rng(1)         # T = 5, K = 3, beam 4: a case where the repeat rule decides
    T, K, width = (int(first.integers(3, 8)), int(first.integers(2, 4)), int(first.integers(2, 5)))
    cases = [(ctc.log_softmax(first.normal(0, 1.0, (T, K))), width)]
    rng = np.random.default_rng(888)
    for T, K, width in ((6, 3, 4), (8, 4, 3), (10, 5, 8), (7, 3, 1), (12, 4, 16), (5, 3, 2)):
        for _ in range(3):
            cases.append((ctc.log_softmax(rng.normal(0, 1.2, (T, K))), width))
    # a case where summing over alignments changes the answer: the best path reads [], but "1" wins
    summed = np.log(np.array([[0.4, 0.35, 0.25], [0.4, 0.35, 0.25]]))
    cases.append((summed, 4))
    return cases


compare_exercise(
    "08.beam_search", "Prefix beam search", solution=beam_search, cases=_beam_cases,
    mistakes=[_max_not_sum, _repeat_without_blank, _repeat_dropped], allow=ALLOW,
    praise="two probabilities per prefix (ending in a blank, ending in its last label), repeats only after a "
           "blank, alignments summed, the beam_width best prefixes kept.",
    hint="Shapes: log_probs (T, K), beam_width a whole number; return a list of labels (ints).",
)
