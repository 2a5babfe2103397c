"""Lesson 6's new rows: the GRU in PyTorch's and Keras's layouts, the ONNX LSTM, and the
hard_sigmoid porting trap, checked like the LSTM rows (each source's own step, round trips, block order)."""

import numpy as np
import pytest
import torch

from rnn_course import gru, interop, lstm

D, H, B, T = 3, 4, 2, 5


def _gru_params(seed=0):
    rng = np.random.default_rng(seed)
    return {"W_x": rng.normal(size=(3 * H, D)), "W_h": rng.normal(size=(3 * H, H)),
            "b_x": rng.normal(size=3 * H), "b_h": rng.normal(size=3 * H)}


def _run_gru(step, x):
    h = np.zeros((x.shape[1], H))
    for x_t in x:
        h = step(x_t, h)
    return h


def test_pytorch_gru_cell_on_exported_weights_matches_the_course_and_round_trips():
    p = _gru_params()
    x = np.random.default_rng(1).normal(size=(T, B, D))
    sd = interop.to_pytorch_gru(p)
    h = _run_gru(lambda x_t, h: interop.pytorch_gru_cell_step(x_t, h, *sd.values()), x)
    np.testing.assert_allclose(h, gru.forward(p, x)[0][-1], rtol=0, atol=1e-12)
    back = interop.from_pytorch_gru(*sd.values())
    assert all(np.array_equal(back[k], p[k]) for k in p)


def test_pytorch_gru_converter_against_torch_itself():
    torch.manual_seed(0)
    cell = torch.nn.GRU(D, H).double()
    sd = {k: v.numpy() for k, v in cell.state_dict().items()}
    p = interop.from_pytorch_gru(sd["weight_ih_l0"], sd["weight_hh_l0"], sd["bias_ih_l0"], sd["bias_hh_l0"])
    x = np.random.default_rng(2).normal(size=(T, B, D))
    with torch.no_grad():
        want = cell(torch.from_numpy(x))[0].numpy()
    np.testing.assert_allclose(gru.forward(p, x)[0], want, rtol=0, atol=1e-12)
    no_bias = interop.from_pytorch_gru(sd["weight_ih_l0"], sd["weight_hh_l0"])
    assert not no_bias["b_x"].any() and not no_bias["b_h"].any()


def test_keras_gru_cell_on_exported_weights_matches_the_course_and_round_trips():
    p = _gru_params(3)
    x = np.random.default_rng(4).normal(size=(T, B, D))
    kernel, recurrent_kernel, bias = interop.to_keras_gru(p)
    assert kernel.shape == (D, 3 * H) and recurrent_kernel.shape == (H, 3 * H) and bias.shape == (2, 3 * H)
    h = _run_gru(lambda x_t, h: interop.keras_gru_cell_step(x_t, h, kernel, recurrent_kernel, bias), x)
    np.testing.assert_allclose(h, gru.forward(p, x)[0][-1], rtol=0, atol=1e-12)
    back = interop.from_keras_gru(kernel, recurrent_kernel, bias)
    assert all(np.array_equal(back[k], p[k]) for k in p)


def test_keras_gru_blocks_are_z_r_h():
    """A Keras kernel whose only non-zero block is its first (z) lands on the course's z rows."""
    kernel = np.zeros((D, 3 * H))
    kernel[:, :H] = 1.0
    p = interop.from_keras_gru(kernel, np.zeros((H, 3 * H)), np.zeros((2, 3 * H)))
    nonzero = np.flatnonzero(np.abs(p["W_x"]).sum(axis=1))
    np.testing.assert_array_equal(nonzero, np.arange(H, 2 * H))          # the course's z block


def test_keras_reset_before_is_refused_with_the_reason():
    with pytest.raises(ValueError, match="reset_after=False applies the reset gate before"):
        interop.from_keras_gru(np.zeros((D, 3 * H)), np.zeros((H, 3 * H)), np.zeros(3 * H), reset_after=False)
    with pytest.raises(ValueError, match=r"Keras GRU bias must be \(2, 3H\).*= \(2, 12\).*got shape \(12,\)"):
        interop.from_keras_gru(np.zeros((D, 3 * H)), np.zeros((H, 3 * H)), np.zeros(3 * H))
    with pytest.raises(ValueError, match="does not divide by 3"):
        interop.from_pytorch_gru(np.zeros((8, D)), np.zeros((8, 2)))
    with pytest.raises(ValueError, match=r"weight_hh must be \(3H, H\) = \(12, 4\).*transpose"):
        interop.from_pytorch_gru(np.zeros((3 * H, D)), np.zeros((H, 3 * H)))


def test_hard_sigmoid_is_the_porting_trap_it_is_said_to_be():
    p = _gru_params(5)
    x = np.random.default_rng(6).normal(size=(T, B, D))
    weights = interop.to_keras_gru(p)
    soft = _run_gru(lambda x_t, h: interop.keras_gru_cell_step(x_t, h, *weights), x)
    hard = _run_gru(lambda x_t, h: interop.keras_gru_cell_step(x_t, h, *weights,
                                                               recurrent_activation=interop.hard_sigmoid), x)
    assert np.abs(hard - soft).max() > 1e-2
    np.testing.assert_allclose(interop.hard_sigmoid(np.array([-10.0, -2.5, 0.0, 1.0, 10.0])),
                               [0.0, 0.0, 0.5, 0.7, 1.0])


def test_onnx_lstm_cell_on_exported_weights_matches_the_course_and_round_trips():
    p = lstm.init_params(D, H, seed=2, forget_bias=1.0)
    p["b"] = np.random.default_rng(7).normal(size=4 * H)
    x = np.random.default_rng(8).normal(size=(T, B, D))
    onnx = interop.to_onnx_lstm(p)
    assert onnx["W"].shape == (1, 4 * H, D) and onnx["R"].shape == (1, 4 * H, H) and onnx["B"].shape == (1, 8 * H)
    h, c = np.zeros((B, H)), np.zeros((B, H))
    for x_t in x:
        h, c = interop.onnx_lstm_cell_step(x_t, h, c, onnx["W"][0], onnx["R"][0], onnx["B"][0])
    np.testing.assert_allclose(h, lstm.forward(p, x)[0][-1], rtol=0, atol=1e-12)
    (back,) = interop.from_onnx_lstm(**onnx)
    assert all(np.array_equal(back[k], p[k]) for k in p)


def test_onnx_blocks_are_i_o_f_c_and_both_biases_are_summed():
    W = np.zeros((2, 4 * H, D))
    W[1, H:2 * H] = 1.0                                  # ONNX's second block: o, in the reverse direction
    Bv = np.zeros((2, 8 * H))
    Bv[0, 2 * H:3 * H] = 0.25                            # Wb for f
    Bv[0, 6 * H:7 * H] = 0.5                             # Rb for f
    fwd, rev = interop.from_onnx_lstm(W, np.zeros((2, 4 * H, H)), Bv)
    np.testing.assert_array_equal(np.flatnonzero(np.abs(rev["W_x"]).sum(axis=1)), np.arange(3 * H, 4 * H))
    np.testing.assert_array_equal(fwd["b"][H:2 * H], 0.75)
    assert not np.delete(fwd["b"], np.s_[H:2 * H]).any()
    both = interop.to_onnx_lstm([fwd, rev])
    assert both["W"].shape == (2, 4 * H, D)
    with pytest.raises(ValueError, match=r"ONNX R must be \[num_directions, 4H, H\]"):
        interop.from_onnx_lstm(W, np.zeros((2, 4 * H, H + 1)))
