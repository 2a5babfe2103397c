"""Lesson 9's exercises: embeddings, the masked cross-entropy, and attention, with the usual mistakes named.

Each reference solution is written as the learner would write it, in NumPy alone; the package's own
versions (``rnn_course.embedding``, ``rnn_course.losses.masked_softmax_cross_entropy``,
``rnn_course.attention``) are tested against them.
"""

from __future__ import annotations

import numpy as np

from .core import compare_exercise, known_mistake, learner_gradcheck

SOFTMAX_HELPERS = ("rnn_course.losses.softmax", "rnn_course.losses.log_softmax")
# The dtype rule of this lesson: a float32 case wherever a right answer keeps float32 without thought.
# Both embedding exercises have one (W[ids] keeps W's dtype; dW is made in dx's dtype, as the prompt says,
# like lesson 4's zeros). The loss and attention exercises check float64 only: there a right answer that
# divides by np.sqrt(H) or by mask.sum() (a NumPy integer) is promoted to float64 by NumPy 2, and the
# lesson is about the mask and the softmax, not dtypes. The tolerances are the matcher's, which follow
# the dtype, in every exercise alike.

#: One hint at a time for each exercise: the first names where to start, the last is nearly the line.
HINTS = {
    "09.embedding_forward": (
        "Start from the table's rows: token v is represented by row v of W, W[v], a vector of E numbers.",
        "NumPy indexing with an integer array picks one row per entry: W[array] has the array's shape "
        "followed by E.",
        "ids is (T, B), so indexing W with the whole array gives (T, B, E) at once: no loop is needed.",
        "return W[ids]",
    ),
    "09.embedding_backward": (
        "Start from a table of zeros with W's shape, (V, E), in dx's dtype: rows that were not read keep 0.",
        "Position (t, b) read row ids[t, b], so dx[t, b] belongs to that row; a row read twice gets the sum.",
        "dW[ids] += dx does not add up repeated ids (each row is written once); np.add.at does, on flat "
        "arrays: ids.reshape(-1) and dx.reshape(-1, E).",
        "dW = np.zeros((V, E), dtype=dx.dtype); np.add.at(dW, ids.reshape(-1), dx.reshape(-1, E))",
    ),
    "09.masked_cross_entropy": (
        "Start from the log-probabilities over the last axis (the V ids), never from np.log of a probability: "
        "a probability that underflows to 0 has log -inf.",
        "Shift each row by its maximum, shifted = logits - logits.max(-1, keepdims=True), then "
        "logp = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True)).",
        "Pick each target's entry with np.take_along_axis(logp, targets[..., None], -1)[..., 0], keep the real "
        "tokens with the mask, and divide the sum by n = mask.sum().",
        "dlogits = (np.exp(logp) - onehot) * mask[..., None] / n, onehot = np.eye(V)[targets]; "
        "loss = -(picked * mask).sum() / n",
    ),
    "09.attention_forward": (
        "Start from the scores: one dot product of the query with each encoder state, for every sequence, "
        "divided by sqrt(H): shape (B, S).",
        "np.einsum(\"bh,sbh->bs\", query, enc) takes those dot products; the mask is (S, B), so mask.T lines "
        "up with the (B, S) scores.",
        "Set the padding's scores to -inf with np.where(mask.T, scores, -np.inf), then a softmax along axis 1 "
        "(shift by the row's maximum first).",
        "context = np.einsum(\"bs,sbh->bh\", weights, enc); return context, weights",
    ),
    "09.attention_backward": (
        "Start from the last forward equation, context = sum_s weights[b, s] enc[s, b]: it gives dweights "
        "(B, S) and the values' part of denc.",
        "dweights = np.einsum(\"bh,sbh->bs\", dcontext, enc) and the values' part of denc is "
        "np.einsum(\"bs,bh->sbh\", weights, dcontext).",
        "Through the softmax every weight depends on every score: dscores = weights * (dweights - "
        "(weights * dweights).sum(axis=1, keepdims=True)), then divide by sqrt(H) for the scale.",
        "dquery = np.einsum(\"bs,sbh->bh\", dscores, enc); denc += np.einsum(\"bs,bh->sbh\", dscores, query) "
        "(enc as the keys)",
    ),
}


# ------------------------------------------------------------------------------------------ embeddings

def embedding_forward(W, ids):
    return W[ids]                                  # row ids[t, b] of the (V, E) table, for every position


@known_mistake("you picked columns, W[:, ids]: the table has one ROW per token, shape (V, E) like "
               "nn.Embedding.weight, so token v's vector is W[v] and the result is W[ids], shape (T, B, E).")
def _embedding_columns(W, ids):
    return W[:, ids]


@known_mistake("your result is batch first, (B, T, E); the course is time-major: W[ids] with ids (T, B) "
               "gives (T, B, E) directly.")
def _embedding_batch_first(W, ids):
    return W[ids.T]


@known_mistake("you zeroed the vectors of <pad> (id 0); the lookup returns every id's row, W[ids], padding "
               "included. Keeping the padding out is the mask's work, later, in the loss.")
def _embedding_pad_zeroed(W, ids):
    return W[ids] * (ids != 0)[..., None].astype(W.dtype)


@known_mistake("you read row ids - 1: ids count from 0, like NumPy's rows, so token v is row W[v] itself.")
def _embedding_shifted(W, ids):
    return W[ids - 1]


def _embedding_cases():
    rng = np.random.default_rng(90)
    out = []
    for T, B, V, E, dtype in ((5, 3, 4, 7, np.float64), (2, 6, 3, 5, np.float64), (4, 2, 5, 6, np.float32)):
        out.append((rng.normal(size=(V, E)).astype(dtype), rng.integers(0, V, (T, B))))
    return out


compare_exercise(
    "09.embedding_forward", "Look up the embeddings of a batch of token ids", solution=embedding_forward,
    cases=_embedding_cases,
    mistakes=[_embedding_columns, _embedding_batch_first, _embedding_pad_zeroed, _embedding_shifted],
    praise="W[ids]: one row of the table per token, (T, B, E), the same as a one-hot vector times W.",
    hint="Shapes: W (V, E), ids (T, B) integers in [0, V); return (T, B, E).",
)


def embedding_backward(dx, ids, V):
    E = dx.shape[-1]
    dW = np.zeros((V, E), dtype=dx.dtype)
    np.add.at(dW, ids.reshape(-1), dx.reshape(-1, E))   # a token used twice gets both gradients
    return dW


@known_mistake("a token that occurs more than once got only one of its gradients: dW[ids] = dx and "
               "dW[ids] += dx alike write each row once (the last write wins), they do not add up repeated "
               "ids. Add every position's gradient into its row, repeats included.")
def _embedding_assigned(dx, ids, V):
    E = dx.shape[-1]
    dW = np.zeros((V, E), dtype=dx.dtype)
    dW[ids.reshape(-1)] += dx.reshape(-1, E)
    return dW


@known_mistake("you averaged the gradients of a repeated token; they add up. A token used three times "
               "moves the loss through three positions, so its row gets the sum of the three.")
def _embedding_averaged(dx, ids, V):
    counts = np.bincount(ids.reshape(-1), minlength=V)
    return (embedding_backward(dx, ids, V) / np.maximum(counts, 1)[:, None]).astype(dx.dtype)


@known_mistake("you zeroed row 0 of dW, the <pad> id (the idea of PyTorch's padding_idx); this exercise's "
               "table has no such row: every id that was read, 0 included, gets its gradient.")
def _embedding_pad_row_zeroed(dx, ids, V):
    dW = embedding_backward(dx, ids, V)
    dW[0] = 0
    return dW


@known_mistake("your dW has ids.max() + 1 rows, as many as the largest id read; the table has V rows whether "
               "or not every id occurs in this batch: start from zeros of shape (V, E).")
def _embedding_sized_by_ids(dx, ids, V):
    return embedding_backward(dx, ids, int(ids.max()) + 1)


def _embedding_backward_cases():
    rng = np.random.default_rng(91)
    out = []
    for T, B, V, E, dtype, top in ((5, 3, 4, 6, np.float64, 4), (3, 4, 9, 4, np.float64, 5),
                                   (3, 7, 6, 2, np.float64, 6), (4, 2, 3, 5, np.float32, 3)):
        # V small: ids repeat; the second case reads only ids below 5 of its 9, so dW's size must come from V
        out.append((rng.normal(size=(T, B, E)).astype(dtype), rng.integers(0, top, (T, B)), V))
    return out


def _embedding_gradcheck(answer):
    rng = np.random.default_rng(92)
    ids, w = rng.integers(0, 4, (3, 2)), rng.normal(size=(3, 2, 5))
    return learner_gradcheck(answer, lambda p: float(np.sum(w * p["W"][ids])), {"W": rng.normal(size=(4, 5))},
                             lambda fn, p: {"W": fn(w, ids, 4)})


compare_exercise(
    "09.embedding_backward", "The gradient of an embedding table", solution=embedding_backward,
    cases=_embedding_backward_cases, mistakes=[_embedding_assigned, _embedding_averaged, _embedding_pad_row_zeroed,
              _embedding_sized_by_ids],
    after=_embedding_gradcheck,
    praise="every position's gradient added into the row it read, repeated ids included.",
    hint="Shapes: dx (T, B, E), ids (T, B), V an int; return dW (V, E) in dx's dtype.",
)


# ---------------------------------------------------------------------------------- masked cross-entropy

def masked_cross_entropy(logits, targets, mask):
    n = mask.sum()                                               # the number of real tokens
    shifted = logits - logits.max(axis=-1, keepdims=True)       # nothing overflows in exp
    logp = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    picked = np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]    # (T, B)
    loss = -(picked * mask).sum() / n
    dlogits = np.exp(logp)
    np.put_along_axis(dlogits, targets[..., None], np.take_along_axis(dlogits, targets[..., None], -1) - 1, -1)
    dlogits = dlogits * (mask / n)[..., None].astype(logits.dtype)              # zero at the padding
    return loss, dlogits


def _ce_parts(logits, targets, mask, axis=-1):
    """-log p[target] (T, B) and (softmax - onehot) (T, B, V), unmasked and unaveraged (softmax over ``axis``)."""
    z = logits - logits.max(axis=axis, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))
    nll = -np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    grad = np.exp(logp)
    np.put_along_axis(grad, targets[..., None], np.take_along_axis(grad, targets[..., None], -1) - 1, -1)
    return nll, grad


@known_mistake("the padding counts as tokens: your loss and gradient are a mean over all T * B positions. "
               "Multiply by the mask and divide by the number of real tokens, mask.sum().")
def _ce_mask_ignored(logits, targets, mask):
    nll, grad = _ce_parts(logits, targets, mask)
    return nll.mean(), grad / nll.size


@known_mistake("you left the padding out of the sum but divided by all T * B positions; divide by the number "
               "of real tokens, mask.sum(), so a batch with much padding does not get a smaller loss.")
def _ce_divided_by_all(logits, targets, mask):
    nll, grad = _ce_parts(logits, targets, mask)
    return (nll * mask).sum() / mask.size, grad * (mask / mask.size)[..., None]


@known_mistake("you divided by the batch size B (a sum over time, a mean over sequences). This lesson's loss, "
               "like PyTorch's cross_entropy with ignore_index, is a mean over the real tokens: divide by "
               "mask.sum().")
def _ce_per_sequence(logits, targets, mask):
    nll, grad = _ce_parts(logits, targets, mask)
    B = mask.shape[1]
    return (nll * mask).sum() / B, grad * (mask / B)[..., None]


@known_mistake("your loss skips the padding but your gradient does not: dlogits must be 0 wherever mask is "
               "False, since those positions are not in the loss.")
def _ce_gradient_unmasked(logits, targets, mask):
    nll, grad = _ce_parts(logits, targets, mask)
    n = mask.sum()
    return (nll * mask).sum() / n, grad / n


@known_mistake("your gradient is softmax / N: subtract 1 at the target's entry, (softmax - onehot) / N.")
def _ce_no_onehot(logits, targets, mask):
    nll, grad = _ce_parts(logits, targets, mask)
    n = mask.sum()
    np.put_along_axis(grad, targets[..., None], np.take_along_axis(grad, targets[..., None], -1) + 1, -1)
    return (nll * mask).sum() / n, grad * (mask / n)[..., None]


@known_mistake("your gradient is N times too large: the loss is a mean over the N = mask.sum() real tokens, "
               "so the gradient is divided by N too.")
def _ce_gradient_not_averaged(logits, targets, mask):
    nll, grad = _ce_parts(logits, targets, mask)
    return (nll * mask).sum() / mask.sum(), grad * mask[..., None]


@known_mistake("your softmax runs over axis 0, across the time steps; each position's distribution is over "
               "the V ids, the last axis: normalise along axis=-1 (keepdims=True).")
def _ce_softmax_time_axis(logits, targets, mask):
    nll, grad = _ce_parts(logits, targets, mask, axis=0)
    n = mask.sum()
    return (nll * mask).sum() / n, grad * (mask / n)[..., None]


@known_mistake("your softmax runs over axis 1, across the sequences of the batch; each position's "
               "distribution is over the V ids, the last axis: normalise along axis=-1 (keepdims=True).")
def _ce_softmax_batch_axis(logits, targets, mask):
    nll, grad = _ce_parts(logits, targets, mask, axis=1)
    n = mask.sum()
    return (nll * mask).sum() / n, grad * (mask / n)[..., None]


@known_mistake("you divided by T, the number of time steps; the loss is a mean over the N = mask.sum() real "
               "tokens of the whole batch, and its gradient carries the same 1/N.")
def _ce_divided_by_T(logits, targets, mask):
    nll, grad = _ce_parts(logits, targets, mask)
    T = mask.shape[0]
    return (nll * mask).sum() / T, grad * (mask / T)[..., None]


@known_mistake("your loss and gradient have the wrong sign: the loss is MINUS the mean log-probability of the "
               "targets (a positive number), and its gradient is softmax - onehot, not onehot - softmax.")
def _ce_sign_flipped(logits, targets, mask):
    nll, grad = _ce_parts(logits, targets, mask)
    n = mask.sum()
    return -(nll * mask).sum() / n, -grad * (mask / n)[..., None]


@known_mistake("you averaged each sequence over its own real tokens, then over the batch, so a short "
               "sequence's tokens weigh more; the loss is one mean over all N = mask.sum() real tokens.")
def _ce_mean_per_sequence(logits, targets, mask):
    nll, grad = _ce_parts(logits, targets, mask)
    lengths, B = mask.sum(axis=0), mask.shape[1]
    return ((nll * mask).sum(axis=0) / lengths).mean(), grad * (mask / (lengths * B))[..., None]


def _lengths_mask(lengths, T):
    return np.arange(T)[:, None] < np.asarray(lengths)[None, :]


def _ce_cases():
    rng = np.random.default_rng(93)
    out = []
    for T, B, V, lengths, scale, dtype in ((5, 3, 7, (5, 2, 4), 1.0, np.float64),
                                           (4, 6, 5, (1, 4, 3, 2, 4, 1), 2.0, np.float64),
                                           (6, 2, 4, (6, 3), 1000.0, np.float64)):      # a naive exp overflows
        mask = _lengths_mask(lengths, T)
        targets = np.where(mask, rng.integers(3, V, (T, B)), 0)      # padding id 0 where mask is False
        out.append(((scale * rng.normal(size=(T, B, V))).astype(dtype), targets, mask))
    return out


compare_exercise(
    "09.masked_cross_entropy", "Cross-entropy over the real tokens of a padded batch", solution=masked_cross_entropy,
    cases=_ce_cases, outputs=("loss", "dlogits"),
    mistakes=[_ce_mask_ignored, _ce_divided_by_all, _ce_per_sequence, _ce_gradient_unmasked, _ce_no_onehot,
              _ce_gradient_not_averaged, _ce_softmax_time_axis, _ce_softmax_batch_axis, _ce_divided_by_T,
              _ce_sign_flipped, _ce_mean_per_sequence],
    praise="a mean over the real tokens only, and a gradient that is zero on the padding: what PyTorch's "
           "cross_entropy with ignore_index computes.",
    hint="Shapes: logits (T, B, V), targets (T, B) ids, mask (T, B) booleans; return (loss, dlogits (T, B, V)). "
         "A loss of NaN or infinity comes from the log of a probability that underflowed to 0 (log 0 = -inf, and "
         "-inf times a mask of 0 is NaN; the check has logits of about 1000), or from an exp that overflowed: "
         "compute log-probabilities directly, shifted - log(sum(exp(shifted))) with shifted = logits minus each "
         "row's maximum, never log(p).",
    allow=SOFTMAX_HELPERS,
)


# ------------------------------------------------------------------------------------------- attention

def attention_forward(query, enc, mask):
    H = query.shape[-1]
    scores = np.einsum("bh,sbh->bs", query, enc) / H ** 0.5     # (B, S): query . every encoder state
    scores = np.where(mask.T, scores, -np.inf)                    # the padding gets no weight at all
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights = weights / weights.sum(axis=1, keepdims=True)        # softmax over the source positions s
    context = np.einsum("bs,sbh->bh", weights, enc)               # (B, H): a weighted mean of the states
    return context, weights


def _scores(query, enc, scale=True):
    s = np.einsum("bh,sbh->bs", query, enc)
    return s / query.shape[-1] ** 0.5 if scale else s


def _softmax(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _finish(weights, enc):
    return np.einsum("bs,sbh->bh", weights, enc), weights


@known_mistake("your softmax runs over the batch axis: each column of the weights sums to 1 instead of each "
               "row. The weights of one decoder step are a distribution over the source positions s: "
               "softmax along axis 1 of the (B, S) scores.")
def _att_softmax_wrong_axis(query, enc, mask):
    return _finish(_softmax(np.where(mask.T, _scores(query, enc), -np.inf), axis=0), enc)


@known_mistake("you applied the mask after the softmax: zeroing the padding's weights leaves the real ones "
               "summing to less than 1. Set the padding's scores to -inf before the softmax (or divide by the "
               "new sum).")
def _att_mask_after_softmax(query, enc, mask):
    return _finish(_softmax(_scores(query, enc), axis=1) * mask.T, enc)


@known_mistake("the scale is missing: divide the scores by sqrt(H) before the softmax, as PyTorch's "
               "scaled_dot_product_attention does (Luong et al.'s unscaled dot score is the other choice; this "
               "exercise uses the scaled one).")
def _att_no_scale(query, enc, mask):
    return _finish(_softmax(np.where(mask.T, _scores(query, enc, scale=False), -np.inf), axis=1), enc)


@known_mistake("the padding takes part: your weights give positions where mask is False some weight. Set "
               "their scores to -inf before the softmax, so they get exactly 0.")
def _att_mask_ignored(query, enc, mask):
    return _finish(_softmax(_scores(query, enc), axis=1), enc)


@known_mistake("your context sums over the wrong axis: it should sum the encoder states over the source "
               "positions s, weighted, one context per sequence: context[b] = sum_s weights[b, s] enc[s, b], "
               "shape (B, H).")
def _att_context_wrong_axis(query, enc, mask):
    weights = _softmax(np.where(mask.T, _scores(query, enc), -np.inf), axis=1)
    return (weights.T[:, :, None] * enc).sum(axis=1), weights


@known_mistake("you divided the scores by H; the scale is 1/sqrt(H): a dot product of H numbers of spread 1 "
               "has a spread of about sqrt(H).")
def _att_scale_H(query, enc, mask):
    s = _scores(query, enc, scale=False) / query.shape[-1]
    return _finish(_softmax(np.where(mask.T, s, -np.inf), axis=1), enc)


@known_mistake("you scaled by 1/sqrt(S), the number of source positions; the scale is 1/sqrt(H), H the "
               "length of the two vectors in each dot product.")
def _att_scale_S(query, enc, mask):
    s = _scores(query, enc, scale=False) / enc.shape[0] ** 0.5
    return _finish(_softmax(np.where(mask.T, s, -np.inf), axis=1), enc)


@known_mistake("you set the padding's scores to 0, which still gives it the weight exp(0) in the softmax; "
               "set them to -inf, so their weight is exactly 0.")
def _att_pad_score_zero(query, enc, mask):
    return _finish(_softmax(np.where(mask.T, _scores(query, enc), 0.0), axis=1), enc)


@known_mistake("your weights are right but your context is the plain mean of the real encoder states; it is "
               "their weighted sum, context[b] = sum_s weights[b, s] enc[s, b].")
def _att_context_mean(query, enc, mask):
    weights = _softmax(np.where(mask.T, _scores(query, enc), -np.inf), axis=1)
    return (enc * mask[..., None]).sum(axis=0) / mask.sum(axis=0)[:, None], weights


def _attention_cases():
    rng = np.random.default_rng(94)
    out = []
    for B, S, H, lengths, dtype in ((3, 5, 4, (5, 2, 3), np.float64), (4, 7, 6, (7, 1, 4, 6), np.float64),
                                    (2, 3, 5, (3, 2), np.float64)):
        out.append((rng.normal(size=(B, H)).astype(dtype), rng.normal(size=(S, B, H)).astype(dtype),
                    _lengths_mask(lengths, S)))
    return out


ATTENTION_MISTAKES = [_att_softmax_wrong_axis, _att_mask_after_softmax, _att_no_scale, _att_mask_ignored,
                      _att_context_wrong_axis, _att_scale_H, _att_scale_S, _att_pad_score_zero, _att_context_mean]

compare_exercise(
    "09.attention_forward", "Scaled dot-product attention over the encoder's states, padding masked",
    solution=attention_forward, cases=_attention_cases, outputs=("context", "weights"),
    mistakes=ATTENTION_MISTAKES,
    praise="scores scaled by 1/sqrt(H), the padding at -inf, a softmax over the source positions, and the "
           "weighted sum of the encoder's states.",
    hint="Shapes: query (B, H), enc (S, B, H), mask (S, B) booleans; return context (B, H) and weights (B, S). "
         "The mask is (S, B) and the scores (B, S): mask.T lines up with the scores (a broadcasting error "
         "here is most often the mask not transposed).",
    allow=SOFTMAX_HELPERS,
)


def attention_backward(dcontext, query, enc, mask):
    H = query.shape[-1]
    scores = np.where(mask.T, np.einsum("bh,sbh->bs", query, enc) / H ** 0.5, -np.inf)
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    weights = weights / weights.sum(axis=1, keepdims=True)            # the forward pass's weights, again
    dweights = np.einsum("bh,sbh->bs", dcontext, enc)                 # through context = sum_s w_s enc_s
    denc = np.einsum("bs,bh->sbh", weights, dcontext)                 # enc as the values
    dscores = weights * (dweights - (weights * dweights).sum(axis=1, keepdims=True))   # the softmax's Jacobian
    dscores = dscores / H ** 0.5
    dquery = np.einsum("bs,sbh->bh", dscores, enc)
    denc = denc + np.einsum("bs,bh->sbh", dscores, query)             # enc as the keys, too
    return dquery, denc


def _backward_parts(dcontext, query, enc, mask):
    _, w = attention_forward(query, enc, mask)
    dw = np.einsum("bh,sbh->bs", dcontext, enc)
    return w, dw, np.einsum("bs,bh->sbh", w, dcontext)


def _from_dscores(ds, query, enc, values_part):
    return np.einsum("bs,sbh->bh", ds, enc), values_part + np.einsum("bs,bh->sbh", ds, query)


@known_mistake("enc is both the values and the keys, and your denc has only the values' part, "
               "weights[b, s] * dcontext[b]. Add the keys' part, dscores[b, s] * query[b].")
def _att_values_path_only(dcontext, query, enc, mask):
    w, dw, dv = _backward_parts(dcontext, query, enc, mask)
    ds = w * (dw - (w * dw).sum(axis=1, keepdims=True)) / query.shape[-1] ** 0.5
    return np.einsum("bs,sbh->bh", ds, enc), dv


@known_mistake("you used only the diagonal of the softmax's Jacobian, w * (1 - w) * dweights; every weight "
               "depends on every score: dscores = w * (dweights - sum_s w * dweights).")
def _att_softmax_diagonal(dcontext, query, enc, mask):
    w, dw, dv = _backward_parts(dcontext, query, enc, mask)
    return _from_dscores(w * (1 - w) * dw / query.shape[-1] ** 0.5, query, enc, dv)


@known_mistake("the 1/sqrt(H) scale is missing from your backward pass: the scores were scaled in the forward "
               "pass, so dscores carries the same factor back to the query and the keys.")
def _att_backward_unscaled(dcontext, query, enc, mask):
    w, dw, dv = _backward_parts(dcontext, query, enc, mask)
    return _from_dscores(w * (dw - (w * dw).sum(axis=1, keepdims=True)), query, enc, dv)


@known_mistake("your gradient reaches the padding: it is the gradient of attention without the mask. Masked "
               "positions have weight 0, so nothing flows back to them.")
def _att_backward_unmasked(dcontext, query, enc, mask):
    return attention_backward(dcontext, query, enc, np.ones_like(mask))


@known_mistake("your backward scales by 1/H; the forward's scale is 1/sqrt(H), and dscores carries that "
               "same factor back to the query and the keys.")
def _att_backward_scale_H(dcontext, query, enc, mask):
    w, dw, dv = _backward_parts(dcontext, query, enc, mask)
    return _from_dscores(w * (dw - (w * dw).sum(axis=1, keepdims=True)) / query.shape[-1], query, enc, dv)


@known_mistake("a sign error in the softmax's Jacobian: it subtracts the weighted mean, dscores = w * (dweights "
               "- sum_s w * dweights); you added it.")
def _att_jacobian_sign(dcontext, query, enc, mask):
    w, dw, dv = _backward_parts(dcontext, query, enc, mask)
    return _from_dscores(w * (dw + (w * dw).sum(axis=1, keepdims=True)) / query.shape[-1] ** 0.5, query, enc, dv)


@known_mistake("the 1/sqrt(H) scale is on dquery but not on the keys' part of denc: both come from the scaled "
               "scores, so both carry it.")
def _att_scale_only_dquery(dcontext, query, enc, mask):
    w, dw, dv = _backward_parts(dcontext, query, enc, mask)
    ds = w * (dw - (w * dw).sum(axis=1, keepdims=True))
    return np.einsum("bs,sbh->bh", ds, enc) / query.shape[-1] ** 0.5, dv + np.einsum("bs,bh->sbh", ds, query)


def _attention_backward_cases():
    return [(np.random.default_rng(95 + k).normal(size=q.shape).astype(q.dtype), q, enc, mask)
            for k, (q, enc, mask) in enumerate(_attention_cases())]


def _attention_gradcheck(answer):
    rng = np.random.default_rng(96)
    B, S, H = 2, 4, 3
    mask, w = _lengths_mask((4, 2), S), rng.normal(size=(B, H))
    return learner_gradcheck(
        answer, lambda p: float(np.sum(w * attention_forward(p["query"], p["enc"], mask)[0])),
        {"query": rng.normal(size=(B, H)), "enc": rng.normal(size=(S, B, H))},
        lambda fn, p: dict(zip(("query", "enc"), fn(w, p["query"], p["enc"], mask))))


compare_exercise(
    "09.attention_backward", "The backward pass of attention", solution=attention_backward,
    cases=_attention_backward_cases, outputs=("dquery", "denc"), after=_attention_gradcheck,
    mistakes=[_att_values_path_only, _att_softmax_diagonal, _att_backward_unscaled, _att_backward_unmasked,
              _att_backward_scale_H, _att_jacobian_sign, _att_scale_only_dquery],
    praise="both paths into enc (values and keys), the softmax's full Jacobian, and the scale.",
    hint="Shapes: dcontext (B, H), query (B, H), enc (S, B, H), mask (S, B); return dquery (B, H), denc (S, B, H).",
    allow=SOFTMAX_HELPERS,
)
