"""rnn_course.interop: every layout converts both ways, and each block lands on the right gate.

The layouts below are written out by hand in this file, from each source's own docs or code,
independently of ``interop.ORDERS``: a converter that mis-orders, mis-transposes or drops a
block fails the one-gate tests, whichever gate it is.
"""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rnn_course import interop, lstm
from rnn_course.activations import sigmoid

D, H, B, T = 3, 2, 4, 5          # D != H, so a transposed matrix cannot pass for the right one


def random_params(seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return {"W_x": rng.normal(0, 0.6, (4 * H, D)).astype(dtype), "W_h": rng.normal(0, 0.6, (4 * H, H)).astype(dtype),
            "b": rng.normal(0, 0.6, 4 * H).astype(dtype)}


def inputs(seed=1, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(T, B, D)).astype(dtype), rng.normal(size=(B, H)).astype(dtype),
            rng.normal(size=(B, H)).astype(dtype))


def _dlai_step(x, h, c, w):
    a, c = interop.dlai_cell_step(x.T, h.T, c.T, w)       # deeplearning.ai keeps examples in columns
    return a.T, c.T


# layout -> (to, from, the source's own step in its own layout)
LAYOUTS = {
    "pytorch": (interop.to_pytorch,
                lambda w: interop.from_pytorch(w["weight_ih_l0"], w["weight_hh_l0"], w["bias_ih_l0"],
                                               w["bias_hh_l0"]),
                lambda x, h, c, w: interop.pytorch_cell_step(x, h, c, w["weight_ih_l0"], w["weight_hh_l0"],
                                                             w["bias_ih_l0"], w["bias_hh_l0"])),
    "keras": (interop.to_keras, lambda w: interop.from_keras(*w),
              lambda x, h, c, w: interop.keras_cell_step(x, h, c, *w)),
    "tf1": (lambda p: interop.to_tf1(p, forget_bias=1.0),
            lambda w: interop.from_tf1(w["kernel"], w["bias"], forget_bias=1.0),
            lambda x, h, c, w: interop.tf1_cell_step(x, h, c, w["kernel"], w["bias"], forget_bias=1.0)),
    "cs231n": (interop.to_cs231n, lambda w: interop.from_cs231n(**w),
               lambda x, h, c, w: interop.cs231n_cell_step(x, h, c, w["Wx"], w["Wh"], w["b"])),
    "karpathy": (interop.to_karpathy, interop.from_karpathy, interop.karpathy_cell_step),
    "dlai": (interop.to_dlai, interop.from_dlai, _dlai_step),
    "d2l": (interop.to_d2l, interop.from_d2l, interop.d2l_cell_step),
}


def arrays_of(weights) -> list:
    if isinstance(weights, dict):
        return list(weights.values())
    if isinstance(weights, list):
        return weights
    return [weights]


def run_source(step, weights, x, h, c):
    hs = []
    for t in range(x.shape[0]):
        h, c = step(x[t], h, c, weights)
        hs.append(h)
    return np.stack(hs), c


# --- whole cells ---------------------------------------------------------------------------


@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_sources_own_cell_on_exported_weights_matches_the_course(layout):
    to, _, step = LAYOUTS[layout]
    params = random_params()
    x, h0, c0 = inputs()
    h_course, c_course, _ = lstm.forward(params, x, h0, c0)
    h_source, c_source = run_source(step, to(params), x, h0, c0)
    np.testing.assert_allclose(h_source, h_course, rtol=0, atol=1e-12)
    np.testing.assert_allclose(c_source, c_course[-1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_from_after_to_gives_back_the_course_params(layout):
    to, frm, _ = LAYOUTS[layout]
    params = random_params()
    back = frm(to(params))
    assert set(back) == {"W_x", "W_h", "b"}
    for key in back:
        if layout == "tf1" and key == "b":    # b_f - 1 + 1: one rounding at most
            np.testing.assert_allclose(back[key], params[key], rtol=0, atol=1e-15)
        else:
            assert np.array_equal(back[key], params[key]), key


@settings(max_examples=25, deadline=None)
@given(d=st.integers(1, 5), h=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_every_layout_round_trips_for_any_sizes(d, h, seed):
    rng = np.random.default_rng(seed)
    params = {"W_x": rng.normal(size=(4 * h, d)), "W_h": rng.normal(size=(4 * h, h)), "b": rng.normal(size=4 * h)}
    for layout, (to, frm, _) in LAYOUTS.items():
        back = frm(to(params))
        for key in params:
            np.testing.assert_allclose(back[key], params[key], rtol=0, atol=1e-15, err_msg=f"{layout} {key}")
            if layout != "tf1":
                assert np.array_equal(back[key], params[key]), (layout, key)


def test_tf1_round_trip_is_exact_without_forget_bias():
    params = random_params()
    w = interop.to_tf1(params, forget_bias=0.0)
    back = interop.from_tf1(w["kernel"], w["bias"], forget_bias=0.0)
    assert all(np.array_equal(back[k], params[k]) for k in params)


def test_tf1_round_trip_can_be_one_rounding_off_as_lesson_6_says():
    # to_tf1 stores b_f - 1, from_tf1 adds 1 back: (0.1 - 1) + 1 is not 0.1 in float64
    params = {**random_params(), "b": np.full(4 * H, 0.1)}
    back = interop.from_tf1(**interop.to_tf1(params))["b"]
    assert back[H:2 * H].tolist() == [0.09999999999999998] * H
    np.testing.assert_allclose(back, params["b"], rtol=0, atol=1e-16)
    assert np.array_equal(np.delete(back, np.s_[H:2 * H]), np.delete(params["b"], np.s_[H:2 * H]))


@pytest.mark.parametrize("layout", ["keras", "tf1", "cs231n", "karpathy", "dlai", "d2l"])
def test_to_after_from_gives_back_the_source_weights(layout):
    to, frm, _ = LAYOUTS[layout]
    exported = to(random_params(seed=5))
    rng = np.random.default_rng(7)
    source = [rng.normal(size=np.shape(a)) for a in arrays_of(exported)]   # arbitrary weights, same layout
    if isinstance(exported, dict):
        source = dict(zip(exported, source))
    elif not isinstance(exported, list):
        source = source[0]
    again = to(frm(source))
    for got, want in zip(arrays_of(again), arrays_of(source)):
        if layout == "tf1":
            np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)
        else:
            assert np.array_equal(got, want)


def test_pytorch_keeps_only_the_sum_of_its_two_biases():
    rng = np.random.default_rng(3)
    w_ih, w_hh = rng.normal(size=(4 * H, D)), rng.normal(size=(4 * H, H))
    b_ih, b_hh = rng.normal(size=4 * H), rng.normal(size=4 * H)
    params = interop.from_pytorch(w_ih, w_hh, b_ih, b_hh)
    np.testing.assert_array_equal(params["b"], b_ih + b_hh)
    back = interop.to_pytorch(params)
    assert list(back) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    assert np.array_equal(back["weight_ih_l0"], w_ih) and np.array_equal(back["weight_hh_l0"], w_hh)
    np.testing.assert_array_equal(back["bias_ih_l0"] + back["bias_hh_l0"], b_ih + b_hh)
    no_bias = interop.from_pytorch(w_ih, w_hh)                 # nn.LSTM(..., bias=False)
    assert np.array_equal(no_bias["b"], np.zeros(4 * H))


# --- one gate at a time ----------------------------------------------------------------------

# Each source's block order, in its own letters, as its docs or code state it.
SOURCE_ORDER = {"pytorch": "ifgo", "keras": "ifco", "tf1": "ijfo", "cs231n": "ifog", "karpathy": "ifog"}
OWN_LETTER = {"keras": {"g": "c"}, "tf1": {"g": "j"}}


def place(layout, gate, A, U, c):
    """Weights in ``layout`` whose only non-zero block is ``gate``'s: z_gate = A x + U h + c."""
    if layout in SOURCE_ORDER:
        k = SOURCE_ORDER[layout].index(OWN_LETTER.get(layout, {}).get(gate, gate))
        s = slice(k * H, (k + 1) * H)
    if layout == "pytorch":
        w_ih, w_hh, b_ih, b_hh = np.zeros((4 * H, D)), np.zeros((4 * H, H)), np.zeros(4 * H), np.zeros(4 * H)
        w_ih[s], w_hh[s], b_ih[s], b_hh[s] = A, U, c - 0.25, 0.25       # two biases, summed
        return {"weight_ih_l0": w_ih, "weight_hh_l0": w_hh, "bias_ih_l0": b_ih, "bias_hh_l0": b_hh}
    if layout in ("keras", "cs231n"):
        Wx, Wh, b = np.zeros((D, 4 * H)), np.zeros((H, 4 * H)), np.zeros(4 * H)
        Wx[:, s], Wh[:, s], b[s] = A.T, U.T, c
        return [Wx, Wh, b] if layout == "keras" else {"Wx": Wx, "Wh": Wh, "b": b}
    if layout == "tf1":
        kernel, bias = np.zeros((D + H, 4 * H)), np.zeros(4 * H)
        kernel[:D, s], kernel[D:, s], bias[s] = A.T, U.T, c              # rows: [x, h]
        return {"kernel": kernel, "bias": bias}
    if layout == "karpathy":
        W = np.zeros((1 + D + H, 4 * H))
        W[0, s], W[1:1 + D, s], W[1 + D:, s] = c, A.T, U.T               # rows: [1, x, h]
        return W
    if layout == "dlai":
        names = {"i": "i", "f": "f", "g": "c", "o": "o"}
        w = {}
        for n in names.values():
            w[f"W{n}"], w[f"b{n}"] = np.zeros((H, H + D)), np.zeros((H, 1))
        w[f"W{names[gate]}"] = np.concatenate([U, A], axis=1)           # columns: [a_prev; x]
        w[f"b{names[gate]}"] = c[:, None]
        w["Wy"], w["by"] = np.ones((5, H)), np.ones((5, 1))              # the read-out is ignored
        return w
    if layout == "d2l":
        names = {"i": "i", "f": "f", "g": "c", "o": "o"}
        w = {}
        for n in names.values():
            w[f"W_x{n}"], w[f"W_h{n}"], w[f"b_{n}"] = np.zeros((D, H)), np.zeros((H, H)), np.zeros(H)
        n = names[gate]
        w[f"W_x{n}"], w[f"W_h{n}"], w[f"b_{n}"] = A.T, U.T, c
        return w
    raise AssertionError(layout)


def from_for_one_gate(layout, weights):
    if layout == "tf1":
        return interop.from_tf1(weights["kernel"], weights["bias"], forget_bias=0.0)
    return LAYOUTS[layout][1](weights)


@pytest.mark.parametrize("gate", ["i", "f", "g", "o"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_cell_with_one_gate_block_behaves_as_that_gate_alone(layout, gate):
    rng = np.random.default_rng(11)
    A, U, c = rng.normal(size=(H, D)), rng.normal(size=(H, H)), rng.normal(size=H)
    params = from_for_one_gate(layout, place(layout, gate, A, U, c))

    s = lstm.gate_slices(H)[gate]                 # the block lands in the course's block of that gate ...
    for key in ("W_x", "W_h", "b"):
        outside = np.delete(params[key], np.arange(4 * H)[s], axis=0)
        assert not outside.any(), f"{layout}: {gate}'s {key} leaked into another gate's rows"
    np.testing.assert_allclose(params["W_x"][s], A, rtol=0, atol=1e-15)
    np.testing.assert_allclose(params["W_h"][s], U, rtol=0, atol=1e-15)

    x, h0, c0 = inputs(seed=2)                    # ... and the cell computes what that gate alone does
    z = x[0] @ A.T + h0 @ U.T + c
    value = {"i": 0.5, "f": 0.5, "g": 0.0, "o": 0.5}                  # sigmoid(0), tanh(0)
    value[gate] = np.tanh(z) if gate == "g" else sigmoid(z)
    c1 = value["f"] * c0 + value["i"] * value["g"]
    h1 = value["o"] * np.tanh(c1)
    h, cell, _ = lstm.forward(params, x[:1], h0, c0)
    np.testing.assert_allclose(cell[0], c1, rtol=0, atol=1e-12)
    np.testing.assert_allclose(h[0], h1, rtol=0, atol=1e-12)


def test_tf1_forget_bias_is_folded_into_the_course_bias():
    kernel, bias = np.zeros((D + H, 4 * H)), np.zeros(4 * H)
    params = interop.from_tf1(kernel, bias)                     # default forget_bias=1.0
    f = lstm.gate_slices(H)["f"]
    assert np.array_equal(params["b"][f], np.ones(H))
    assert not np.delete(params["b"], np.arange(4 * H)[f]).any()
    assert np.array_equal(interop.from_tf1(kernel, bias, forget_bias=0.0)["b"], np.zeros(4 * H))
    x, h0, c0 = inputs()
    _, _, cache = lstm.forward(params, x, h0, c0)
    np.testing.assert_allclose(cache["f"], sigmoid(1.0))        # the cell opens its forget gate to 0.73


def test_karpathy_forget_bias_init_of_3_lands_on_the_forget_gate():
    WLSTM = np.zeros((1 + D + H, 4 * H))
    WLSTM[0, H:2 * H] = 3                                        # as his LSTM.init does
    b = interop.from_karpathy(WLSTM)["b"]
    assert np.array_equal(b, np.r_[np.zeros(H), 3 * np.ones(H), np.zeros(2 * H)])


def test_reorder_gates_moves_blocks_and_checks_its_orders():
    a = np.repeat(np.arange(4.0), 2)                            # blocks 0, 1, 2, 3 of size 2
    assert np.array_equal(interop.reorder_gates(a, "cs231n", "course"), np.repeat([0.0, 1, 3, 2], 2))
    assert np.array_equal(interop.reorder_gates(a, "tf1", "karpathy"), np.repeat([0.0, 2, 3, 1], 2))
    with pytest.raises(ValueError, match="each of i, f, g, o once"):
        interop.reorder_gates(a, "iffo", "course")
    with pytest.raises(ValueError, match="does not divide into four"):
        interop.reorder_gates(np.zeros(6), "course", "tf1")


# --- shapes, dtypes, copies -------------------------------------------------------------------

Z = np.zeros
BAD = [
    (lambda: interop.from_keras(Z((D, 7)), Z((H, 4 * H)), Z(4 * H)),
     r"Keras kernel must be \(D, 4H\).*got shape \(3, 7\): its 4H size, 7, does not divide by 4"),
    (lambda: interop.from_keras(Z((D, 4 * H)), Z((4 * H, H)), Z(4 * H)),
     r"Keras recurrent_kernel must be \(H, 4H\) = \(2, 8\).*got shape \(8, 2\)"),
    (lambda: interop.from_keras(Z((D, 4 * H)), Z((H, 4 * H)), Z(7)), r"Keras bias must be \(4H,\).*got shape \(7,\)"),
    (lambda: interop.from_keras(Z((D, 7)), Z((H, 7)), Z(7)), r"its 4H size, 7, does not divide by 4"),
    (lambda: interop.from_pytorch(Z((D, 4 * H)), Z((H, 4 * H))),
     r"PyTorch weight_ih must be \(4H, D\).*got shape \(3, 8\)"),
    (lambda: interop.from_pytorch(Z((4 * H, D)), Z((4 * H, D))),
     r"PyTorch weight_hh must be \(4H, H\) = \(8, 2\).*got shape \(8, 3\)"),
    (lambda: interop.from_cs231n(Z((4 * H, D)), Z((4 * H, H)), Z(4 * H)), r"CS231n Wx must be \(D, 4H\)"),
    (lambda: interop.from_tf1(Z((H, 4 * H)), Z(4 * H)), r"TF1 kernel must be \(D \+ H, 4H\).*got shape \(2, 8\)"),
    (lambda: interop.from_tf1(Z((D + H, 4 * H)), Z(4 * H + 1)), r"TF1 bias must be \(4H,\)"),
    (lambda: interop.from_karpathy(Z((1 + D + H, 7))), r"Karpathy's WLSTM must be \(1 \+ D \+ H, 4H\).*7"),
    (lambda: interop.from_karpathy(Z((1 + H, 4 * H))), r"got shape \(3, 8\): with H = 2 it needs more than 3 rows"),
    (lambda: interop.from_karpathy(Z(4 * H)), r"WLSTM must be a matrix \(1 \+ D \+ H, 4H\).*got shape \(8,\), with 1 "
                                              r"dimension\.$"),
    (lambda: interop.from_karpathy(np.array([["a"]])), r"must be an array of numbers"),
    (lambda: interop.from_dlai({"Wf": Z((H, H + D))}),
     r"deeplearning.ai parameters are missing Wi; expected Wf, bf, Wi"),
    (lambda: interop.from_dlai({**interop.to_dlai(random_params()), "Wo": Z((H, D))}),
     r"^deeplearning.ai Wo must be \(n_a, n_a \+ n_x\) = \(2, 5\) like Wf \(it multiplies concat = \[a_prev; x_t\], "
     r"the hidden state first\); got shape \(2, 3\)\.$"),
    (lambda: interop.from_dlai({**interop.to_dlai(random_params()), "bf": Z((D, 1))}),
     r"deeplearning.ai bf must be \(n_a, 1\) = \(2, 1\), with n_a = 2 from Wf; got shape \(3, 1\)"),
    (lambda: interop.from_tf1(Z((1, 4 * H)), Z(4 * H)),
     r"^TF1 kernel must be \(D \+ H, 4H\), rows for \[x, h\] concatenated and the blocks i, j, f, o side by side; "
     r"got shape \(1, 8\): with H = 2 it needs more than 2 rows\.$"),
    (lambda: interop.from_d2l({**interop.to_d2l(random_params()), "b_o": Z(D)}),
     r"d2l b_o must be \(h,\) = \(2,\), with h = 2 from W_xi; got shape \(3,\)"),
    (lambda: interop.from_d2l({"W_xi": Z((D, H))}), r"d2l parameters must be a dict with keys W_xi, W_hi, b_i"),
    (lambda: interop.to_keras({"W_x": Z((4 * H, D))}), r"course params must be a dict with keys W_x, W_h, b"),
    (lambda: interop.to_pytorch({"W_x": Z((4 * H, D)), "W_h": Z((4 * H, D)), "b": Z(4 * H)}),
     r"the course's W_h must be \(4H, H\)"),
]


@pytest.mark.parametrize("call, message", BAD)
def test_wrong_shapes_raise_a_message_naming_the_layout_and_the_shape(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_messages_have_one_colon_and_the_expected_shape_right_after_the_layout():
    for call, _ in BAD:
        with pytest.raises(ValueError) as err:
            call()
        text = str(err.value)
        assert text.count(": ") <= 1, text                   # no "must be (...): ...: ..."
        assert "dimension(s)" not in text and ", a matrix," not in text, text


# A matrix handed over transposed, with the other arguments right: the error must name the
# transposed matrix and the fix, not blame the next argument with an H made up from the wrong axis.
# D4 = 4 makes the transposed (4H, D) kernel's D divide by 4, the case that used to mislead.
D4 = 4


def transposed_cases(D):
    p = random_params_sized(D, H)
    pt, (k, rk, kb), tf = interop.to_pytorch(p), interop.to_keras(p), interop.to_tf1(p)
    cs, dl, d2 = interop.to_cs231n(p), interop.to_dlai(p), interop.to_d2l(p)
    return [
        ("pytorch", lambda: interop.from_pytorch(pt["weight_ih_l0"].T, pt["weight_hh_l0"]),
         r"PyTorch weight_ih must be \(4H, D\).*looks like the transposed \(D, 4H\) layout of Keras and CS231n; "
         r"pass `weight_ih\.T`"),
        ("pytorch, given Keras's pair", lambda: interop.from_pytorch(k, rk, kb),
         r"PyTorch weight_ih must be .*looks like the transposed \(D, 4H\) layout.*pass `weight_ih\.T`"),
        ("pytorch weight_hh", lambda: interop.from_pytorch(pt["weight_ih_l0"], pt["weight_hh_l0"].T),
         r"PyTorch weight_hh must be \(4H, H\) = \(8, 2\).*its transpose; pass `weight_hh\.T`"),
        ("keras", lambda: interop.from_keras(k.T, rk, kb),
         r"Keras kernel must be \(D, 4H\).*looks like the transposed \(4H, D\) layout of PyTorch and this course; "
         r"pass `kernel\.T`"),
        ("keras recurrent_kernel", lambda: interop.from_keras(k, rk.T, kb),
         r"Keras recurrent_kernel must be \(H, 4H\) = \(2, 8\).*its transpose; pass `recurrent_kernel\.T`"),
        ("tf1", lambda: interop.from_tf1(tf["kernel"].T, tf["bias"]),
         r"TF1 kernel must be \(D \+ H, 4H\).*looks like the transposed \(4H, D \+ H\) layout.*pass `kernel\.T`"),
        ("cs231n", lambda: interop.from_cs231n(cs["Wx"].T, cs["Wh"], cs["b"]),
         r"CS231n Wx must be \(D, 4H\).*looks like the transposed \(4H, D\) layout.*pass `Wx\.T`"),
        ("cs231n Wh", lambda: interop.from_cs231n(cs["Wx"], cs["Wh"].T, cs["b"]),
         r"CS231n Wh must be \(H, 4H\) = \(2, 8\).*pass `Wh\.T`"),
        ("karpathy", lambda: interop.from_karpathy(interop.to_karpathy(p).T),
         r"Karpathy's WLSTM must be \(1 \+ D \+ H, 4H\).*looks like the transposed \(4H, 1 \+ D \+ H\).*"
         r"pass `WLSTM\.T`"),
        ("dlai Wf", lambda: interop.from_dlai({**dl, "Wf": dl["Wf"].T}),
         r"deeplearning.ai Wf must be \(n_a, n_a \+ n_x\).*looks like the transposed.*pass `Wf\.T`"),
        ("dlai Wc", lambda: interop.from_dlai({**dl, "Wc": dl["Wc"].T}),
         r"deeplearning.ai Wc must be \(n_a, n_a \+ n_x\) = \(2, \d\).*its transpose; pass `Wc\.T`"),
        ("d2l W_xi", lambda: interop.from_d2l({**d2, "W_xi": d2["W_xi"].T}),
         r"d2l W_xi must be \(d, h\).*looks like the transposed \(h, d\).*pass `W_xi\.T`"),
        ("d2l W_xo", lambda: interop.from_d2l({**d2, "W_xo": d2["W_xo"].T}),
         r"d2l W_xo must be \(d, h\) = \(\d, 2\) like W_xi.*its transpose; pass `W_xo\.T`"),
        ("course W_x", lambda: interop.to_keras({**p, "W_x": p["W_x"].T}),
         r"the course's W_x must be \(4H, D\).*looks like the transposed \(D, 4H\) layout.*pass `W_x\.T`"),
    ]


def random_params_sized(d, h, seed=0):
    rng = np.random.default_rng(seed)
    return {"W_x": rng.normal(size=(4 * h, d)), "W_h": rng.normal(size=(4 * h, h)), "b": rng.normal(size=4 * h)}


@pytest.mark.parametrize("d", [D, D4])
@pytest.mark.parametrize("case", range(len(transposed_cases(D))))
def test_a_transposed_matrix_is_named_as_such(d, case):
    name, call, message = transposed_cases(d)[case]
    with pytest.raises(ValueError, match=message) as err:
        call()
    assert str(err.value).count(": ") <= 1, name


def test_a_transposed_kernel_with_d_divisible_by_4_no_longer_blames_the_other_argument():
    # the reviewer's three cases, with D = 4 so that the transposed matrix's D divides by 4
    p = random_params_sized(D4, H)
    k, rk, b = interop.to_keras(p)
    with pytest.raises(ValueError, match=r"^PyTorch weight_ih .*got shape \(4, 8\), which looks like the transposed"):
        interop.from_pytorch(k, rk, b)
    with pytest.raises(ValueError, match=r"^Keras kernel .*got shape \(8, 4\), which looks like the transposed"):
        interop.from_keras(k.T, rk, b)
    d2 = interop.to_d2l(random_params_sized(3, 2))
    with pytest.raises(ValueError, match=r"^d2l W_xi .*got shape \(2, 3\), which looks like the transposed"):
        interop.from_d2l({**d2, "W_xi": d2["W_xi"].T})


@pytest.mark.parametrize("layout", LAYOUTS)
def test_square_blocks_that_cannot_tell_their_orientation_are_taken_as_given(layout):
    # D = 4H (or d = h): a transposed matrix has the right shape, so no check can object;
    # the converters must still accept the right matrices of such sizes.
    p = random_params_sized(4 * H if layout != "d2l" else H, H)
    to, frm, _ = LAYOUTS[layout]
    back = frm(to(p))
    for key in p:
        np.testing.assert_allclose(back[key], p[key], rtol=0, atol=1e-15)


@pytest.mark.parametrize("layout", LAYOUTS)
def test_float32_stays_float32(layout):
    to, frm, _ = LAYOUTS[layout]
    params32 = random_params(dtype=np.float32)
    exported = to(params32)
    assert all(a.dtype == np.float32 for a in arrays_of(exported))
    back = frm(exported)
    assert all(a.dtype == np.float32 for a in back.values())
    x, h0, c0 = inputs(dtype=np.float32)
    assert lstm.forward(back, x, h0, c0)[0].dtype == np.float32


@pytest.mark.parametrize("layout", LAYOUTS)
def test_results_are_fresh_copies(layout):
    to, frm, _ = LAYOUTS[layout]
    params = random_params()
    exported = to(params)
    back = frm(exported)
    for out in arrays_of(exported) + list(back.values()):
        for source in list(params.values()) + arrays_of(exported):
            if out is not source:
                assert not np.shares_memory(out, source)


def test_integer_weights_become_float64():
    params = interop.from_karpathy(np.ones((1 + D + H, 4 * H), dtype=int))
    assert all(a.dtype == np.float64 for a in params.values())


def test_interop_imports_no_framework():
    tree = ast.parse(inspect.getsource(interop))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
    assert imported <= {"numpy", "__future__"}, imported
