"""An encoder-decoder of two LSTMs (Sutskever et al. 2014), with or without attention (Luong et al. 2015).

The encoder reads the embedded source x_1..x_S and keeps all its states h^enc_s. The decoder is a
second LSTM that starts from the encoder's state at the last *real* source token (the padding
after it is never read into that state) and reads BOS, y_1, y_2, ...; from each of its states
h_t it predicts the next token:

    without attention:  a_t = tanh(W_c h_t + b_c)
    with attention:     ctx_t = sum_s softmax_s((W_a h_t) . h^enc_s / sqrt(H)) h^enc_s
                        (the padding masked out)
                        a_t = tanh(W_c [h_t ; ctx_t] + b_c)
    logits_t = W_y a_t + b_y

This is Luong et al.'s global attention with their "general" score (a learned W_a, here also
scaled). The context is not fed back into the decoder's next step, so under teacher forcing all T
decoder states exist before any attention is computed, and the attention of every step is one
batched product.

Parameters live in one flat dict (keys ``src_embed``, ``tgt_embed``, ``enc_W_x``, ``enc_W_h``,
``enc_b``, the same with ``encb_`` for a bidirectional encoder's backward direction and with ``dec_``,
then ``W_c``, ``b_c``, ``W_y``, ``b_y``, and ``W_a`` with attention), so :class:`rnn_course.optim.Adam`
steps them all.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import attention as att
from . import embedding, lstm
from .losses import log_softmax, masked_softmax_cross_entropy
from .optim import Adam, clip_grad_norm
from .seq_tasks import BOS, EOS, encode_pairs


def init_params(src_vocab: int, tgt_vocab: int, *, embed_size: int = 16, hidden_size: int = 64,
                attention: bool = True, bidirectional: bool = True, seed: int = 0, dtype=np.float64) -> dict:
    """Random parameters: LSTMs as :func:`lstm.init_params` (forget bias 1), embeddings N(0, 1),
    W_c (H, 2H) with attention or (H, H) without, W_y (V_tgt, H), all uniform in +-1/sqrt(fan-in).

    ``bidirectional``: the encoder is two LSTMs of H/2 units, one reading the source forwards
    (``enc_``) and one backwards (``encb_``), their states side by side (H in all), as Bahdanau
    et al.'s encoder; otherwise one LSTM of H units (``enc_``)."""
    E, H = embed_size, hidden_size
    if bidirectional and H % 2:
        raise ValueError(f"a bidirectional encoder splits hidden_size between two directions; got an odd {H}.")
    rng = np.random.default_rng(seed)
    params = {"src_embed": embedding.init_params(src_vocab, E, seed=seed + 1, dtype=dtype),
              "tgt_embed": embedding.init_params(tgt_vocab, E, seed=seed + 2, dtype=dtype)}
    cells = (("enc", H // 2, seed + 3), ("encb", H // 2, seed + 5)) if bidirectional else (("enc", H, seed + 3),)
    for prefix, size, s in (*cells, ("dec", H, seed + 4)):
        for name, value in lstm.init_params(E, size, seed=s, forget_bias=1.0, dtype=dtype).items():
            params[f"{prefix}_{name}"] = value
    top_in = 2 * H if attention else H
    if attention:
        params["W_a"] = rng.uniform(-1, 1, (H, H)).astype(dtype) / np.sqrt(H)
    params["W_c"] = rng.uniform(-1, 1, (H, top_in)).astype(dtype) / np.sqrt(top_in)
    params["b_c"] = np.zeros(H, dtype=dtype)
    params["W_y"] = rng.uniform(-1, 1, (tgt_vocab, H)).astype(dtype) / np.sqrt(H)
    params["b_y"] = np.zeros(tgt_vocab, dtype=dtype)
    return params


def has_attention(params: dict) -> bool:
    H, top_in = params["W_c"].shape
    return top_in == 2 * H


def _cell(params: dict, prefix: str) -> dict:
    return {k: params[f"{prefix}_{k}"] for k in lstm.PARAM_KEYS}


def is_bidirectional(params: dict) -> bool:
    return "encb_W_x" in params


def reversed_order(src_mask) -> np.ndarray:
    """(S, B) time indices that reverse each sequence within its own length, padding left in place:
    ``x[order, cols]`` reads every sequence backwards from its last real token (the map is its own inverse)."""
    S = src_mask.shape[0]
    lengths = src_mask.sum(axis=0)
    s = np.arange(S)[:, None]
    return np.where(s < lengths, lengths - 1 - s, s)


def encode(params: dict, src, src_mask):
    """src, src_mask (S, B) -> ``(h_enc (S, B, H), h0 (B, H), c0 (B, H), cache)``. A one-way encoder's
    h0, c0 are its states at each sequence's last real token; a bidirectional one's are the forward
    direction's there beside the backward direction's at the first token (each has then read it all)."""
    src_mask = np.asarray(src_mask, dtype=bool)
    x, emb_cache = embedding.forward(params["src_embed"], src)
    h, c, cache = lstm.forward(_cell(params, "enc"), x)
    last, cols = src_mask.sum(axis=0) - 1, np.arange(src_mask.shape[1])
    if (last < 0).any():
        raise ValueError("every source sequence needs at least one real token (a column of src_mask is all False).")
    enc_cache = {"emb": emb_cache, "lstm": cache, "last": last, "mask": src_mask}
    h0, c0 = h[last, cols], c[last, cols]
    if is_bidirectional(params):
        order = reversed_order(src_mask)
        hb, cb, cache_b = lstm.forward(_cell(params, "encb"), x[order, cols])
        enc_cache.update(order=order, lstm_b=cache_b)
        h = np.concatenate([h, hb[order, cols]], axis=-1)
        h0 = np.concatenate([h0, hb[last, cols]], axis=-1)          # the backward direction ends at s = 0
        c0 = np.concatenate([c0, cb[last, cols]], axis=-1)
    return h, h0, c0, enc_cache


def _readout(params, h_dec, h_enc, src_mask):
    """Decoder states (T, B, H) -> ``(logits (T, B, V), attention weights (T, B, S) or None, cache)``."""
    if has_attention(params):
        ctx, weights, att_cache = att.forward(h_dec @ params["W_a"].T, h_enc, h_enc, src_mask)
        top_in = np.concatenate([h_dec, ctx], axis=-1)
    else:
        weights, att_cache, top_in = None, None, h_dec
    top = np.tanh(top_in @ params["W_c"].T + params["b_c"])
    logits = top @ params["W_y"].T + params["b_y"]
    return logits, weights, {"top_in": top_in, "top": top, "att": att_cache}


def forward(params: dict, batch: dict):
    """Teacher forcing: the decoder reads ``batch["tgt_in"]`` (BOS, then the true target).
    Returns ``(logits (T, B, V), weights (T, B, S) or None, cache)``."""
    h_enc, h0, c0, enc_cache = encode(params, batch["src"], batch["src_mask"])
    x_dec, dec_emb = embedding.forward(params["tgt_embed"], batch["tgt_in"])
    h_dec, _, dec_cache = lstm.forward(_cell(params, "dec"), x_dec, h0, c0)
    logits, weights, top_cache = _readout(params, h_dec, h_enc, enc_cache["mask"])
    cache = {"enc": enc_cache, "dec": dec_cache, "dec_emb": dec_emb, "top": top_cache, "h_enc": h_enc,
             "h_dec": h_dec, "params": params}
    return logits, weights, cache


def backward(dlogits, cache) -> dict:
    """Gradients of every parameter from dlogits (T, B, V), back through both LSTMs."""
    p, top = cache["params"], cache["top"]
    V, H = p["W_y"].shape
    a, top_in = top["top"], top["top_in"]
    g = {"W_y": dlogits.reshape(-1, V).T @ a.reshape(-1, H), "b_y": dlogits.sum(axis=(0, 1))}
    dz = (dlogits @ p["W_y"]) * (1.0 - a * a)                      # through a = tanh(z)
    g["W_c"] = dz.reshape(-1, H).T @ top_in.reshape(-1, top_in.shape[-1])
    g["b_c"] = dz.sum(axis=(0, 1))
    dtop_in = dz @ p["W_c"]
    dh_dec, dh_enc = dtop_in[..., :H], np.zeros_like(cache["h_enc"])
    if top["att"] is not None:
        dq, dk, dv = att.backward(dtop_in[..., H:], top["att"])
        g["W_a"] = dq.reshape(-1, H).T @ cache["h_dec"].reshape(-1, H)
        dh_dec = dh_dec + dq @ p["W_a"]
        dh_enc += dk + dv                                          # the encoder's states are keys and values
    dx_dec, dh0, dc0, g_dec = lstm.backward(dh_dec, cache["dec"])
    g["tgt_embed"] = embedding.backward(dx_dec, cache["dec_emb"])
    enc = cache["enc"]
    last, cols = enc["last"], np.arange(dh0.shape[0])
    if "order" in enc:                                             # split between the two directions
        Hf, order = enc["lstm"]["h"].shape[-1], enc["order"]
        dh_b, dc_b = dh_enc[..., Hf:][order, cols], np.zeros_like(dh_enc[..., Hf:])
        dh_b[last, cols] += dh0[:, Hf:]
        dc_b[last, cols] += dc0[:, Hf:]
        dx_b, _, _, g_b = lstm.backward(dh_b, enc["lstm_b"], dc=dc_b)
        g.update({f"encb_{k}": v for k, v in g_b.items()})
        dh_enc, dh0, dc0 = dh_enc[..., :Hf].copy(), dh0[:, :Hf], dc0[:, :Hf]
    dc_enc = np.zeros_like(dh_enc)
    dh_enc[last, cols] += dh0                                      # the decoder started from these states
    dc_enc[last, cols] += dc0
    dx_enc, _, _, g_enc = lstm.backward(dh_enc, enc["lstm"], dc=dc_enc)
    if "order" in enc:
        dx_enc = dx_enc + dx_b[order, cols]
    g["src_embed"] = embedding.backward(dx_enc, enc["emb"])
    g.update({f"dec_{k}": v for k, v in g_dec.items()})
    g.update({f"enc_{k}": v for k, v in g_enc.items()})
    return g


def loss_and_grads(params: dict, batch: dict):
    """The masked cross-entropy of a batch under teacher forcing, and every parameter's gradient."""
    logits, _, cache = forward(params, batch)
    loss, dlogits = masked_softmax_cross_entropy(logits, batch["tgt_out"], batch["tgt_mask"])
    return loss, backward(dlogits, cache)


class TrainResult(NamedTuple):
    params: dict
    losses: np.ndarray


def train(params: dict, sample, source, target, *, steps: int, batch_size: int = 64, lr: float = 1e-2,
          clip: float = 5.0, seed: int = 0) -> TrainResult:
    """Adam on fresh batches: ``sample(n, rng)`` gives n (source, target) string pairs, encoded with
    the vocabularies ``source`` and ``target``. The gradient norm is clipped at ``clip``."""
    rng = np.random.default_rng(seed)
    opt = Adam(lr)
    losses = np.empty(steps)
    for step in range(steps):
        batch = encode_pairs(sample(batch_size, rng), source, target)
        losses[step], grads = loss_and_grads(params, batch)
        grads, _ = clip_grad_norm(grads, clip)
        params = opt.step(params, grads)
    return TrainResult(params, losses)


def decode_step(params: dict, y_prev, h, c, h_enc, src_mask):
    """One free-running decoder step: the previous tokens y_prev (B,) -> ``(log-probabilities (B, V),
    h, c, attention weights (B, S) or None)``."""
    x = params["tgt_embed"][np.asarray(y_prev)]
    h, c, _ = lstm.step_forward(_cell(params, "dec"), x, h, c)
    logits, weights, _ = _readout(params, h[None], h_enc, src_mask)
    return log_softmax(logits[0]), h, c, (None if weights is None else weights[0])


class Decoded(NamedTuple):
    tokens: np.ndarray       # (L, B): the best hypothesis of each sequence, EOS and then EOS again
    scores: np.ndarray       # (B,): its total log-probability
    weights: np.ndarray | None   # (L, B, S): where each step of it looked (None without attention)


def beam_search(params: dict, src, src_mask, *, beam_width: int = 1, max_len: int = 12) -> Decoded:
    """Beam search, over the whole batch at once (each sequence keeps ``beam_width`` hypotheses as
    rows of one (B * k, H) state). ``beam_width=1`` is greedy decoding. A hypothesis that has
    produced EOS is finished: it stays in the beam, extended only by EOS at no cost, so every
    score is the log-probability of a whole output."""
    h_enc, h, c, _ = encode(params, src, src_mask)
    S, B, _ = h_enc.shape
    V, k = params["W_y"].shape[0], int(beam_width)
    if not 1 <= k <= V:
        raise ValueError(f"beam_width should be between 1 and the target vocabulary's size {V}; got {beam_width}.")
    mask_k = np.repeat(np.asarray(src_mask, dtype=bool), k, axis=1)
    h_enc_k = np.repeat(h_enc, k, axis=1)                        # row b * k + j: beam j of sequence b
    h, c = np.repeat(h, k, axis=0), np.repeat(c, k, axis=0)
    scores = np.full((B, k), -np.inf)
    scores[:, 0] = 0.0                                           # one hypothesis to start from, not k copies
    finished = np.zeros((B, k), dtype=bool)
    only_eos = np.full(V, -np.inf)
    only_eos[EOS] = 0.0
    y = np.full(B * k, BOS)
    history, looked, rows_b = [], [], np.arange(B)[:, None]
    for _ in range(max_len):
        logp, h, c, w = decode_step(params, y, h, c, h_enc_k, mask_k)
        logp = np.where(finished[..., None], only_eos, logp.reshape(B, k, V))
        total = (scores[..., None] + logp).reshape(B, k * V)
        best = np.argsort(-total, axis=1, kind="stable")[:, :k]
        parent, token = best // V, best % V
        scores = np.take_along_axis(total, best, axis=1)
        history = [past[rows_b, parent] for past in history] + [token]
        if w is not None:
            looked = [past[rows_b, parent] for past in looked] + [w.reshape(B, k, S)[rows_b, parent]]
        finished = finished[rows_b, parent] | (token == EOS)
        rows = (rows_b * k + parent).reshape(-1)
        h, c, y = h[rows], c[rows], token.reshape(-1)
        if finished.all():
            break
    tokens = np.stack(history)[:, :, 0]                          # column 0: the highest score
    weights = np.stack(looked)[:, :, 0] if looked else None
    return Decoded(tokens, scores[:, 0], weights)


def greedy(params: dict, src, src_mask, *, max_len: int = 12) -> Decoded:
    """Greedy decoding: the most likely token at every step, fed back as the next input."""
    return beam_search(params, src, src_mask, beam_width=1, max_len=max_len)


def translate(params: dict, pairs, source, target, *, beam_width: int = 1, max_len: int | None = None):
    """Decode the sources of ``pairs``; returns ``(predicted strings, Decoded)``."""
    batch = encode_pairs(pairs, source, target)
    max_len = max_len or batch["tgt_out"].shape[0] + 2
    out = beam_search(params, batch["src"], batch["src_mask"], beam_width=beam_width, max_len=max_len)
    return [target.decode(out.tokens[:, b]) for b in range(len(pairs))], out


def exact_match(params: dict, pairs, source, target, *, beam_width: int = 1) -> float:
    """The fraction of pairs whose decoded output equals the target exactly."""
    predicted, _ = translate(params, pairs, source, target, beam_width=beam_width)
    return float(np.mean([p == t for p, (_, t) in zip(predicted, pairs)]))


def teacher_forced_loss(params: dict, pairs, source, target) -> float:
    """The masked cross-entropy (nats per target token, EOS included) when the decoder reads the true target."""
    batch = encode_pairs(pairs, source, target)
    logits, _, _ = forward(params, batch)
    return float(masked_softmax_cross_entropy(logits, batch["tgt_out"], batch["tgt_mask"])[0])


class LengthRun(NamedTuple):
    attention: bool
    seed: int
    lengths: np.ndarray          # the source lengths tested
    accuracy: np.ndarray         # exact-match accuracy (greedy) at each length
    seconds_per_step: float
    params: dict                 # the trained model
    losses: np.ndarray           # the training loss of every step


def reversal_by_length(*, attention: bool, seed: int = 0, steps: int = 400, hidden_size: int = 32,
                       batch_size: int = 32, lr: float = 2e-2, min_length: int = 3, max_length: int = 12,
                       n_test: int = 100) -> LengthRun:
    """Train one encoder-decoder on the reversal task (lengths drawn uniformly in [min_length,
    max_length]) and measure its exact-match accuracy on ``n_test`` fresh strings of every length."""
    import time

    from .seq_tasks import REVERSAL, reversal
    params = init_params(len(REVERSAL), len(REVERSAL), hidden_size=hidden_size, attention=attention, seed=seed)
    start = time.perf_counter()
    result = train(params, lambda n, rng: reversal(n, rng, min_length=min_length, max_length=max_length),
                   REVERSAL, REVERSAL, steps=steps, batch_size=batch_size, lr=lr, seed=seed)
    seconds = (time.perf_counter() - start) / steps
    lengths = np.arange(min_length, max_length + 1)
    rng = np.random.default_rng(10_000 + seed)
    accuracy = np.array([exact_match(result.params, reversal(n_test, rng, min_length=L, max_length=L), REVERSAL,
                                     REVERSAL) for L in lengths])
    return LengthRun(attention, seed, lengths, accuracy, seconds, result.params, result.losses)


def format_length_table(runs) -> str:
    """Exact-match accuracy by source length, one row per model and seed."""
    lengths = runs[0].lengths
    lines = ["model            seed  " + " ".join(f"{L:>5d}" for L in lengths)]
    for run in runs:
        name = "with attention" if run.attention else "no attention"
        lines.append(f"{name:<16} {run.seed:4d}  " + " ".join(f"{a:5.0%}" for a in run.accuracy))
    return "\n".join(lines)
