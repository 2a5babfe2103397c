"""The course's RNN, LSTM and GRU stacks against PyTorch's own modules, weights loaded from a
real state_dict: the same outputs, the same gradients as torch's autograd, and a round trip back."""

import numpy as np
import pytest
import torch

from rnn_course import deep, gru, interop

MODULES = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}
T, B, D, H = 5, 3, 4, 6


def _module(cell, *, seed=0, num_layers=2, bidirectional=True, bias=True, dtype=torch.float64):
    torch.manual_seed(seed)
    return MODULES[cell](D, H, num_layers=num_layers, bidirectional=bidirectional, bias=bias).to(dtype)


@pytest.mark.parametrize("cell", list(MODULES))
@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, True), (3, True)])
def test_same_outputs_and_gradients_as_torch(cell, num_layers, bidirectional):
    m = _module(cell, num_layers=num_layers, bidirectional=bidirectional)
    layers = interop.from_pytorch_state_dict(m.state_dict(), cell)
    assert len(layers) == num_layers and all(len(layer) == 1 + bidirectional for layer in layers)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(T, B, D))
    w = rng.normal(size=(T, B, (1 + bidirectional) * H))

    tx = torch.tensor(x, requires_grad=True)
    t_out, _ = m(tx)
    (t_out * torch.tensor(w)).sum().backward()
    out, cache = deep.forward(layers, x, cell=cell)
    np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=0, atol=1e-12)

    dx, grads = deep.backward(w, cache)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=0, atol=1e-12)
    named = interop.to_pytorch_state_dict(grads, cell, gradients=True)
    torch_grads = {name: p.grad.numpy() for name, p in m.named_parameters()}
    assert set(named) == set(torch_grads)
    for name, g in torch_grads.items():
        np.testing.assert_allclose(named[name], g, rtol=0, atol=1e-11, err_msg=name)


@pytest.mark.parametrize("cell", list(MODULES))
def test_round_trip_loads_back_into_the_torch_module(cell):
    source = _module(cell, seed=1)
    layers = interop.from_pytorch_state_dict(source.state_dict(), cell)
    target = _module(cell, seed=2)                       # other weights until loaded
    back = interop.to_pytorch_state_dict(layers, cell)
    target.load_state_dict({k: torch.from_numpy(v) for k, v in back.items()})   # strict: every name matches
    x = torch.tensor(np.random.default_rng(3).normal(size=(T, B, D)))
    with torch.no_grad():
        np.testing.assert_allclose(target(x)[0].numpy(), source(x)[0].numpy(), rtol=0, atol=1e-12)
    if cell == "gru":        # the GRU keeps both biases: the state_dict comes back exactly
        for k, v in source.state_dict().items():
            np.testing.assert_array_equal(back[k], v.numpy())
    else:                    # the merged bias goes into bias_ih, zeros into bias_hh
        sd = source.state_dict()
        np.testing.assert_allclose(back["bias_ih_l1_reverse"], (sd["bias_ih_l1_reverse"] + sd["bias_hh_l1_reverse"]))
        np.testing.assert_array_equal(back["bias_hh_l0"], 0.0)


@pytest.mark.parametrize("cell", list(MODULES))
def test_float32_module_and_no_bias(cell):
    m = _module(cell, dtype=torch.float32, bias=False)
    layers = interop.from_pytorch_state_dict(m.state_dict(), cell)
    assert layers[0]["forward"]["W_x" if cell != "rnn" else "W_xh"].dtype == np.float32
    x = np.random.default_rng(4).normal(size=(T, B, D)).astype(np.float32)
    out, _ = deep.forward(layers, x, cell=cell)
    assert out.dtype == np.float32
    with torch.no_grad():
        np.testing.assert_allclose(out, m(torch.from_numpy(x))[0].numpy(), atol=1e-5)


def test_gru_init_matches_torchs_range_and_one_layer_gru_matches_nn_gru():
    m = torch.nn.GRU(D, H).double()
    sd = m.state_dict()
    p = {"W_x": sd["weight_ih_l0"].numpy(), "W_h": sd["weight_hh_l0"].numpy(),
         "b_x": sd["bias_ih_l0"].numpy(), "b_h": sd["bias_hh_l0"].numpy()}
    x = np.random.default_rng(5).normal(size=(T, B, D))
    h0 = np.random.default_rng(6).normal(size=(B, H))
    with torch.no_grad():
        t_out, t_hn = m(torch.tensor(x), torch.tensor(h0)[None])
    h, _ = gru.forward(p, x, h0)
    np.testing.assert_allclose(h, t_out.numpy(), rtol=0, atol=1e-13)
    ours = gru.init_params(D, H)
    assert all(np.abs(ours[k]).max() <= 1 / np.sqrt(H) for k in ours)
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in p.items()}


def test_bad_state_dicts_are_clear_value_errors():
    sd = _module("lstm").state_dict()
    with pytest.raises(ValueError, match="cell must be one of"):
        interop.from_pytorch_state_dict(sd, "LSTM")
    with pytest.raises(ValueError, match=r"weight_hh_l0 of nn.GRU must be \(3H, H\); got shape \(24, 6\)"):
        interop.from_pytorch_state_dict(sd, "gru")
    with pytest.raises(ValueError, match="must have weight_ih_l0"):
        interop.from_pytorch_state_dict({"kernel": np.zeros(3)}, "lstm")
    proj = torch.nn.LSTM(D, H, proj_size=2).state_dict()
    with pytest.raises(ValueError, match="proj_size"):
        interop.from_pytorch_state_dict(proj, "lstm")
    broken = dict(sd)
    del broken["weight_hh_l1_reverse"]
    with pytest.raises(ValueError, match="has weight_ih_l1 but not weight_hh_l1_reverse"):
        interop.from_pytorch_state_dict(broken, "lstm")
