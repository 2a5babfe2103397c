"""Lesson 8: the CTC exercises name their mistakes and accept right answers written differently; the data
and the reader behind the lesson."""

import warnings

import numpy as np
import pytest
from learner_copies import typed

from rnn_course import ctc, gradcheck, handwriting
from rnn_course.exercises import check, core
from rnn_course.exercises import lesson08 as L

MISTAKES = {"08.ctc_forward": L._FORWARD_MISTAKES, "08.ctc_loss_grad": [*L._LOSS_MISTAKES, L._naive_softmax],
            "08.greedy_decode": L._GREEDY_MISTAKES, "08.beam_search": L._BEAM_MISTAKES}
SOLUTIONS = {"08.ctc_forward": L.ctc_forward, "08.ctc_loss_grad": L.ctc_loss_grad,
             "08.greedy_decode": L.greedy_decode, "08.beam_search": L.beam_search}


def retyped(fn):
    """``fn`` as a learner would type it, with the lesson's functions it calls retyped too."""
    copy = typed(fn)
    for helper in (L.ctc_forward, L.ctc_backward):
        copy.__globals__[helper.__name__] = typed(helper)
    return copy


@pytest.mark.parametrize("name", list(SOLUTIONS))
def test_a_retyped_reference_passes(name):
    result = check(name, retyped(SOLUTIONS[name]))
    assert result.passed, result.message


@pytest.mark.parametrize("name", list(SOLUTIONS))
def test_the_course_own_reference_is_rejected(name):
    assert "the course's own" in check(name, SOLUTIONS[name]).message


def _through_package(fn_name):
    """A right answer to 08.ctc_forward that also calls ``ctc.<fn_name>`` on the way."""
    mine = retyped(L.ctc_forward)

    def forward(log_probs, target, blank=0):
        getattr(ctc, fn_name)(*_package_args(fn_name, log_probs, target, blank))
        return mine(log_probs, target, blank)
    return forward


def _package_args(fn_name, log_probs, target, blank):
    batch = log_probs[:, None]
    return {"loss_and_grad": (batch, [target], None, blank), "greedy_decode": (batch, None, blank),
            "beam_search": (batch, 2, blank), "collapse": ([1, 1, 0, 2], blank), "extend": (target, blank)}[fn_name]


@pytest.mark.parametrize("fn_name", ["loss_and_grad", "greedy_decode", "collapse", "beam_search", "extend"])
def test_calling_the_package_ctc_is_rejected_by_name(fn_name):
    message = check("08.ctc_forward", _through_package(fn_name)).message
    assert f"rnn_course.ctc.{fn_name}" in message and "the course's own" in message


def test_the_log_space_helpers_stay_allowed():
    def forward_with_helpers(log_probs, target, blank=0):
        log_probs = ctc.log_softmax(log_probs)          # already normalised: unchanged
        ext = [blank]
        for label in target:
            ext += [label, blank]
        T, S = len(log_probs), len(ext)
        alpha = np.full((T, S), -np.inf, dtype=log_probs.dtype)
        alpha[0, :2] = log_probs[0, ext[:2]]
        for t in range(1, T):
            for s in range(S):
                terms = [alpha[t - 1, s]] + ([alpha[t - 1, s - 1]] if s else [])
                if s >= 2 and ext[s] != blank and ext[s] != ext[s - 2]:
                    terms.append(alpha[t - 1, s - 2])
                alpha[t, s] = ctc.logsumexp(*terms) + log_probs[t, ext[s]]
        return alpha

    result = check("08.ctc_forward", forward_with_helpers)
    assert result.passed, result.message


def test_a_wrong_impossible_state_is_said_in_words_without_warnings():
    mine = retyped(L.ctc_forward)

    def finite_for_impossible(log_probs, target, blank=0):
        alpha = mine(log_probs, target, blank)
        return np.where(np.isneginf(alpha), -1e30, alpha).astype(alpha.dtype)

    def one_entry_off(log_probs, target, blank=0):
        alpha = mine(log_probs, target, blank)
        alpha[-1, -1] += 1.0
        return alpha

    args = L._forward_cases()[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check("08.ctc_forward", finite_for_impossible).message == L.HUGE_NEGATIVE
        messages = []
        allowed, borrowed = core.ALLOWED.set(L.ALLOW), core.BORROWED.set([])    # as judge() sets them
        try:
            for answer in (finite_for_impossible, one_entry_off):   # the generic fallback, no known mistakes
                with pytest.raises(core.Mistake) as err:
                    core.diagnose(answer, L.ctc_forward, args)
                messages.append(str(err.value))
        finally:
            core.ALLOWED.reset(allowed)
            core.BORROWED.reset(borrowed)
        second = check("08.ctc_forward", one_entry_off).message
    assert "expected -inf (an impossible state), got -1e+30" in messages[0], messages[0]
    for message in (*messages, second):
        assert "nan" not in message.lower() and "expected -inf, got -inf" not in message, message


def test_a_crash_names_the_case_it_happened_on():
    mine = retyped(L.ctc_loss_grad)

    def fails_on_empty(logits, target, blank=0):
        if not target:
            raise IndexError("list index out of range")
        return mine(logits, target, blank)

    message = check("08.ctc_loss_grad", fails_on_empty).message
    assert "IndexError" in message and "target = []" in message and "\n" not in message


def test_a_hard_coded_blank_is_caught():
    def greedy_blank_zero(log_probs, blank=0):
        path = np.argmax(log_probs, axis=1)
        return [int(k) for i, k in enumerate(path) if k != 0 and (i == 0 or k != path[i - 1])]

    def forward_blank_zero(log_probs, target, blank=0):
        return retyped(L.ctc_forward)(log_probs, target, 0)

    assert check("08.greedy_decode", greedy_blank_zero).status == "wrong"
    assert check("08.ctc_forward", forward_blank_zero).status == "wrong"


def test_a_wrong_labelling_is_said_as_label_sequences():
    def one_label_off(log_probs, blank=0):
        labels = retyped(L.greedy_decode)(log_probs, blank)
        return labels[:-1] + [labels[-1] + 1] if len(labels) > 2 else labels

    message = check("08.greedy_decode", one_label_off).message
    assert "expected [" in message and "got [" in message and "relative error" not in message, message


def test_a_decoder_mistake_is_named_only_when_it_matches_every_case():
    # the answer ignores beam_width: once it was told "you dropped the repeats" from one coincident case
    assert check("08.beam_search", L._every_prefix.compute).message == L._every_prefix.explanation


@pytest.mark.parametrize("name,mistake", [(n, m) for n, ms in MISTAKES.items() for m in ms],
                         ids=lambda v: v if isinstance(v, str) else v.compute.__name__)
def test_each_known_mistake_is_named(name, mistake):
    result = check(name, mistake.compute)
    assert result.status == "wrong"
    assert result.message == mistake.explanation


def test_the_placeholder_is_not_attempted_and_a_crash_is_one_line():
    def placeholder(log_probs, target, blank=0):
        raise NotImplementedError

    def crashes(log_probs, target, blank=0):
        return log_probs @ np.ones(3)[target]

    assert check("08.ctc_forward", placeholder).status == "not attempted"
    msg = check("08.ctc_forward", crashes).message
    assert "raised" in msg and "\n" not in msg


def test_the_allow_lists_name_only_the_two_log_space_helpers():
    for name in SOLUTIONS:
        assert core.get(name).allow == ("rnn_course.ctc.logsumexp", "rnn_course.ctc.log_softmax")


# ---------------------------------------------------------------------------------------
# Right answers written differently pass
# ---------------------------------------------------------------------------------------

def vectorised_forward(log_probs, target, blank=0):
    ext = np.full(2 * len(target) + 1, blank)
    ext[1::2] = target
    T, S = len(log_probs), len(ext)
    skip = np.zeros(S, dtype=bool)
    skip[2:] = (ext[2:] != blank) & (ext[2:] != ext[:-2])
    alpha = np.full((T, S), -np.inf)
    alpha[0, :2] = log_probs[0, ext[:2]]
    for t in range(1, T):
        one = np.concatenate([[-np.inf], alpha[t - 1]])[:S]
        two = np.where(skip, np.concatenate([[-np.inf, -np.inf], alpha[t - 1]])[:S], -np.inf)
        alpha[t] = np.logaddexp(np.logaddexp(alpha[t - 1], one), two) + log_probs[t, ext]
    return alpha.astype(log_probs.dtype)


def loss_grad_with_graves_beta(logits, target, blank=0):
    """beta including step t's output (Graves' definition), divided out once."""
    log_probs = logits - logits.max(axis=1, keepdims=True)
    log_probs = log_probs - np.log(np.exp(log_probs).sum(axis=1, keepdims=True))
    ext = np.full(2 * len(target) + 1, blank)
    ext[1::2] = target
    alpha = vectorised_forward(log_probs, target, blank).astype(np.float64)
    beta = vectorised_forward(log_probs[::-1], list(target[::-1]), blank)[::-1, ::-1].astype(np.float64)
    log_p = np.logaddexp(alpha[-1, -1], alpha[-1, -2]) if len(ext) > 1 else alpha[-1, -1]
    share = np.exp(alpha + beta - log_probs[:, ext] - log_p)
    grad = np.exp(log_probs)
    np.subtract.at(grad, (slice(None), ext), share)
    return (-log_p).astype(logits.dtype), grad.astype(logits.dtype)


def greedy_with_groupby(log_probs, blank=0):
    import itertools
    return np.array([k for k, _ in itertools.groupby(np.argmax(log_probs, axis=1)) if k != blank])


def beam_in_probability_space(log_probs, beam_width, blank=0):
    probs = np.exp(log_probs)
    beam = {(): (1.0, 0.0)}
    for y in probs:
        new = {}
        for prefix, (pb, pnb) in beam.items():
            b, n = new.get(prefix, (0.0, 0.0))
            new[prefix] = (b + (pb + pnb) * y[blank], n + (pnb * y[prefix[-1]] if prefix else 0.0))
            for k in range(len(y)):
                if k == blank:
                    continue
                grown = prefix + (k,)
                b, n = new.get(grown, (0.0, 0.0))
                new[grown] = (b, n + (pb if prefix and prefix[-1] == k else pb + pnb) * y[k])
        beam = dict(sorted(new.items(), key=lambda item: -sum(item[1]))[:beam_width])
    return list(max(beam, key=lambda p: sum(beam[p])))


@pytest.mark.parametrize("name,answer", [("08.ctc_forward", vectorised_forward),
                                         ("08.ctc_loss_grad", loss_grad_with_graves_beta),
                                         ("08.greedy_decode", greedy_with_groupby),
                                         ("08.beam_search", beam_in_probability_space)])
def test_right_answers_written_differently_pass(name, answer):
    result = check(name, answer)
    assert result.passed, result.message


def test_float32_in_float32_out():
    log_probs = ctc.log_softmax(np.random.default_rng(0).normal(size=(5, 4))).astype(np.float32)
    assert L.ctc_forward(log_probs, [1, 2]).dtype == np.float32
    loss, grad = L.ctc_loss_grad(np.random.default_rng(1).normal(size=(5, 4)).astype(np.float32), [1, 2])
    assert np.asarray(loss).dtype == np.float32 and grad.dtype == np.float32

    def float64_out(log_probs, target, blank=0):
        return L.ctc_forward(log_probs, target, blank).astype(np.float64)

    assert "dtype" in check("08.ctc_forward", float64_out).message


def test_the_references_agree_with_the_package():
    rng = np.random.default_rng(9)
    logits = rng.normal(size=(9, 5))
    loss, grad = L.ctc_loss_grad(logits, [1, 3, 3])
    package_loss, package_grad = ctc.loss_and_grad(logits[:, None], [[1, 3, 3]])
    np.testing.assert_allclose(loss, package_loss[0], rtol=1e-12)
    np.testing.assert_allclose(grad, package_grad[:, 0], atol=1e-12)
    log_probs = ctc.log_softmax(rng.normal(0, 2, (12, 4)))
    for width in (1, 3, 10):
        assert L.beam_search(log_probs, width) == ctc.beam_search(log_probs[:, None], width)[0]
    assert L.greedy_decode(log_probs) == ctc.greedy_decode(log_probs[:, None])[0]


# ---------------------------------------------------------------------------------------
# The data and the reader
# ---------------------------------------------------------------------------------------

def test_the_shipped_digits_and_a_disjoint_split():
    images, digits = handwriting.load_digits()
    assert images.shape == (1797, 8, 8) and images.min() == 0 and images.max() == 1
    assert sorted(set(digits.tolist())) == list(range(10))
    train, test = handwriting.split_images(len(images), seed=0)
    assert len(train) + len(test) == 1797 and not set(train) & set(test)


def test_lines_use_only_their_pool_and_are_seeded():
    images, digits = handwriting.load_digits()
    train, test = handwriting.split_images(len(images), seed=0)
    lines = handwriting.make_lines(images, digits, test, 50, seed=3)
    assert lines.x.shape == (handwriting.DEFAULT_WIDTH, 50, 8)
    assert all(set(used) <= set(test.tolist()) for used in lines.images)
    assert all(3 <= len(t) <= 6 for t in lines.targets)
    assert all(handwriting.text_of(t) == s for t, s in zip(lines.targets, lines.texts))
    b, first = 0, lines.images[0][0]
    start = lines.starts[0][0]
    np.testing.assert_array_equal(lines.x[start:start + 8, b, :], images[first].T)   # column j = step start + j
    again = handwriting.make_lines(images, digits, test, 50, seed=3)
    np.testing.assert_array_equal(lines.x, again.x)
    with pytest.raises(ValueError, match="width"):
        handwriting.make_lines(images, digits, test, 2, width=30)


@pytest.mark.parametrize("cell,bidirectional,conv", [("lstm", True, 4), ("rnn", False, 0), ("gru", True, 0)])
def test_the_reader_passes_a_gradient_check(cell, bidirectional, conv):
    rng = np.random.default_rng(0)
    params = handwriting.init_reader(cell=cell, hidden_size=3, bidirectional=bidirectional, conv_channels=conv)
    x = rng.uniform(0, 1, (10, 2, 8))
    targets = [[1, 2], [3, 3]]

    def loss(flat):
        return float(ctc.loss_and_grad(handwriting.reader_forward(handwriting._unflat(flat, params), x)[0],
                                       targets)[0].sum())

    logits, cache = handwriting.reader_forward(params, x)
    _, dlogits = ctc.loss_and_grad(logits, targets)
    grads = handwriting._flat(handwriting.reader_backward(dlogits, params, cache))
    flat = {k: v.copy() for k, v in handwriting._flat(params).items()}
    errors = gradcheck.gradcheck(loss, flat, grads)
    assert max(errors.values()) < 1e-6, errors


def test_error_rates_count_edits_and_lines():
    assert handwriting.edit_distance([1, 2, 3], [1, 3]) == 1
    assert handwriting.edit_distance([], [4, 4]) == 2
    cer, ler = handwriting.error_rates([[1, 2, 3], [4]], [[1, 3, 3], [4]])
    assert cer == pytest.approx(1 / 4) and ler == pytest.approx(1 / 2)


def test_a_short_training_run_lowers_the_loss():
    images, digits = handwriting.load_digits()
    train, _ = handwriting.split_images(len(images))
    params = handwriting.init_reader(hidden_size=8, conv_channels=4)
    run = handwriting.train_reader(params, images, digits, train, steps=15, batch_size=8)
    assert np.mean(run.losses[-5:]) < run.losses[0] / 2


def test_the_log_space_helpers_keep_float32_and_a_loss_may_be_any_float():
    u = np.random.default_rng(2).normal(size=(4, 3)).astype(np.float32)
    assert ctc.log_softmax(u).dtype == np.float32 and ctc.log_softmax(u.astype(np.float64)).dtype == np.float64
    assert ctc.logsumexp(u[0], u[1], -np.inf).dtype == np.float32
    mine = retyped(L.ctc_loss_grad)
    for cast in (float, np.float64):
        def loss_as(logits, target, blank=0, cast=cast):
            loss, grad = mine(logits, target, blank)
            return cast(loss), grad
        result = check("08.ctc_loss_grad", loss_as)
        assert result.passed, result.message


def test_every_exercise_has_three_or_four_hints():
    assert set(L.HINTS) == set(SOLUTIONS)
    for steps in L.HINTS.values():
        assert 3 <= len(steps) <= 4 and all(isinstance(s, str) and s for s in steps)
