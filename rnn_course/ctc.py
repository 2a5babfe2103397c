"""Connectionist Temporal Classification (Graves et al. 2006): a loss for labelling a sequence
without knowing where each label starts, and two ways to read a labelling back out.

The network emits, at every step t, a distribution over K symbols: the blank (index ``blank``,
"no new label here") and the K - 1 labels. An *alignment* is one symbol per step; it is read by
the collapse rule B: merge runs of the same symbol, then drop the blanks, so
``B(- 3 3 - - 3 7 7) = 3 3 7`` (two 3s need a blank between them to stay two). The loss is

    -log p(z | x) = -log  sum over alignments a with B(a) = z  of  prod_t y[t, a_t],

computed in log space by the forward (alpha) recursion over the *extended* target
z' = (blank, z_1, blank, z_2, ..., z_L, blank) of length S = 2L + 1:

    alpha[0, 0] = log y[0, blank],  alpha[0, 1] = log y[0, z_1]
    alpha[t, s] = log y[t, z'_s] + logsumexp(alpha[t-1, s], alpha[t-1, s-1], alpha[t-1, s-2] if z'_s
                  is a label different from z'_{s-2})
    log p(z | x) = logsumexp(alpha[T-1, S-1], alpha[T-1, S-2])

and the backward (beta) recursion, its mirror image, with beta[t, s] the log-probability of
everything after step t given state s at step t. Every alignment through state s at step t is
counted by alpha[t, s] + beta[t, s], which gives the gradient with respect to the logits u:

    dL/du[t, k] = y[t, k] - sum over s with z'_s = k of exp(alpha[t, s] + beta[t, s] - log p(z | x)).

Shapes are time-major: logits (T, B, K). float32 in gives float32 out (the sums run in float64).
"""

from __future__ import annotations

import numpy as np

from ._validate import float_dtype

NEG_INF = -np.inf


# ---------------------------------------------------------------------------------------
# Helpers in log space
# ---------------------------------------------------------------------------------------

def _log_dtype(*arrays) -> np.dtype:
    """float32 when every input is float32 (float32 in, float32 out), else float64; Python numbers
    such as -np.inf take the arrays' dtype."""
    kinds = [np.asarray(a).dtype for a in arrays if isinstance(a, np.ndarray | np.generic)]
    return np.dtype(np.float32) if kinds and all(k == np.float32 for k in kinds) else np.dtype(np.float64)


def log_softmax(logits, axis: int = -1) -> np.ndarray:
    """log softmax(u) = u - max(u) - log sum exp(u - max(u)): finite for any finite logits; float32
    given float32, float64 otherwise."""
    u = np.asarray(logits, dtype=_log_dtype(logits))
    shifted = u - u.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def logsumexp(*terms) -> np.ndarray:
    """log(exp(a) + exp(b) + ...) element by element, exact when every term is -inf (gives -inf);
    float32 when the terms are float32, float64 otherwise."""
    dtype = _log_dtype(*terms)
    stacked = np.stack(np.broadcast_arrays(*[np.asarray(t, dtype=dtype) for t in terms]))
    top = stacked.max(axis=0)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return safe + np.log(np.exp(stacked - safe).sum(axis=0))


def extend(target, blank: int = 0) -> np.ndarray:
    """The extended target z' = (blank, z_1, blank, ..., z_L, blank), length 2L + 1."""
    ext = np.full(2 * len(target) + 1, blank, dtype=np.int64)
    ext[1::2] = target
    return ext


def collapse(path, blank: int = 0) -> list:
    """The collapse rule B: merge runs of the same symbol, then drop the blanks."""
    out, previous = [], None
    for symbol in path:
        symbol = int(symbol)
        if symbol != previous and symbol != blank:
            out.append(symbol)
        previous = symbol
    return out


# ---------------------------------------------------------------------------------------
# Checking the inputs, once, at the public boundary
# ---------------------------------------------------------------------------------------

def _check_logits(logits, blank: int) -> np.ndarray:
    arr = np.asarray(logits)
    if arr.dtype.kind not in "biuf":
        raise ValueError(f"logits should be an array of numbers of shape (T, B, K); got dtype {arr.dtype}.")
    if arr.ndim != 3:
        raise ValueError(f"logits should have shape (T, B, K) (steps, batch, symbols including the blank); "
                         f"got shape {arr.shape}.")
    T, B, K = arr.shape
    if T < 1 or K < 2:
        raise ValueError(f"logits (T, B, K) need T >= 1 and K >= 2 (the blank and at least one label); "
                         f"got shape {arr.shape}.")
    if not 0 <= int(blank) < K:
        raise ValueError(f"blank should be a symbol index in 0..{K - 1} (K = {K}); got {blank}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError("logits contain NaN or infinity; CTC needs finite logits.")
    return arr


def _check_lengths(input_lengths, T: int, B: int) -> np.ndarray:
    if input_lengths is None:
        return np.full(B, T, dtype=np.int64)
    lengths = np.asarray(input_lengths)
    whole = lengths.dtype.kind in "iu" or (lengths.dtype.kind == "f" and np.all(lengths == np.round(lengths)))
    if lengths.shape != (B,) or not whole:
        raise ValueError(f"input_lengths should hold B = {B} whole numbers, one per sequence; "
                         f"got {lengths.tolist() if lengths.ndim <= 1 else f'shape {lengths.shape}'}.")
    lengths = lengths.astype(np.int64)
    if np.any(lengths < 0) or np.any(lengths > T):
        raise ValueError(f"every input length should be between 0 and T = {T}; got {lengths.tolist()}.")
    return lengths


def _check_targets(targets, B: int, K: int, blank: int) -> list:
    if isinstance(targets, np.ndarray) and targets.ndim == 2:
        targets = list(targets)
    if not isinstance(targets, list | tuple) or len(targets) != B:
        got = f"{len(targets)} targets" if isinstance(targets, list | tuple) else type(targets).__name__
        raise ValueError(f"targets should be a list of B = {B} label lists (one per sequence); got {got}.")
    out = []
    for b, target in enumerate(targets):
        labels = np.asarray(target, dtype=np.float64).reshape(-1) if len(target) else np.zeros(0)
        if np.any(labels != np.round(labels)) or np.any(labels < 0) or np.any(labels >= K) or np.any(labels == blank):
            raise ValueError(f"targets[{b}] should hold labels in 0..{K - 1} other than the blank ({blank}); "
                             f"got {[int(v) if v == int(v) else float(v) for v in labels]}.")
        out.append(labels.astype(np.int64))
    return out


# ---------------------------------------------------------------------------------------
# The loss and its gradient
# ---------------------------------------------------------------------------------------

def _extended_batch(targets: list, blank: int):
    """Extended targets padded with blanks to (B, S_max), their lengths S = 2L + 1, and where the
    skip transition s-2 -> s is allowed (a label different from the one two places back)."""
    S = np.array([2 * len(t) + 1 for t in targets], dtype=np.int64)
    ext = np.full((len(targets), S.max()), blank, dtype=np.int64)
    for b, target in enumerate(targets):
        ext[b, :S[b]] = extend(target, blank)
    skip = np.zeros(ext.shape, dtype=bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    return ext, S, skip


def _shift(a, k: int):
    """a (B, S) moved k states up (k > 0: out[:, s] = a[:, s - k]) or down (k < 0), -inf where nothing
    comes from."""
    out = np.full_like(a, NEG_INF)
    if abs(k) < a.shape[1]:
        if k > 0:
            out[:, k:] = a[:, :-k]
        else:
            out[:, :k] = a[:, -k:]
    return out


def _alpha_beta(lp_ext, S, skip, lengths):
    """alpha and beta (T, B, S_max) for log-probabilities of the extended targets lp_ext (T, B, S_max);
    entries outside a sequence's states or steps stay -inf."""
    T, B, S_max = lp_ext.shape
    states = np.arange(S_max)
    valid = states[None, :] < S[:, None]                                  # (B, S_max)
    alpha = np.full((T, B, S_max), NEG_INF)
    alpha[0, :, 0] = lp_ext[0, :, 0]
    alpha[0, :, 1:2] = np.where(S[:, None] > 1, lp_ext[0, :, 1:2], NEG_INF)
    for t in range(1, T):
        a = alpha[t - 1]
        one, two = _shift(a, 1), np.where(skip, _shift(a, 2), NEG_INF)
        alpha[t] = np.where(valid, logsumexp(a, one, two) + lp_ext[t], NEG_INF)
    alpha[np.arange(T)[:, None] >= lengths[None, :]] = NEG_INF

    beta = np.full((T, B, S_max), NEG_INF)
    last = (states[None, :] == S[:, None] - 1) | (states[None, :] == S[:, None] - 2)
    start = np.where(last, 0.0, NEG_INF)                                 # (B, S_max)
    skip_next = np.zeros_like(skip)                                      # the skip from s into s + 2
    skip_next[:, :-2] = skip[:, 2:]
    for t in range(T - 1, -1, -1):
        if t == T - 1:
            later = np.full((B, S_max), NEG_INF)
        else:
            nxt = beta[t + 1] + lp_ext[t + 1]
            one, two = _shift(nxt, -1), np.where(skip_next, _shift(nxt, -2), NEG_INF)
            later = np.where(valid, logsumexp(nxt, one, two), NEG_INF)
        beta[t] = np.where((t == lengths - 1)[:, None], start, np.where((t < lengths - 1)[:, None], later, NEG_INF))
    return alpha, beta


def loss_and_grad(logits, targets, input_lengths=None, blank: int = 0):
    """CTC loss of every sequence and the gradient of their sum with respect to the logits.

    logits (T, B, K): unnormalised scores, a softmax over K per step; targets: a list of B lists
    of labels (an empty list is allowed); input_lengths: B whole numbers (default T each).
    Returns ``(losses (B,), dlogits (T, B, K))``: losses[b] = -log p(targets[b] | x_b), and
    dlogits is zero beyond each sequence's length. A target no alignment of that length can
    produce gets loss 0 and gradient 0 (PyTorch's ``CTCLoss(reduction='none', zero_infinity=True)``).
    """
    arr = _check_logits(logits, blank)
    dtype = float_dtype(arr)
    T, B, K = arr.shape
    lengths = _check_lengths(input_lengths, T, B)
    targets = _check_targets(targets, B, K, blank)
    log_probs = log_softmax(arr.astype(np.float64))                        # (T, B, K), float64
    ext, S, skip = _extended_batch(targets, blank)
    lp_ext = np.take_along_axis(log_probs, np.broadcast_to(ext[None], (T, *ext.shape)), axis=2)
    alpha, beta = _alpha_beta(lp_ext, S, skip, lengths)
    end = np.maximum(lengths - 1, 0)
    rows = np.arange(B)
    log_p = logsumexp(alpha[end, rows, S - 1], np.where(S > 1, alpha[end, rows, np.maximum(S - 2, 0)], NEG_INF))
    log_p = np.where(lengths == 0, np.where(S == 1, 0.0, NEG_INF), log_p)  # no steps: only the empty target
    possible = np.isfinite(log_p)
    # Occupation of each extended state: the share of p(z | x) carried by alignments through (t, s).
    with np.errstate(invalid="ignore"):
        occupancy = np.exp(alpha + beta - np.where(possible, log_p, 0.0)[None, :, None])
    occupancy = np.nan_to_num(occupancy)
    one_hot = np.zeros((B, ext.shape[1], K))
    one_hot[rows[:, None], np.arange(ext.shape[1])[None, :], ext] = 1.0
    dlogits = np.exp(log_probs) - np.einsum("tbs,bsk->tbk", occupancy, one_hot)
    inside = (np.arange(T)[:, None] < lengths[None, :]) & possible[None, :]
    dlogits = np.where(inside[:, :, None], dlogits, 0.0)
    losses = np.where(possible, -log_p, 0.0)
    return losses.astype(dtype), dlogits.astype(dtype)


# ---------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------

def greedy_decode(logits, input_lengths=None, blank: int = 0) -> list:
    """Best path decoding: the most probable symbol at every step, collapsed (B applied).
    logits (T, B, K) -> a list of B label lists."""
    arr = _check_logits(logits, blank)
    T, B, _ = arr.shape
    lengths = _check_lengths(input_lengths, T, B)
    best = arr.argmax(axis=2)                                              # (T, B)
    return [collapse(best[:lengths[b], b], blank) for b in range(B)]


def _prefix_search(log_probs: np.ndarray, beam_width: int, blank: int) -> list:
    """Prefix beam search over one sequence's log-probabilities (T, K).

    Each prefix keeps two log-probabilities: of the alignments so far that collapse to it and end
    in a blank, and of those that end in its last label. A step either keeps the prefix (a blank,
    or its last label again) or appends a label k (the same label as the last one only after a
    blank). Where an appended prefix is already in the beam, the two are one prefix and their
    probabilities add. The beam keeps the ``beam_width`` prefixes of highest total probability.
    """
    prefixes = [()]
    p_blank, p_label = np.array([0.0]), np.array([NEG_INF])
    labels = np.array([k for k in range(log_probs.shape[1]) if k != blank])
    for lp in log_probs:
        total = np.logaddexp(p_blank, p_label)
        last = np.array([prefix[-1] if prefix else -1 for prefix in prefixes])
        stay_blank = total + lp[blank]
        stay_label = np.where(last >= 0, p_label + lp[np.maximum(last, 0)], NEG_INF)
        # appending label k: from every alignment, but from blank-ending ones only if k repeats the last label
        grow = np.where(labels[None, :] == last[:, None], p_blank[:, None], total[:, None]) + lp[labels][None, :]
        index = {prefix: i for i, prefix in enumerate(prefixes)}
        for i, prefix in enumerate(prefixes):
            parent = index.get(prefix[:-1]) if prefix else None
            if parent is not None:                      # prefix = parent + (k,): the same prefix twice
                col = int(np.searchsorted(labels, prefix[-1]))
                stay_label[i] = np.logaddexp(stay_label[i], grow[parent, col])
                grow[parent, col] = NEG_INF
        scores = np.concatenate([np.logaddexp(stay_blank, stay_label), grow.ravel()])
        keep = np.argsort(-scores, kind="stable")[:beam_width]
        keep = keep[np.isfinite(scores[keep])] if np.isfinite(scores[keep]).any() else keep[:1]
        n = len(prefixes)
        new_prefixes, new_blank, new_label = [], [], []
        for j in keep:
            if j < n:
                new_prefixes.append(prefixes[j])
                new_blank.append(stay_blank[j])
                new_label.append(stay_label[j])
            else:
                i, col = divmod(int(j) - n, len(labels))
                new_prefixes.append(prefixes[i] + (int(labels[col]),))
                new_blank.append(NEG_INF)
                new_label.append(grow[i, col])
        prefixes, p_blank, p_label = new_prefixes, np.array(new_blank), np.array(new_label)
    return list(prefixes[int(np.argmax(np.logaddexp(p_blank, p_label)))])


def beam_search(logits, beam_width: int, blank: int = 0, input_lengths=None) -> list:
    """Prefix beam search: logits (T, B, K) -> a list of B label lists.

    With ``beam_width`` 1 it keeps one prefix per step (close to, but not always the same as,
    :func:`greedy_decode`); with a beam as wide as the number of possible prefixes nothing is
    pruned and it returns the most probable labelling, argmax over z of p(z | x).
    """
    arr = _check_logits(logits, blank)
    if isinstance(beam_width, bool) or not isinstance(beam_width, int | np.integer) or beam_width < 1:
        raise ValueError(f"beam_width should be a whole number of at least 1; got {beam_width!r}.")
    T, B, _ = arr.shape
    lengths = _check_lengths(input_lengths, T, B)
    log_probs = log_softmax(arr.astype(np.float64))
    return [_prefix_search(log_probs[:lengths[b], b], int(beam_width), blank) for b in range(B)]


__all__ = ["beam_search", "collapse", "extend", "greedy_decode", "log_softmax", "logsumexp", "loss_and_grad"]
