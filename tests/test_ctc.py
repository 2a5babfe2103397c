"""rnn_course.ctc against PyTorch's CTCLoss, finite differences and an exhaustive search over alignments."""

import itertools

import numpy as np
import pytest
import torch

from rnn_course import ctc, gradcheck


def _torch(logits, targets, lengths):
    x = torch.tensor(logits, dtype=torch.float64, requires_grad=True)
    flat = torch.tensor([k for t in targets for k in t], dtype=torch.long)
    loss = torch.nn.CTCLoss(blank=0, reduction="none", zero_infinity=True)(
        torch.log_softmax(x, dim=2), flat, torch.tensor(lengths), torch.tensor([len(t) for t in targets]))
    loss.sum().backward()
    return loss.detach().numpy(), x.grad.numpy()


CASES = {
    "repeats, empty, impossible, varying lengths": (
        12, 5, [[1, 2, 2], [], [3, 3, 3, 3, 3, 3, 3], [1, 2, 3, 4], [4, 4], [2]], [12, 5, 12, 9, 3, 1]),
    "all full length": (9, 4, [[1], [2, 3], [3, 3], [1, 2, 1, 2]], None),
    "target as long as the input": (4, 3, [[1, 2, 1, 2], [1, 1]], [4, 3]),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("scale", [1.0, 3.0])
def test_same_losses_and_gradients_as_pytorch(case, scale):
    T, K, targets, lengths = CASES[case]
    logits = np.random.default_rng(len(case)).normal(0, scale, (T, len(targets), K))
    losses, grads = ctc.loss_and_grad(logits, targets, lengths)
    t_losses, t_grads = _torch(logits, targets, lengths or [T] * len(targets))
    np.testing.assert_allclose(losses, t_losses, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(grads, t_grads, rtol=0, atol=1e-10)


def test_an_impossible_target_gets_zero_loss_and_zero_gradient():
    logits = np.random.default_rng(0).normal(size=(3, 2, 4))
    losses, grads = ctc.loss_and_grad(logits, [[1, 1, 1], [1, 2, 3, 1]], [3, 3])   # need 5 and 4 steps
    assert np.all(losses == 0) and np.all(grads == 0)


def test_logits_of_a_thousand_stay_finite_and_match_pytorch():
    rng = np.random.default_rng(1)
    logits = rng.choice([-1000.0, 1000.0], size=(10, 4, 5)) + rng.normal(size=(10, 4, 5))
    targets, lengths = [[1, 2, 2], [3], [], [4, 1]], [10, 7, 10, 4]
    losses, grads = ctc.loss_and_grad(logits, targets, lengths)
    assert np.all(np.isfinite(losses)) and np.all(np.isfinite(grads))
    t_losses, t_grads = _torch(logits, targets, lengths)
    np.testing.assert_allclose(losses, t_losses, rtol=1e-9)
    np.testing.assert_allclose(grads, t_grads, atol=1e-9)


def test_gradient_is_zero_beyond_each_input_length():
    logits = np.random.default_rng(2).normal(size=(8, 2, 4))
    _, grads = ctc.loss_and_grad(logits, [[1, 2], [3]], [5, 8])
    assert np.all(grads[5:, 0] == 0) and np.any(grads[:5, 0] != 0)


def test_float32_in_float32_out_close_to_float64():
    logits = np.random.default_rng(3).normal(size=(7, 3, 4))
    targets = [[1, 2], [3, 3], []]
    l32, g32 = ctc.loss_and_grad(logits.astype(np.float32), targets)
    l64, g64 = ctc.loss_and_grad(logits, targets)
    assert l32.dtype == np.float32 and g32.dtype == np.float32 and l64.dtype == np.float64
    np.testing.assert_allclose(l32, l64, rtol=1e-5)
    np.testing.assert_allclose(g32, g64, atol=1e-5)


def test_gradient_passes_finite_differences():
    rng = np.random.default_rng(4)
    params = {"logits": rng.normal(size=(6, 3, 4))}
    targets, lengths = [[1, 2, 2], [3], []], [6, 4, 5]

    def loss(p):
        return float(ctc.loss_and_grad(p["logits"], targets, lengths)[0].sum())

    _, grads = ctc.loss_and_grad(params["logits"], targets, lengths)
    assert gradcheck.gradcheck(loss, params, {"logits": grads})["logits"] < 1e-7


def test_a_blank_other_than_zero():
    logits = np.random.default_rng(5).normal(size=(6, 2, 4))
    l3, g3 = ctc.loss_and_grad(logits, [[0, 1], [2, 2]], blank=3)
    moved = logits[..., [3, 0, 1, 2]]                      # the same symbols with the blank first
    l0, g0 = ctc.loss_and_grad(moved, [[1, 2], [3, 3]])
    np.testing.assert_allclose(l3, l0)
    np.testing.assert_allclose(g3[..., [3, 0, 1, 2]], g0)


# ---------------------------------------------------------------------------------------
# Against every alignment, on tiny T and K
# ---------------------------------------------------------------------------------------

def _labellings(log_probs):
    """{labelling: probability} summed over all K^T alignments."""
    T, K = log_probs.shape
    probs = {}
    for path in itertools.product(range(K), repeat=T):
        z = tuple(ctc.collapse(path))
        probs[z] = probs.get(z, 0.0) + np.exp(log_probs[np.arange(T), list(path)].sum())
    return probs


@pytest.mark.parametrize("seed", range(40))
def test_loss_beam_and_greedy_against_an_exhaustive_search(seed):
    rng = np.random.default_rng(seed)
    T, K = int(rng.integers(1, 6)), int(rng.integers(2, 4))
    logits = rng.normal(0, 2, (T, 1, K))
    probs = _labellings(ctc.log_softmax(logits)[:, 0])
    assert np.isclose(sum(probs.values()), 1.0)
    for z, p in probs.items():
        assert np.isclose(ctc.loss_and_grad(logits, [list(z)])[0][0], -np.log(p))
    best = max(probs.values())
    found = tuple(ctc.beam_search(logits, len(probs))[0])
    assert np.isclose(probs[found], best)                   # the most probable labelling
    path = logits[:, 0].argmax(axis=1)
    assert ctc.greedy_decode(logits)[0] == ctc.collapse(path)


def test_summing_over_alignments_beats_the_best_path():
    logits = np.log(np.array([[0.4, 0.35, 0.25], [0.4, 0.35, 0.25]]))[:, None, :]
    assert ctc.greedy_decode(logits) == [[]]                # "- -" is the single best alignment, 0.16
    assert ctc.beam_search(logits, 4) == [[1]]              # "1" sums 0.35^2 + 2 * 0.4 * 0.35 = 0.4025


def test_greedy_decode_collapses_and_respects_lengths():
    path = [0, 3, 3, 0, 3, 1, 1, 0]
    logits = np.full((8, 2, 4), -5.0)
    logits[np.arange(8), 0, path] = 5.0
    logits[np.arange(8), 1, path] = 5.0
    assert ctc.greedy_decode(logits, [8, 4]) == [[3, 3, 1], [3]]


def test_beam_width_one_and_wide_beams_on_a_real_batch():
    logits = np.random.default_rng(6).normal(0, 3, (15, 3, 5))
    one = ctc.beam_search(logits, 1)
    wide = ctc.beam_search(logits, 64)
    for b in range(3):
        lp = ctc.log_softmax(logits[:, b:b + 1])
        assert ctc.loss_and_grad(logits[:, b:b + 1], [wide[b]])[0][0] <= \
            ctc.loss_and_grad(logits[:, b:b + 1], [one[b]])[0][0] + 1e-12
        assert np.all(np.isfinite(lp))


def test_decoders_at_large_logits():
    rng = np.random.default_rng(7)
    logits = np.full((9, 2, 4), -1000.0)
    logits[np.arange(9)[:, None], np.arange(2)[None, :], rng.integers(0, 4, (9, 2))] = 1000.0
    for width in (1, 3, 10):
        assert ctc.beam_search(logits, width) == ctc.greedy_decode(logits)   # one alignment has all the mass


# ---------------------------------------------------------------------------------------
# Errors in the course's words
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("call,words", [
    (lambda: ctc.loss_and_grad(np.zeros((4, 3)), [[1]]), "(T, B, K)"),
    (lambda: ctc.loss_and_grad(np.zeros((4, 2, 3)), [[1]]), "B = 2"),
    (lambda: ctc.loss_and_grad(np.zeros((4, 1, 3)), [[3]]), "targets[0]"),
    (lambda: ctc.loss_and_grad(np.zeros((4, 1, 3)), [[0]]), "other than the blank"),
    (lambda: ctc.loss_and_grad(np.zeros((4, 1, 3)), [[1]], [5]), "between 0 and T = 4"),
    (lambda: ctc.loss_and_grad(np.zeros((4, 2, 3)), [[1], [2]], [4]), "B = 2"),
    (lambda: ctc.loss_and_grad(np.zeros((4, 1, 3)), [[1]], blank=3), "blank"),
    (lambda: ctc.loss_and_grad(np.full((4, 1, 3), np.nan), [[1]]), "NaN"),
    (lambda: ctc.greedy_decode(np.zeros((4, 3)))[0], "got shape (4, 3)"),
    (lambda: ctc.beam_search(np.zeros((4, 1, 3)), 0), "beam_width"),
])
def test_bad_input_gets_a_clear_value_error(call, words):
    with pytest.raises(ValueError) as err:
        call()
    assert words in str(err.value)


def test_the_collapse_rule_merges_then_drops_blanks():
    assert ctc.collapse([0, 3, 3, 0, 3, 7, 7, 0]) == [3, 3, 7]
    assert ctc.collapse([3, 3, 3, 7]) == [3, 7]
    assert ctc.collapse([0, 0]) == []
    assert list(ctc.extend([3, 3, 7])) == [0, 3, 0, 3, 0, 7, 0]
