"""Lesson 9: each exercise passes its reference, names every known mistake, passes right answers
written another way, and keeps float32; the shipped notebook's placeholders are 'not attempted'."""

import numpy as np
import pytest
from learner_copies import typed

from rnn_course.exercises import check
from rnn_course.exercises import lesson09 as L

MISTAKES = {
    "09.embedding_forward": [L._embedding_columns, L._embedding_batch_first, L._embedding_pad_zeroed,
                             L._embedding_shifted],
    "09.embedding_backward": [L._embedding_assigned, L._embedding_averaged, L._embedding_pad_row_zeroed,
                              L._embedding_sized_by_ids],
    "09.masked_cross_entropy": [L._ce_mask_ignored, L._ce_divided_by_all, L._ce_per_sequence, L._ce_gradient_unmasked,
                                L._ce_no_onehot, L._ce_gradient_not_averaged, L._ce_softmax_time_axis,
                                L._ce_softmax_batch_axis, L._ce_divided_by_T, L._ce_sign_flipped,
                                L._ce_mean_per_sequence],
    "09.attention_forward": L.ATTENTION_MISTAKES,
    "09.attention_backward": [L._att_values_path_only, L._att_softmax_diagonal, L._att_backward_unscaled,
                              L._att_backward_unmasked, L._att_backward_scale_H, L._att_jacobian_sign,
                              L._att_scale_only_dquery],
}
SOLUTIONS = {"09.embedding_forward": L.embedding_forward, "09.embedding_backward": L.embedding_backward,
             "09.masked_cross_entropy": L.masked_cross_entropy, "09.attention_forward": L.attention_forward,
             "09.attention_backward": L.attention_backward}


@pytest.mark.parametrize("name", list(SOLUTIONS))
def learners(name):
    """The reference retyped as a learner's; attention_backward calls the learner's attention_forward."""
    fn = typed(SOLUTIONS[name])
    if "attention_forward" in fn.__globals__:
        fn.__globals__["attention_forward"] = typed(L.attention_forward)
    return fn


@pytest.mark.parametrize("name", list(SOLUTIONS))
def test_a_retyped_reference_passes(name):
    result = check(name, learners(name))
    assert result.passed, result.message


@pytest.mark.parametrize("name", list(SOLUTIONS))
def test_the_reference_itself_is_not_the_learners(name):
    result = check(name, SOLUTIONS[name])
    assert result.status == "wrong" and "the course's own" in result.message


def _package_answers():
    from rnn_course import attention, embedding
    from rnn_course.losses import masked_softmax_cross_entropy

    def lookup(W, ids):
        return embedding.forward(W, ids)[0]

    def table_gradient(dx, ids, V):
        _, cache = embedding.forward(np.zeros((V, dx.shape[-1]), dtype=dx.dtype), ids)
        return embedding.backward(dx, cache)

    def attend(query, enc, mask):
        context, weights, _ = attention.forward(query[None], enc, enc, mask)
        return context[0], weights[0]

    def attend_backward(dcontext, query, enc, mask):
        _, _, cache = attention.forward(query[None], enc, enc, mask)
        dq, dk, dv = attention.backward(dcontext[None], cache)
        return dq[0], dk + dv

    return [("09.embedding_forward", lookup, "rnn_course.embedding.forward"),
            ("09.embedding_backward", table_gradient, "rnn_course.embedding"),
            ("09.masked_cross_entropy", masked_softmax_cross_entropy,
             "rnn_course.losses.masked_softmax_cross_entropy"),
            ("09.masked_cross_entropy", lambda z, y, m: masked_softmax_cross_entropy(z, y, m),
             "rnn_course.losses.masked_softmax_cross_entropy"),
            ("09.attention_forward", attend, "rnn_course.attention.forward"),
            ("09.attention_backward", attend_backward, "rnn_course.attention")]


@pytest.mark.parametrize("case", range(6))
def test_the_course_package_passed_or_wrapped_is_rejected(case):
    name, answer, qualname = _package_answers()[case]
    result = check(name, answer)
    assert result.status == "wrong", result.message
    assert "the course's own" in result.message and qualname in result.message, result.message


@pytest.mark.parametrize("name,mistake", [(n, m) for n, ms in MISTAKES.items() for m in ms],
                         ids=lambda v: getattr(getattr(v, "compute", None), "__name__", v))
def test_each_known_mistake_is_named(name, mistake):
    result = check(name, mistake.compute)
    assert result.status == "wrong"
    assert result.message == mistake.explanation


def test_the_gradient_checks_run_on_the_learners_function():
    assert "Gradient check of your function: largest relative error" in check(
        "09.embedding_backward", learners("09.embedding_backward")).message
    assert "below 1e-6: trust it" in check("09.attention_backward", learners("09.attention_backward")).message


# ------------------------------------------------------------------ right answers written another way

def one_hot_lookup(W, ids):
    return np.eye(W.shape[0], dtype=W.dtype)[ids] @ W


def one_hot_backward(dx, ids, V):
    onehot = np.eye(V, dtype=dx.dtype)[ids.reshape(-1)]           # (T*B, V)
    return onehot.T @ dx.reshape(-1, dx.shape[-1])


def loop_backward(dx, ids, V):
    dW = np.zeros((V, dx.shape[-1]), dtype=dx.dtype)
    for t in range(ids.shape[0]):
        for b in range(ids.shape[1]):
            dW[ids[t, b]] += dx[t, b]
    return dW


def ce_with_logsumexp(logits, targets, mask):
    n = np.count_nonzero(mask)
    logp = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
    loss = -sum(logp[t, b, targets[t, b]] for t, b in zip(*np.nonzero(mask))) / n
    d = np.exp(logp)
    d[np.arange(d.shape[0])[:, None], np.arange(d.shape[1]), targets] -= 1
    d[~mask] = 0
    return float(loss), d / n


def ce_with_package_helpers(logits, targets, mask):
    from rnn_course.losses import log_softmax, softmax  # both allowed by the exercise
    onehot = np.eye(logits.shape[-1])[targets]
    n = mask.sum()
    loss = -((log_softmax(logits) * onehot).sum(-1) * mask).sum() / n
    return loss, (softmax(logits) - onehot) * mask[..., None] / n


def attention_big_negative(query, enc, mask):
    H = query.shape[1]
    scores = np.einsum("sbh,bh->bs", enc, query) / np.sqrt(H)          # np.sqrt: float64, fine here
    scores = scores + np.where(mask.T, 0.0, -1e9)
    w = np.exp(scores - scores.max(1, keepdims=True))
    w /= w.sum(1, keepdims=True)
    return (w.T[:, :, None] * enc).sum(axis=0), w


def attention_mask_then_renormalise(query, enc, mask):
    scores = (enc * query[None]).sum(-1).T / np.sqrt(query.shape[1])
    w = np.exp(scores - scores.max(1, keepdims=True)) * mask.T
    return np.einsum("bs,sbh->bh", w / w.sum(1, keepdims=True), enc), w / w.sum(1, keepdims=True)


def attention_backward_loops(dcontext, query, enc, mask):
    S, B, H = enc.shape
    dq, denc = np.zeros_like(query), np.zeros_like(enc)
    for b in range(B):
        real = np.flatnonzero(mask[:, b])
        K = enc[real, b]                                              # (n, H)
        e = K @ query[b] / np.sqrt(H)
        a = np.exp(e - e.max())
        a /= a.sum()
        da = K @ dcontext[b]
        de = a * (da - a @ da)
        dq[b] = de @ K / np.sqrt(H)
        denc[real, b] = np.outer(a, dcontext[b]) + np.outer(de, query[b]) / np.sqrt(H)
    return dq, denc


@pytest.mark.parametrize("name,answer", [
    ("09.embedding_forward", one_hot_lookup),
    ("09.embedding_backward", one_hot_backward),
    ("09.embedding_backward", loop_backward),
    ("09.masked_cross_entropy", ce_with_logsumexp),
    ("09.masked_cross_entropy", ce_with_package_helpers),
    ("09.attention_forward", attention_big_negative),
    ("09.attention_forward", attention_mask_then_renormalise),
    ("09.attention_backward", attention_backward_loops),
])
def test_right_answers_written_another_way_pass(name, answer):
    result = check(name, answer)
    assert result.passed, result.message


def test_the_embedding_checks_include_float32_and_a_float64_answer_to_it_is_named():
    def backward_float64(dx, ids, V):
        dW = np.zeros((V, dx.shape[-1]))
        np.add.at(dW, ids.reshape(-1), dx.reshape(-1, dx.shape[-1]))
        return dW

    msg = check("09.embedding_backward", backward_float64).message
    assert "dtype float64, expected float32" in msg
    for make in (L._embedding_cases, L._embedding_backward_cases):
        assert any(a.dtype == np.float32 for case in make() for a in case if isinstance(a, np.ndarray)
                   and a.dtype.kind == "f")


def test_the_references_keep_float32():
    rng = np.random.default_rng(0)
    mask = np.array([[True, True], [True, False], [False, False]])
    q, enc = rng.normal(size=(2, 4)).astype(np.float32), rng.normal(size=(3, 2, 4)).astype(np.float32)
    assert all(a.dtype == np.float32 for a in L.attention_forward(q, enc, mask))
    assert all(a.dtype == np.float32 for a in L.attention_backward(q, q, enc, mask))
    logits = rng.normal(size=(3, 2, 5)).astype(np.float32)
    assert L.masked_cross_entropy(logits, np.zeros((3, 2), dtype=int), mask)[1].dtype == np.float32


def test_a_shift_without_log_softmax_is_told_about_the_underflowed_probability():
    def shifted_then_log_p(logits, targets, mask):
        z = logits - logits.max(-1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
        onehot = np.eye(logits.shape[-1])[targets]
        n = mask.sum()
        return -(np.log((p * onehot).sum(-1)) * mask).sum() / n, (p - onehot) * mask[..., None] / n

    result = check("09.masked_cross_entropy", shifted_then_log_p)
    assert result.status == "wrong" and "underflowed" in result.message, result.message


def test_the_loss_check_makes_a_naive_exp_overflow():
    assert max(float(np.abs(z).max()) for z, _, _ in L._ce_cases()) > 710     # np.exp(710) is inf


def test_a_mask_not_transposed_is_told_to_line_up():
    def untransposed(query, enc, mask):
        scores = np.einsum("bh,sbh->bs", query, enc) / np.sqrt(query.shape[1])
        scores = np.where(mask, scores, -np.inf)
        w = np.exp(scores - scores.max(1, keepdims=True))
        w /= w.sum(1, keepdims=True)
        return np.einsum("bs,sbh->bh", w, enc), w

    result = check("09.attention_forward", untransposed)
    assert result.status == "wrong" and "mask.T lines up" in result.message and "\n" not in result.message


def test_the_table_gradient_check_has_a_case_whose_ids_stop_short_of_V():
    assert any(int(ids.max()) < V - 1 for _, ids, V in L._embedding_backward_cases())


def test_every_exercise_has_three_or_four_hints_from_start_to_nearly_the_line():
    assert set(L.HINTS) == set(SOLUTIONS)
    for name, steps in L.HINTS.items():
        assert 3 <= len(steps) <= 4 and all(isinstance(s, str) and s for s in steps), name


def test_an_unstable_softmax_is_told_its_result_is_not_finite():
    def naive(logits, targets, mask):
        p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        onehot = np.eye(logits.shape[-1])[targets]
        n = mask.sum()
        loss = -(np.log((p * onehot).sum(-1)) * mask).sum() / n
        return loss, ((p - onehot) * mask[..., None] / n).astype(logits.dtype)

    result = check("09.masked_cross_entropy", naive)
    assert result.status == "wrong" and ("NaN" in result.message or "infinity" in result.message)


def test_placeholders_are_not_attempted_and_a_crash_is_one_line():
    def placeholder(query, enc, mask):
        raise NotImplementedError

    def crashes(query, enc, mask):
        return query @ enc

    assert check("09.attention_forward", placeholder).status == "not attempted"
    msg = check("09.attention_forward", crashes).message
    assert "raised" in msg and "\n" not in msg


def test_the_reference_solutions_agree_with_the_package():
    from rnn_course import attention, embedding
    from rnn_course.losses import masked_softmax_cross_entropy
    for W, ids in L._embedding_cases():
        np.testing.assert_array_equal(L.embedding_forward(W, ids), embedding.forward(W, ids)[0])
    for dx, ids, V in L._embedding_backward_cases():
        _, cache = embedding.forward(np.zeros((V, dx.shape[-1])), ids)
        np.testing.assert_allclose(L.embedding_backward(dx, ids, V), embedding.backward(dx, cache), rtol=1e-6)
    for logits, targets, mask in L._ce_cases():
        loss, d = L.masked_cross_entropy(logits, targets, mask)
        loss_p, d_p = masked_softmax_cross_entropy(logits, targets, mask)
        np.testing.assert_allclose(loss, loss_p, rtol=1e-5)
        np.testing.assert_allclose(d, d_p, rtol=1e-5, atol=1e-7)
    for q, enc, mask in L._attention_cases():
        ctx, w = L.attention_forward(q, enc, mask)
        ctx_p, w_p, _ = attention.forward(q[None], enc, enc, mask)
        np.testing.assert_allclose(ctx, ctx_p[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(w, w_p[0], rtol=1e-5, atol=1e-6)


def _lesson_cells():
    import json
    from pathlib import Path
    path = Path(__file__).resolve().parents[1] / "notebooks" / "09_seq2seq_attention.ipynb"
    return [(c["cell_type"], "".join(c["source"])) for c in json.loads(path.read_text())["cells"]]


def test_the_lesson_carries_no_solutions_and_points_to_each_exercises_hints():
    cells = _lesson_cells()
    assert not any("<details>" in text for _, text in cells)
    for name in SOLUTIONS:
        stuck = (f'*Stuck?* `hint("{name}")` gives one hint at a time ({len(L.HINTS[name])} in all, the first names '
                 f'where to start, the last is nearly the line); `show_solution("{name}")` prints the reference '
                 "solution. Both are noted in your progress (`rnn-course progress`).")
        assert sum(kind == "markdown" and text == stuck for kind, text in cells) == 1, name
    assert not any(kind == "code" and "hint(" in text for kind, text in cells)


def test_the_course_loss_is_not_imported_before_the_learner_writes_it():
    cells = _lesson_cells()
    checked = next(i for i, (_, text) in enumerate(cells) if 'check("09.masked_cross_entropy"' in text)
    assert not any("masked_softmax_cross_entropy" in text for kind, text in cells[:checked] if kind == "code")


def test_the_beam_explorer_says_offline_where_its_table_is_printed():
    from rnn_course import seq2seq, seq_tasks
    from rnn_course.widgets import live
    from rnn_course.widgets.attention_explorer import BeamExplorer
    params = seq2seq.init_params(len(seq_tasks.REVERSAL), len(seq_tasks.REVERSAL), hidden_size=8, seed=0)
    beams = BeamExplorer(params, seq_tasks.reversal(2, 0), seq_tasks.REVERSAL, seq_tasks.REVERSAL, max_width=3)
    text = beams._repr_mimebundle_()["text/plain"]
    assert text != live.OFFLINE_TEXT and "prints its table" in text


def test_a_write_with_equals_and_a_table_sized_by_its_largest_id_are_named_as_typed():
    def assigned(dx, ids, V):
        dW = np.zeros((V, dx.shape[-1]), dtype=dx.dtype)
        dW[ids] = dx
        return dW

    def sized_by_ids(dx, ids, V):
        dW = np.zeros((ids.max() + 1, dx.shape[-1]))              # float64 too: the size is named first
        np.add.at(dW, ids, dx)
        return dW

    assert check("09.embedding_backward", assigned).message == L._embedding_assigned.explanation
    assert "dW[ids] = dx and dW[ids] += dx" in L._embedding_assigned.explanation
    assert check("09.embedding_backward", sized_by_ids).message == L._embedding_sized_by_ids.explanation
