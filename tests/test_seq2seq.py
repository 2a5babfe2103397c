"""Lesson 9's numerics: the masked loss (a contract), embeddings, attention, the encoder-decoder,
beam search and the tasks; gradient checks for every backward, PyTorch parity where PyTorch has the
same operation, and the ValueErrors at the public boundary."""

import numpy as np
import pytest
import torch

from rnn_course import attention, embedding, gradcheck, seq2seq, seq_tasks
from rnn_course.losses import masked_softmax_cross_entropy

PAD = seq_tasks.PAD


def _padded(rng, T=5, B=4, V=7, lengths=(5, 2, 4, 1)):
    mask = np.arange(T)[:, None] < np.array(lengths)[None, :]
    targets = np.where(mask, rng.integers(0, V, (T, B)), PAD)
    return rng.normal(size=(T, B, V)), targets, mask


# ------------------------------------------------------------------------------ the masked loss (contract)

@pytest.mark.parametrize("scale", [1.0, 50.0])
def test_masked_loss_equals_torch_cross_entropy_with_ignore_index(rng, scale):
    logits, targets, mask = _padded(rng)
    logits *= scale
    loss, dlogits = masked_softmax_cross_entropy(logits, targets, mask)
    t_logits = torch.tensor(logits, requires_grad=True)
    t_targets = torch.tensor(np.where(mask, targets, -100))
    t_loss = torch.nn.functional.cross_entropy(t_logits.reshape(-1, logits.shape[-1]), t_targets.reshape(-1),
                                               ignore_index=-100)
    t_loss.backward()
    assert abs(loss - t_loss.item()) < 1e-12
    np.testing.assert_allclose(dlogits, t_logits.grad.numpy(), rtol=0, atol=1e-14)


def test_masked_loss_gradient_check_and_zero_on_the_padding(rng):
    logits, targets, mask = _padded(rng)
    loss, dlogits = masked_softmax_cross_entropy(logits, targets, mask)
    errors = gradcheck.gradcheck(lambda p: masked_softmax_cross_entropy(p["z"], targets, mask)[0], {"z": logits},
                                 {"z": dlogits})
    assert errors["z"] < 1e-8
    assert np.all(dlogits[~mask] == 0)
    assert isinstance(loss, float)


def test_masked_loss_is_the_mean_over_real_tokens_whatever_the_padding_holds(rng):
    logits, targets, mask = _padded(rng)
    junk = np.where(mask, targets, 999)                 # anything at a padded position, even out of range
    assert masked_softmax_cross_entropy(logits, targets, mask)[0] == masked_softmax_cross_entropy(logits, junk, mask)[0]
    logits2 = logits.copy()
    logits2[~mask] = 1e6                                 # nor do the padded logits matter
    assert masked_softmax_cross_entropy(logits2, targets, mask)[0] == pytest.approx(
        masked_softmax_cross_entropy(logits, targets, mask)[0], abs=1e-14)
    picked = np.take_along_axis(logits - np.log(np.exp(logits).sum(-1, keepdims=True)), targets[..., None], -1)[..., 0]
    assert masked_softmax_cross_entropy(logits, targets, mask)[0] == pytest.approx(-picked[mask].mean(), rel=1e-12)


def test_masked_loss_is_finite_for_logits_of_500_and_keeps_float32(rng):
    logits, targets, mask = _padded(rng)
    big = 500.0 * np.sign(logits)
    for dtype in (np.float64, np.float32):
        loss, d = masked_softmax_cross_entropy(big.astype(dtype), targets, mask)
        assert np.isfinite(loss) and np.all(np.isfinite(d))
        assert d.dtype == dtype and np.asarray(loss).dtype == dtype
    t = torch.nn.functional.cross_entropy(torch.tensor(big).reshape(-1, 7),
                                          torch.tensor(np.where(mask, targets, -100)).reshape(-1))
    assert masked_softmax_cross_entropy(big, targets, mask)[0] == pytest.approx(t.item(), rel=1e-12)
    loss32, d32 = masked_softmax_cross_entropy(logits.astype(np.float32), targets, mask)
    loss64, d64 = masked_softmax_cross_entropy(logits, targets, mask)
    assert loss32 == pytest.approx(loss64, rel=1e-5)
    np.testing.assert_allclose(d32, d64, atol=1e-6)


def test_an_all_masked_batch_gives_zero_loss_and_zero_gradient(rng):
    logits, targets, _ = _padded(rng)
    loss, d = masked_softmax_cross_entropy(logits, targets, np.zeros(targets.shape, dtype=bool))
    assert loss == 0.0 and not d.any()


@pytest.mark.parametrize("change,match", [
    (lambda z, y, m: (z[0], y, m), r"logits should have shape \(T, B, V\).*\(4, 7\)"),
    (lambda z, y, m: (z, y[:, :2], m), r"targets should have shape \(T, B\) = \(5, 4\).*\(5, 2\)"),
    (lambda z, y, m: (z, y, m.T), r"mask should have shape \(T, B\) = \(5, 4\).*\(4, 5\)"),
    (lambda z, y, m: (z, y.astype(float), m), "integer token ids; got dtype float64"),
    (lambda z, y, m: (z, np.where(m, 7, y), m), r"lie in \[0, 7\)"),
    (lambda z, y, m: (z, y, m * 2.0), "booleans"),
])
def test_masked_loss_names_bad_input(rng, change, match):
    with pytest.raises(ValueError, match=match):
        masked_softmax_cross_entropy(*change(*_padded(rng)))


# ----------------------------------------------------------------------------------------- embeddings

def test_embedding_gradient_matches_torch_with_repeated_ids(rng):
    W = rng.normal(size=(6, 3))
    ids = np.array([[1, 1, 4], [1, 0, 4]])
    dx = rng.normal(size=(2, 3, 3))
    x, cache = embedding.forward(W, ids)
    module = torch.nn.Embedding(6, 3).double()
    module.weight.data = torch.tensor(W)
    out = module(torch.tensor(ids))
    np.testing.assert_array_equal(x, out.detach().numpy())
    (out * torch.tensor(dx)).sum().backward()
    np.testing.assert_allclose(embedding.backward(dx, cache), module.weight.grad.numpy(), rtol=0, atol=1e-14)
    assert embedding.backward(dx, cache)[1] == pytest.approx(dx[0, 0] + dx[0, 1] + dx[1, 0])


def test_embedding_gradient_check_and_errors(rng):
    W, ids, w = rng.normal(size=(5, 2)), rng.integers(0, 5, (4, 3)), rng.normal(size=(4, 3, 2))
    _, cache = embedding.forward(W, ids)
    errors = gradcheck.gradcheck(lambda p: float(np.sum(w * embedding.forward(p["W"], ids)[0])), {"W": W},
                                 {"W": embedding.backward(w, cache)})
    assert errors["W"] < 1e-9
    assert embedding.backward(w.astype(np.float32), cache).dtype == np.float32
    with pytest.raises(ValueError, match=r"ids should lie in \[0, 5\)"):
        embedding.forward(W, np.array([[5]]))
    with pytest.raises(ValueError, match="integer token ids"):
        embedding.forward(W, np.array([[0.5]]))
    with pytest.raises(ValueError, match=r"W should have shape \(V, E\)"):
        embedding.forward(W[0], ids)
    with pytest.raises(ValueError, match=r"dx should have shape ids.shape \+ \(E,\) = \(4, 3, 2\)"):
        embedding.backward(w[0], cache)


# ------------------------------------------------------------------------------------------ attention

def _attention_inputs(rng, T=3, S=5, B=4, H=6, Dv=2, lengths=(5, 2, 4, 1)):
    mask = np.arange(S)[:, None] < np.array(lengths)[None, :]
    return rng.normal(size=(T, B, H)), rng.normal(size=(S, B, H)), rng.normal(size=(S, B, Dv)), mask


@pytest.mark.parametrize("scaled", [True, False])
def test_attention_matches_torch_scaled_dot_product_attention_with_a_mask(rng, scaled):
    q, k, v, mask = _attention_inputs(rng)
    dctx = rng.normal(size=(3, 4, 2))
    ctx, weights, cache = attention.forward(q, k, v, mask, scaled=scaled)
    tq, tk, tv = (torch.tensor(a.transpose(1, 0, 2), requires_grad=True) for a in (q, k, v))   # batch first
    t_mask = torch.tensor(mask.T[:, None, :])                            # (B, 1, S): True takes part
    t_ctx = torch.nn.functional.scaled_dot_product_attention(tq, tk, tv, attn_mask=t_mask,
                                                             scale=None if scaled else 1.0)
    (t_ctx * torch.tensor(dctx.transpose(1, 0, 2))).sum().backward()
    np.testing.assert_allclose(ctx, t_ctx.detach().numpy().transpose(1, 0, 2), rtol=0, atol=1e-13)
    for ours, theirs in zip(attention.backward(dctx, cache), (tq, tk, tv)):
        np.testing.assert_allclose(ours, theirs.grad.numpy().transpose(1, 0, 2), rtol=0, atol=1e-13)
    assert np.all(weights[:, ~mask.T] == 0) and np.allclose(weights.sum(-1), 1)


def test_attention_gradient_check_and_float32(rng):
    q, k, v, mask = _attention_inputs(rng)
    w = rng.normal(size=(3, 4, 2))
    params = {"q": q, "k": k, "v": v}

    def loss(p):
        return float(np.sum(w * attention.forward(p["q"], p["k"], p["v"], mask)[0]))

    _, _, cache = attention.forward(q, k, v, mask)
    dq, dk, dv = attention.backward(w, cache)
    errors = gradcheck.gradcheck(loss, params, {"q": dq, "k": dk, "v": dv})
    assert max(errors.values()) < 1e-8, errors
    assert np.all(dk[~mask] == 0) and np.all(dv[~mask] == 0)
    out32 = attention.forward(*(a.astype(np.float32) for a in (q, k, v)), mask)
    assert out32[0].dtype == out32[1].dtype == np.float32
    assert all(g.dtype == np.float32 for g in attention.backward(w.astype(np.float32), out32[2]))


def test_attention_names_bad_input(rng):
    q, k, v, mask = _attention_inputs(rng)
    with pytest.raises(ValueError, match=r"keys should have shape \(S, B, H\) = \(\?, 4, 6\)"):
        attention.forward(q, k[:, :2], v, mask)
    with pytest.raises(ValueError, match=r"values should have shape \(S, B, Dv\) = \(5, 4, \?\)"):
        attention.forward(q, k, v[:3], mask)
    with pytest.raises(ValueError, match=r"mask should have shape \(S, B\) = \(5, 4\)"):
        attention.forward(q, k, v, mask.T)
    with pytest.raises(ValueError, match="sequence 1 of the batch has no real position"):
        attention.forward(q, k, v, mask & (np.arange(4) != 1))
    with pytest.raises(ValueError, match="should be 3-d"):
        attention.forward(q[0], k, v, mask)


# ------------------------------------------------------------------------------ the encoder-decoder

@pytest.mark.parametrize("use_attention", [True, False])
@pytest.mark.parametrize("bidirectional", [True, False])
def test_encoder_decoder_gradient_check(use_attention, bidirectional):
    pairs = seq_tasks.reversal(3, 0, min_length=2, max_length=4)
    batch = seq_tasks.encode_pairs(pairs, seq_tasks.REVERSAL, seq_tasks.REVERSAL)
    V = len(seq_tasks.REVERSAL)
    params = seq2seq.init_params(V, V, embed_size=3, hidden_size=4, attention=use_attention,
                                 bidirectional=bidirectional, seed=2)
    loss, grads = seq2seq.loss_and_grads(params, batch)
    assert set(grads) == set(params)
    errors = gradcheck.gradcheck(lambda p: seq2seq.loss_and_grads(p, batch)[0], params, grads)
    assert max(errors.values()) < 1e-6, errors
    assert not grads["src_embed"][seq_tasks.PAD].any()          # the padding never reaches the loss
    assert not grads["tgt_embed"][seq_tasks.PAD].any()


def test_the_padding_does_not_change_what_a_sequence_gets(rng):
    V = len(seq_tasks.REVERSAL)
    params = seq2seq.init_params(V, V, hidden_size=8, seed=0)
    pairs = seq_tasks.reversal(4, 3, min_length=2, max_length=9)
    alone = [seq2seq.forward(params, seq_tasks.encode_pairs([p], seq_tasks.REVERSAL, seq_tasks.REVERSAL))[0]
             for p in pairs]
    batch = seq_tasks.encode_pairs(pairs, seq_tasks.REVERSAL, seq_tasks.REVERSAL)
    together = seq2seq.forward(params, batch)[0]
    for b, logits in enumerate(alone):
        np.testing.assert_allclose(together[:len(logits), b], logits[:, 0], atol=1e-12)


def test_greedy_is_beam_of_one_and_a_full_beam_finds_the_best_output():
    V = len(seq_tasks.REVERSAL)
    params = seq2seq.init_params(V, V, hidden_size=8, seed=1)
    batch = seq_tasks.encode_pairs(seq_tasks.reversal(6, 4), seq_tasks.REVERSAL, seq_tasks.REVERSAL)
    greedy = seq2seq.greedy(params, batch["src"], batch["src_mask"], max_len=6)
    # greedy by hand: argmax step by step, one sequence at a time
    h_enc, h, c, _ = seq2seq.encode(params, batch["src"], batch["src_mask"])
    y, total = np.full(6, seq_tasks.BOS), np.zeros(6)
    done = np.zeros(6, dtype=bool)
    for t in range(6):
        logp, h, c, _ = seq2seq.decode_step(params, y, h, c, h_enc, batch["src_mask"])
        y = np.where(done, seq_tasks.EOS, logp.argmax(axis=1))
        total += np.where(done, 0.0, logp.max(axis=1))
        np.testing.assert_array_equal(greedy.tokens[t], y)
        done |= y == seq_tasks.EOS
    np.testing.assert_allclose(greedy.scores, total)
    # a beam as wide as the vocabulary, over two steps, keeps every candidate: it finds the best pair
    V = len(seq_tasks.REVERSAL)
    beam = seq2seq.beam_search(params, batch["src"], batch["src_mask"], beam_width=V, max_len=2)
    h_enc, h, c, _ = seq2seq.encode(params, batch["src"], batch["src_mask"])
    first, h1, c1, _ = seq2seq.decode_step(params, np.full(6, seq_tasks.BOS), h, c, h_enc, batch["src_mask"])
    best = np.full(6, -np.inf)
    for y in range(V):
        second, *_ = seq2seq.decode_step(params, np.full(6, y), h1, c1, h_enc, batch["src_mask"])
        then = 0.0 if y == seq_tasks.EOS else second.max(axis=1)       # a finished output stays finished
        best = np.maximum(best, first[:, y] + then)
    np.testing.assert_allclose(beam.scores, best, rtol=1e-12)
    with pytest.raises(ValueError, match="beam_width should be between 1 and"):
        seq2seq.beam_search(params, batch["src"], batch["src_mask"], beam_width=0)


def test_a_short_training_run_learns_to_reverse():
    run = seq2seq.reversal_by_length(attention=True, steps=150, hidden_size=16, max_length=5, n_test=20)
    assert run.losses[-20:].mean() < 0.5 * run.losses[:5].mean()
    assert run.accuracy[0] > 0.5


# ------------------------------------------------------------------------------------------- the tasks

def test_dates_are_seeded_and_right():
    import datetime
    a = seq_tasks.dates(200, 5)
    assert a == seq_tasks.dates(200, 5)
    for written, iso in a:
        d = datetime.date.fromisoformat(iso)
        assert 1950 <= d.year <= 2049
        assert any(f(d) == written for f in seq_tasks.DATE_FORMATS.values())
        seq_tasks.DATE_SOURCE.encode(written)
    assert seq_tasks.DATE_FORMATS["the Dth of Month YYYY"](datetime.date(2021, 3, 3)) == "the 3rd of March 2021"
    assert seq_tasks.DATE_FORMATS["D/M/YY"](datetime.date(2021, 4, 3)) == "3/4/21"         # day first
    assert seq_tasks.DATE_FORMATS["Month D, YYYY"](datetime.date(2021, 3, 11)) == "March 11, 2021"
    assert seq_tasks.DATE_FORMATS["Dth month YY"](datetime.date(1999, 3, 22)) == "22nd march 99"
    with pytest.raises(ValueError, match="unknown date format"):
        seq_tasks.dates(1, 0, formats=["3-3-2021"])


def test_reversal_padding_and_pairs():
    pairs = seq_tasks.reversal(50, 1, min_length=3, max_length=7)
    assert all(t == s[::-1] and 3 <= len(s) <= 7 for s, t in pairs)
    ids, mask = seq_tasks.pad_batch([[5, 6, 7], [8]])
    np.testing.assert_array_equal(ids, [[5, 8], [6, 0], [7, 0]])
    np.testing.assert_array_equal(mask, [[True, True], [True, False], [True, False]])
    batch = seq_tasks.encode_pairs([("ab", "ba"), ("c", "c")], seq_tasks.REVERSAL, seq_tasks.REVERSAL)
    np.testing.assert_array_equal(batch["tgt_in"][0], seq_tasks.BOS)
    assert batch["tgt_out"][2, 0] == seq_tasks.EOS and batch["tgt_mask"].sum() == 5
    np.testing.assert_array_equal(seq2seq.reversed_order(mask), [[2, 0], [1, 1], [0, 2]])
    with pytest.raises(ValueError, match="sequence 1 is empty"):
        seq_tasks.pad_batch([[1], []])
    with pytest.raises(ValueError, match="not in the vocabulary"):
        seq_tasks.REVERSAL.encode("xyz!")


def test_the_widgets_follow_their_sliders():
    from rnn_course.widgets.attention_explorer import AttentionExplorer, BeamExplorer
    w = np.eye(4)[::-1]
    explorer = AttentionExplorer(w, "abcd", "dcba")
    explorer.slider.value = 3
    np.testing.assert_array_equal(explorer.row(), [1, 0, 0, 0])
    assert "position 0" in explorer.label.get_text()
    with pytest.raises(ValueError, match="weights should have shape"):
        AttentionExplorer(w, "abc", "dcba")
    V = len(seq_tasks.REVERSAL)
    beams = BeamExplorer(seq2seq.init_params(V, V, hidden_size=8, seed=0), seq_tasks.reversal(3, 0), seq_tasks.REVERSAL,
                         seq_tasks.REVERSAL, max_width=4)
    beams.slider.value = 4
    rows = beams.rows()
    assert len(rows) == 3 and rows[0]["greedy"] == beams.greedy[0] and rows[0]["target"] == rows[0]["source"][::-1]
    assert "beam width 4" in beams.table.value
