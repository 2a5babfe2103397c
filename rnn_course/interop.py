"""LSTM weights in other people's layouts: convert them to and from this course's ``params``.

Plain NumPy arrays in and out; no framework is imported or needed. Every source computes the
same cell (lesson 4's equations); they differ only in how the weights are stored:

=============================  ===========================================  ==================
source                         weights (biases)                             block order
=============================  ===========================================  ==================
this course, ``lstm``          W_x (4H, D), W_h (4H, H) (b (4H,))           i, f, g, o
PyTorch ``nn.LSTM``            weight_ih_l0 (4H, D), weight_hh_l0 (4H, H)   i, f, g, o
                               (bias_ih_l0 + bias_hh_l0, only ever summed)
Keras 3 ``LSTM``               kernel (D, 4H), recurrent_kernel (H, 4H)     i, f, c, o
                               (bias (4H,))
TensorFlow 1 ``LSTMCell``      kernel (D + H, 4H) over [x, h] (bias (4H,),  i, j, f, o
                               plus forget_bias added inside the step)
CS231n assignment 3            Wx (D, 4H), Wh (H, 4H) (b (4H,))             i, f, o, g
Karpathy's ``lstm.py``         WLSTM (1 + D + H, 4H) over [1, x, h]         i, f, o, g
                               (row 0 is the bias)
deeplearning.ai                Wf, Wi, Wc, Wo (n_a, n_a + n_x) over         one matrix a gate
                               [a_prev; x_t] (bf, bi, bc, bo (n_a, 1))
d2l                            W_x* (d, h), W_h* (h, h) (b_* (h,))          one matrix a gate
ONNX ``LSTM`` operator         W [dirs, 4H, D], R [dirs, 4H, H]             i, o, f, c
                               (B [dirs, 8H]: input, then recurrent biases)
=============================  ===========================================  ==================

The GRU (:mod:`rnn_course.gru`: W_x (3H, D), W_h (3H, H), b_x, b_h (3H,), blocks r, z, n) has
converters for PyTorch's ``nn.GRU`` (the same layout) and Keras 3's ``GRU`` (kernel (D, 3H),
recurrent_kernel (H, 3H), bias (2, 3H) with ``reset_after=True``, blocks z, r, h), and
:func:`from_pytorch_state_dict` / :func:`to_pytorch_state_dict` carry whole stacked,
bidirectional ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` modules.

Keras's ``c``, TF1's ``j``, deeplearning.ai's ``Wc`` and d2l's ``W_xc`` are the course's
candidate ``g``. Each ``from_<source>`` returns the course's ``{"W_x", "W_h", "b"}`` ready for
:func:`rnn_course.lstm.forward`; each ``to_<source>`` goes back. Arrays are always fresh copies.
float32 in gives float32 out; anything else becomes float64.

The ``<source>_cell_step`` functions are each source's own step equations written in its own
layout, from its documentation or code, so a converter can be checked without the framework.
"""

from __future__ import annotations

import numpy as np

from .activations import sigmoid
from .lstm import GATES, gate_slices

#: The order of the four blocks along each source's 4H axis, in the course's gate letters
#: (i input, f forget, g candidate, o output).
ORDERS = {
    "course": ("i", "f", "g", "o"),
    "pytorch": ("i", "f", "g", "o"),
    "keras": ("i", "f", "g", "o"),      # Keras names the candidate block c
    "tf1": ("i", "g", "f", "o"),        # TF1 names it j: i, j, f, o
    "cs231n": ("i", "f", "o", "g"),
    "karpathy": ("i", "f", "o", "g"),   # his IFOG
    "onnx": ("i", "o", "f", "g"),       # ONNX names the candidate c: i, o, f, c
}


# --- checking what comes in --------------------------------------------------------------


def _arrays(named: dict) -> dict:
    """Every value as a float array of one shared dtype: float32 if all are float32, else float64."""
    arrays = {}
    for name, value in named.items():
        arr = np.asarray(value)
        if arr.dtype.kind not in "fiu":
            raise ValueError(f"{name} must be an array of numbers; got dtype {arr.dtype}.")
        arrays[name] = arr
    dtype = np.float32 if all(a.dtype == np.float32 for a in arrays.values()) else np.float64
    return {name: a.astype(dtype, copy=False) for name, a in arrays.items()}


def _fail(label: str, expected: str, arr: np.ndarray, why: str = "") -> None:
    """Raise "<label> must be <expected>; got shape <shape><why>." (``why`` brings its own
    leading punctuation)."""
    raise ValueError(f"{label} must be {expected}; got shape {tuple(arr.shape)}{why}.")


def _matrix(arr: np.ndarray, label: str, layout: str) -> None:
    if arr.ndim != 2:
        _fail(label, f"a matrix {layout}", arr, f", with {arr.ndim} dimension{'' if arr.ndim == 1 else 's'}")


def _hidden_from(arr: np.ndarray, axis: int, label: str, layout: str, *, name: str, transposed: str,
                 fits=None, fits_transposed=None) -> int:
    """H from the length of ``arr``'s stacked 4H axis, which must be a positive multiple of 4.

    ``fits(H, m)`` says whether ``m`` (``arr`` as given) and the other arguments agree on
    that H. When they do not, but ``arr``'s transpose would (``fits_transposed(H, arr.T)``,
    by default ``fits``), the error says that ``arr`` looks transposed, in the
    ``transposed`` layout, instead of blaming the next argument with a made-up H. When
    ``arr`` does not say which way round it is (both readings fit), it is taken as given.
    """
    _matrix(arr, label, layout)
    fits = fits or (lambda H, m: True)
    fits_transposed = fits_transposed or fits
    four_h = arr.shape[axis]
    divides = four_h > 0 and four_h % 4 == 0
    if divides and fits(four_h // 4, arr):
        return four_h // 4
    other = arr.shape[1 - axis]
    if other > 0 and other % 4 == 0 and fits_transposed(other // 4, arr.T):
        _fail(label, layout, arr, f", which looks like the transposed {transposed}; pass `{name}.T`")
    if not divides:
        _fail(label, layout, arr, f": its 4H size, {four_h}, does not divide by 4 into the four gate blocks")
    return four_h // 4            # consistent with nothing else: the next check names what disagrees


def _partner(recurrent: np.ndarray, *, rows: bool) -> dict:
    """``fits``/``fits_transposed`` for :func:`_hidden_from` when the input weight's H must agree
    with a recurrent weight stored (4H, H) (``rows``) or (H, 4H): as given it must match that
    layout; read transposed, either way round will do (the next check names a transposed one)."""
    expected = (lambda H: (4 * H, H)) if rows else (lambda H: (H, 4 * H))
    return {"fits": lambda H, m: recurrent.shape == expected(H),
            "fits_transposed": lambda H, m: recurrent.shape in ((4 * H, H), (H, 4 * H))}


def _expect(arr: np.ndarray, shape: tuple, label: str, layout: str, meaning: str, name: str = "") -> None:
    """``arr`` must have exactly ``shape``; ``meaning`` (with its own leading punctuation)
    says where the sizes came from. A transposed matrix is named as such."""
    if arr.shape != shape:
        flipped = arr.ndim == 2 and arr.shape[::-1] == shape and name
        _fail(label, f"{layout} = {shape}{meaning}", arr,
              f", its transpose; pass `{name}.T`" if flipped else "")


def _bias(b, H: int, label: str, layout: str) -> np.ndarray:
    if b.shape not in ((4 * H,), (4 * H, 1)):
        _fail(label, f"{layout} = ({4 * H},), with H = {H} from the weights", b)
    return b.reshape(4 * H)


def _sizes(b) -> tuple:
    """The 4H a bias vector implies, as a 1-tuple (or () for a bias of another shape)."""
    return (b.shape[0],) if b.ndim == 1 or (b.ndim == 2 and b.shape[1] == 1) else ()


#: What a matrix stored as (4H, n) looks like to a source that stores (n, 4H), and back.
_AS_ROWS = "(4H, D) layout of PyTorch and this course"
_AS_COLUMNS = "(D, 4H) layout of Keras and CS231n"


def reorder_gates(a, source, target, axis: int = 0) -> np.ndarray:
    """Restack the four gate blocks of ``a`` along ``axis`` from ``source`` order to ``target`` order.

    Orders are names from :data:`ORDERS` or sequences of gate letters, e.g. ``"ifog"``.
    ``reorder_gates(Wx, "cs231n", "course", axis=1)`` moves CS231n's i, f, o, g columns into
    i, f, g, o. Returns a new array.
    """
    src = ORDERS[source] if source in ORDERS else tuple(source)
    dst = ORDERS[target] if target in ORDERS else tuple(target)
    if sorted(src) != sorted(GATES) or sorted(dst) != sorted(GATES):
        raise ValueError(f"an order must name each of i, f, g, o once; got {src!r} and {dst!r}.")
    a = np.asarray(a)
    if a.shape[axis] % 4:
        raise ValueError(f"axis {axis} of an array of shape {a.shape} does not divide into four gate blocks.")
    blocks = dict(zip(src, np.split(a, 4, axis=axis)))
    return np.concatenate([blocks[g] for g in dst], axis=axis)


def _params(W_x, W_h, b) -> dict:
    return {"W_x": np.ascontiguousarray(W_x).copy(), "W_h": np.ascontiguousarray(W_h).copy(),
            "b": np.ascontiguousarray(b).copy()}


def _course(params: dict) -> tuple:
    """The course's W_x (4H, D), W_h (4H, H), b (4H,), checked, in their own dtype."""
    if not isinstance(params, dict) or not all(k in params for k in ("W_x", "W_h", "b")):
        got = ", ".join(sorted(params)) if isinstance(params, dict) else type(params).__name__
        raise ValueError(f"course params must be a dict with keys W_x, W_h, b; got {got}.")
    a = _arrays({"W_x": params["W_x"], "W_h": params["W_h"], "b": params["b"]})
    W_x, W_h, b = a["W_x"], a["W_h"], a["b"]
    H = _hidden_from(W_x, 0, "the course's W_x", "(4H, D), the blocks i, f, g, o stacked in rows", name="W_x",
                     transposed=_AS_COLUMNS, **_partner(W_h, rows=True))
    _expect(W_h, (4 * H, H), "the course's W_h", "(4H, H)", f", with H = {H} from W_x", "W_h")
    _expect(b, (4 * H,), "the course's b", "(4H,)", f", with H = {H} from W_x")
    return W_x, W_h, b


# --- PyTorch ------------------------------------------------------------------------------

_PT_IH = "(4H, D), the blocks i, f, g, o stacked in rows"


def from_pytorch(weight_ih, weight_hh, bias_ih=None, bias_hh=None) -> dict:
    """PyTorch ``nn.LSTM`` layer 0 (or ``nn.LSTMCell``) -> course params.

    Same layout and order as the course; the two biases only ever appear summed, so
    ``b = bias_ih + bias_hh`` (``None`` for a layer built with ``bias=False``).
    """
    given = {"bias_ih": bias_ih, "bias_hh": bias_hh}
    a = _arrays({"weight_ih": weight_ih, "weight_hh": weight_hh,
                 **{name: v for name, v in given.items() if v is not None}})
    hh = a["weight_hh"]
    H = _hidden_from(a["weight_ih"], 0, "PyTorch weight_ih", _PT_IH, name="weight_ih", transposed=_AS_COLUMNS,
                     **_partner(hh, rows=True))
    _expect(hh, (4 * H, H), "PyTorch weight_hh", "(4H, H)", f", with H = {H} from weight_ih", "weight_hh")
    b = np.zeros(4 * H, a["weight_ih"].dtype)
    for name in given:
        if name in a:
            b = b + _bias(a[name], H, f"PyTorch {name}", "(4H,)")
    return _params(a["weight_ih"], a["weight_hh"], b)


def to_pytorch(params: dict) -> dict:
    """Course params -> a dict keyed like ``nn.LSTM(D, H).state_dict()`` (one layer).

    The whole bias goes into ``bias_ih_l0`` and ``bias_hh_l0`` is zeros: only their sum matters.
    """
    W_x, W_h, b = _course(params)
    return {"weight_ih_l0": W_x.copy(), "weight_hh_l0": W_h.copy(), "bias_ih_l0": b.copy(),
            "bias_hh_l0": np.zeros_like(b)}


def pytorch_cell_step(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh):
    """One step as the ``nn.LSTM`` docs write it; x (B, D), h and c (B, H) -> (h, c)."""
    z = x @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh
    i, f, g, o = np.split(z, 4, axis=1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c


# --- Keras 3 --------------------------------------------------------------------------------

_KERAS_K = "(D, 4H), inputs along the rows and the blocks i, f, c, o side by side"


def from_keras(kernel, recurrent_kernel, bias=None) -> dict:
    """Keras ``LSTM`` / ``LSTMCell`` weights (``layer.get_weights()``) -> course params.

    Keras multiplies from the right (``x @ kernel``), so its matrices are the course's
    transposed; its order i, f, c, o is the course's i, f, g, o. ``unit_forget_bias=True``
    only sets the forget block of the stored bias to 1 when the layer is built: nothing to fold.
    """
    a = _arrays({"kernel": kernel, "recurrent_kernel": recurrent_kernel, **({} if bias is None else {"bias": bias})})
    rk = a["recurrent_kernel"]
    H = _hidden_from(a["kernel"], 1, "Keras kernel", _KERAS_K, name="kernel", transposed=_AS_ROWS,
                     **_partner(rk, rows=False))
    _expect(rk, (H, 4 * H), "Keras recurrent_kernel", "(H, 4H)", f", with H = {H} from kernel", "recurrent_kernel")
    b = _bias(a["bias"], H, "Keras bias", "(4H,)") if "bias" in a else np.zeros(4 * H, a["kernel"].dtype)
    return _params(a["kernel"].T, a["recurrent_kernel"].T, b)


def to_keras(params: dict) -> list:
    """Course params -> ``[kernel (D, 4H), recurrent_kernel (H, 4H), bias (4H,)]``, the list
    ``layer.get_weights()`` returns and ``layer.set_weights()`` takes."""
    W_x, W_h, b = _course(params)
    return [W_x.T.copy(), W_h.T.copy(), b.copy()]


def keras_cell_step(x, h, c, kernel, recurrent_kernel, bias):
    """One step as Keras's ``LSTMCell.call`` computes it (default activations)."""
    z = x @ kernel + h @ recurrent_kernel + bias
    z_i, z_f, z_c, z_o = np.split(z, 4, axis=1)
    c = sigmoid(z_f) * c + sigmoid(z_i) * np.tanh(z_c)
    return sigmoid(z_o) * np.tanh(c), c


# --- TensorFlow 1 ---------------------------------------------------------------------------

_TF1_K = "(D + H, 4H), rows for [x, h] concatenated and the blocks i, j, f, o side by side"


def from_tf1(kernel, bias, forget_bias: float = 1.0) -> dict:
    """TensorFlow 1 ``tf.nn.rnn_cell.LSTMCell`` (no peepholes, no projection) -> course params.

    One kernel multiplies ``[x, h]``: its first D rows are the course's ``W_x``, its last H
    rows ``W_h`` (transposed). Its order i, j, f, o is the course's i, g, f, o. TF1 adds
    ``forget_bias`` (default 1.0) to the forget block inside every step instead of storing it,
    so it is folded into ``b`` here: pass the value the cell was built with.
    """
    a = _arrays({"kernel": kernel, "bias": bias})
    four_h = _sizes(a["bias"])
    H = _hidden_from(a["kernel"], 1, "TF1 kernel", _TF1_K, name="kernel",
                     transposed="(4H, D + H) layout, the blocks stacked in rows",
                     fits=lambda H, m: m.shape[0] > H and four_h == (4 * H,))
    D = a["kernel"].shape[0] - H
    if D < 1:
        _fail("TF1 kernel", _TF1_K, a["kernel"], f": with H = {H} it needs more than {H} rows")
    b = _bias(a["bias"], H, "TF1 bias", "(4H,)").copy()
    k = reorder_gates(a["kernel"], "tf1", "course", axis=1)
    b = reorder_gates(b, "tf1", "course")
    b[gate_slices(H)["f"]] += np.asarray(forget_bias, b.dtype)
    return _params(k[:D].T, k[D:].T, b)


def to_tf1(params: dict, forget_bias: float = 1.0) -> dict:
    """Course params -> ``{"kernel": (D + H, 4H), "bias": (4H,)}`` for an ``LSTMCell`` built with
    ``forget_bias``, which is taken out of the stored forget bias (the cell adds it back)."""
    W_x, W_h, b = _course(params)
    H = W_h.shape[1]
    b = b.copy()
    b[gate_slices(H)["f"]] -= np.asarray(forget_bias, b.dtype)
    kernel = np.concatenate([W_x.T, W_h.T], axis=0)
    return {"kernel": reorder_gates(kernel, "course", "tf1", axis=1), "bias": reorder_gates(b, "course", "tf1")}


def tf1_cell_step(x, h, c, kernel, bias, forget_bias: float = 1.0):
    """One step as TF1's ``LSTMCell.call`` computes it (``m`` is its name for h)."""
    lstm_matrix = np.concatenate([x, h], axis=1) @ kernel + bias
    i, j, f, o = np.split(lstm_matrix, 4, axis=1)
    c = sigmoid(f + forget_bias) * c + sigmoid(i) * np.tanh(j)
    return sigmoid(o) * np.tanh(c), c


# --- CS231n ---------------------------------------------------------------------------------

_CS_WX = "(D, 4H), inputs along the rows and the blocks i, f, o, g side by side"


def from_cs231n(Wx, Wh, b) -> dict:
    """CS231n assignment 3 (``lstm_step_forward``) -> course params: transpose, and move the
    candidate block from last (i, f, o, g) to third (i, f, g, o)."""
    a = _arrays({"Wx": Wx, "Wh": Wh, "b": b})
    Wh = a["Wh"]
    H = _hidden_from(a["Wx"], 1, "CS231n Wx", _CS_WX, name="Wx", transposed=_AS_ROWS, **_partner(Wh, rows=False))
    _expect(Wh, (H, 4 * H), "CS231n Wh", "(H, 4H)", f", with H = {H} from Wx", "Wh")
    bias = _bias(a["b"], H, "CS231n b", "(4H,)")
    return _params(reorder_gates(a["Wx"].T, "cs231n", "course"), reorder_gates(a["Wh"].T, "cs231n", "course"),
                   reorder_gates(bias, "cs231n", "course"))


def to_cs231n(params: dict) -> dict:
    """Course params -> ``{"Wx": (D, 4H), "Wh": (H, 4H), "b": (4H,)}`` in CS231n's i, f, o, g."""
    W_x, W_h, b = _course(params)
    return {"Wx": reorder_gates(W_x, "course", "cs231n").T.copy(),
            "Wh": reorder_gates(W_h, "course", "cs231n").T.copy(),
            "b": reorder_gates(b, "course", "cs231n")}


def cs231n_cell_step(x, prev_h, prev_c, Wx, Wh, b):
    """One step as the CS231n assignment defines it: a = x Wx + h Wh + b, split a_i, a_f, a_o, a_g."""
    a = x @ Wx + prev_h @ Wh + b
    a_i, a_f, a_o, a_g = np.split(a, 4, axis=1)
    next_c = sigmoid(a_f) * prev_c + sigmoid(a_i) * np.tanh(a_g)
    return sigmoid(a_o) * np.tanh(next_c), next_c


# --- Karpathy's batched lstm.py -------------------------------------------------------------

_KARPATHY = "(1 + D + H, 4H), row 0 the bias, then D rows for x and H rows for h, the blocks i, f, o, g side by side"


def from_karpathy(WLSTM) -> dict:
    """Karpathy's ``lstm.py`` ``WLSTM`` -> course params. His input row is ``[1, x, h]``, so
    row 0 is the bias; the blocks run i, f, o, g (his IFOG). His ``fancy_forget_bias_init``
    (3 by default) is stored in row 0, so nothing needs folding."""
    W = _arrays({"WLSTM": WLSTM})["WLSTM"]
    H = _hidden_from(W, 1, "Karpathy's WLSTM", _KARPATHY, name="WLSTM",
                     transposed="(4H, 1 + D + H) layout, the blocks stacked in rows",
                     fits=lambda H, m: m.shape[0] >= H + 2)
    D = W.shape[0] - 1 - H
    if D < 1:
        _fail("Karpathy's WLSTM", _KARPATHY, W, f": with H = {H} it needs more than {H + 1} rows")
    W = reorder_gates(W, "karpathy", "course", axis=1)
    return _params(W[1:1 + D].T, W[1 + D:].T, W[0])


def to_karpathy(params: dict) -> np.ndarray:
    """Course params -> ``WLSTM (1 + D + H, 4H)``."""
    W_x, W_h, b = _course(params)
    W = np.concatenate([b[None, :], W_x.T, W_h.T], axis=0)
    return reorder_gates(W, "course", "karpathy", axis=1)


def karpathy_cell_step(x, h, c, WLSTM):
    """One step of Karpathy's ``LSTM.forward``: Hin = [1, x, h], IFOG = Hin WLSTM,
    sigmoid on the first 3H columns, tanh on the last H."""
    d = WLSTM.shape[1] // 4
    Hin = np.concatenate([np.ones((x.shape[0], 1), x.dtype), x, h], axis=1)
    IFOG = Hin @ WLSTM
    IFOGf = np.concatenate([sigmoid(IFOG[:, :3 * d]), np.tanh(IFOG[:, 3 * d:])], axis=1)
    C = IFOGf[:, :d] * IFOGf[:, 3 * d:] + IFOGf[:, d:2 * d] * c
    return IFOGf[:, 2 * d:3 * d] * np.tanh(C), C


# --- deeplearning.ai (Sequence Models, "Building a Recurrent Neural Network Step by Step") ---

_DLAI = "(n_a, n_a + n_x)"
_DLAI_WHY = "(it multiplies concat = [a_prev; x_t], the hidden state first)"
_DLAI_GATES = (("i", "Wi", "bi"), ("f", "Wf", "bf"), ("g", "Wc", "bc"), ("o", "Wo", "bo"))


def from_dlai(parameters: dict) -> dict:
    """deeplearning.ai's ``parameters`` dict (``Wf, bf, Wi, bi, Wc, bc, Wo, bo``; any ``Wy``,
    ``by`` are ignored; older versions spell ``Wi, bi`` as ``Wu, bu``) -> course params.

    Each gate has its own matrix over the column ``[a_prev; x_t]``: its first n_a columns
    multiply the hidden state ``a`` (the course's ``W_h`` block), the rest multiply x.
    """
    if not isinstance(parameters, dict):
        raise ValueError(f"deeplearning.ai parameters must be a dict; got {type(parameters).__name__}.")
    names = {"Wi": "Wu", "bi": "bu"}
    found = {}
    for _, W_name, b_name in _DLAI_GATES:
        for name in (W_name, b_name):
            key = name if name in parameters else names.get(name, name)
            if key not in parameters:
                raise ValueError(f"deeplearning.ai parameters are missing {name}; expected Wf, bf, Wi, bi, "
                                 f"Wc, bc, Wo, bo; got {', '.join(sorted(parameters)) or 'none'}.")
            found[name] = parameters[key]
    a = _arrays(found)
    Wf, bf = a["Wf"], a["bf"]
    _matrix(Wf, "deeplearning.ai Wf", f"{_DLAI} {_DLAI_WHY}")
    if Wf.shape[1] <= Wf.shape[0] or Wf.shape[0] == 0:
        flipped = Wf.shape[1] > 0 and Wf.shape[0] > Wf.shape[1] and bf.shape in ((Wf.shape[1], 1), (Wf.shape[1],))
        _fail("deeplearning.ai Wf", f"{_DLAI} {_DLAI_WHY}", Wf,
              ", which looks like the transposed (n_a + n_x, n_a) layout; pass `Wf.T`" if flipped else
              ": it needs more columns than rows")
    n_a, n_x = Wf.shape[0], Wf.shape[1] - Wf.shape[0]
    for _, W_name, b_name in _DLAI_GATES:
        _expect(a[W_name], (n_a, n_a + n_x), f"deeplearning.ai {W_name}", _DLAI, f" like Wf {_DLAI_WHY}", W_name)
        if a[b_name].shape not in ((n_a, 1), (n_a,)):
            _fail(f"deeplearning.ai {b_name}", f"(n_a, 1) = ({n_a}, 1), with n_a = {n_a} from Wf", a[b_name])
    W_x = np.concatenate([a[W][:, n_a:] for _, W, _ in _DLAI_GATES], axis=0)
    W_h = np.concatenate([a[W][:, :n_a] for _, W, _ in _DLAI_GATES], axis=0)
    b = np.concatenate([a[bn].reshape(n_a) for _, _, bn in _DLAI_GATES])
    return _params(W_x, W_h, b)


def to_dlai(params: dict) -> dict:
    """Course params -> ``{"Wf", "bf", "Wi", "bi", "Wc", "bc", "Wo", "bo"}``, weights
    (n_a, n_a + n_x) over ``[a_prev; x_t]`` and biases (n_a, 1)."""
    W_x, W_h, b = _course(params)
    H = W_h.shape[1]
    out = {}
    for gate, W_name, b_name in _DLAI_GATES:
        s = gate_slices(H)[gate]
        out[W_name] = np.concatenate([W_h[s], W_x[s]], axis=1)
        out[b_name] = b[s].reshape(H, 1).copy()
    return out


def dlai_cell_step(xt, a_prev, c_prev, parameters):
    """One step of deeplearning.ai's ``lstm_cell_forward`` (without the prediction ``yt``).

    Column layout: xt (n_x, m), a_prev and c_prev (n_a, m) -> (a_next, c_next).
    """
    p = parameters
    concat = np.concatenate([a_prev, xt], axis=0)
    ft = sigmoid(p["Wf"] @ concat + p["bf"])
    it = sigmoid(p["Wi"] @ concat + p["bi"])
    cct = np.tanh(p["Wc"] @ concat + p["bc"])
    c_next = ft * c_prev + it * cct
    ot = sigmoid(p["Wo"] @ concat + p["bo"])
    return ot * np.tanh(c_next), c_next


# --- d2l ("Dive into Deep Learning", LSTM from scratch) -------------------------------------

_D2L_GATES = (("i", "i"), ("f", "f"), ("g", "c"), ("o", "o"))
_D2L_X = "(d, h), multiplied from the right as X @ W_xi"


def from_d2l(params: dict) -> dict:
    """d2l's ``LSTMScratch`` weights as a dict (``W_xi, W_hi, b_i``, ... ``W_xc, W_hc, b_c``)
    -> course params. d2l multiplies from the right (``X @ W_xi``, X (n, d)), so each
    ``W_x*`` (d, h) is the transpose of the course's block; its input node ``C~`` is ``g``."""
    keys = [f"{kind}{g}" for _, g in _D2L_GATES for kind in ("W_x", "W_h", "b_")]
    if not isinstance(params, dict) or any(k not in params for k in keys):
        got = ", ".join(sorted(params)) if isinstance(params, dict) else type(params).__name__
        raise ValueError(f"d2l parameters must be a dict with keys {', '.join(keys)}; got {got}.")
    a = _arrays({k: params[k] for k in keys})
    W_xi, W_hi = a["W_xi"], a["W_hi"]
    _matrix(W_xi, "d2l W_xi", _D2L_X)
    if 0 in W_xi.shape:
        _fail("d2l W_xi", _D2L_X, W_xi, ": it is empty")
    if W_hi.shape != (W_xi.shape[1],) * 2 and W_hi.shape == (W_xi.shape[0],) * 2:
        h = W_xi.shape[0]
        _fail("d2l W_xi", _D2L_X, W_xi, f", which looks like the transposed (h, d) layout of the course's W x: "
                                         f"W_hi is ({h}, {h}), so W_xi should be {W_xi.shape[::-1]}; pass `W_xi.T`")
    d, h = W_xi.shape
    for _, g in _D2L_GATES:
        _expect(a[f"W_x{g}"], (d, h), f"d2l W_x{g}", "(d, h)", " like W_xi", f"W_x{g}")
        _expect(a[f"W_h{g}"], (h, h), f"d2l W_h{g}", "(h, h)", f", with h = {h} from W_xi")
        if a[f"b_{g}"].shape not in ((h,), (1, h)):
            _fail(f"d2l b_{g}", f"(h,) = ({h},), with h = {h} from W_xi", a[f"b_{g}"])
    return _params(np.concatenate([a[f"W_x{g}"].T for _, g in _D2L_GATES], axis=0),
                   np.concatenate([a[f"W_h{g}"].T for _, g in _D2L_GATES], axis=0),
                   np.concatenate([a[f"b_{g}"].reshape(h) for _, g in _D2L_GATES]))


def to_d2l(params: dict) -> dict:
    """Course params -> d2l's ``W_xi (d, h), W_hi (h, h), b_i (h,)``, ... for i, f, o and c."""
    W_x, W_h, b = _course(params)
    H = W_h.shape[1]
    out = {}
    for gate, g in _D2L_GATES:
        s = gate_slices(H)[gate]
        out[f"W_x{g}"], out[f"W_h{g}"], out[f"b_{g}"] = W_x[s].T.copy(), W_h[s].T.copy(), b[s].copy()
    return out


def d2l_cell_step(X, H, C, params):
    """One step of d2l's ``LSTMScratch.forward``: X (n, d), H and C (n, h) -> (H, C)."""
    p = params
    I = sigmoid(X @ p["W_xi"] + H @ p["W_hi"] + p["b_i"])
    F = sigmoid(X @ p["W_xf"] + H @ p["W_hf"] + p["b_f"])
    O = sigmoid(X @ p["W_xo"] + H @ p["W_ho"] + p["b_o"])
    C_tilde = np.tanh(X @ p["W_xc"] + H @ p["W_hc"] + p["b_c"])
    C = F * C + I * C_tilde
    return O * np.tanh(C), C


# --- whole PyTorch modules: nn.RNN / nn.LSTM / nn.GRU, stacked and bidirectional -------------

#: How many blocks each cell stacks along weight_ih's rows, and the course's names for its
#: input weight, recurrent weight and bias(es).
_PT_CELLS = {"rnn": (1, "W_xh", "W_hh"), "lstm": (4, "W_x", "W_h"), "gru": (3, "W_x", "W_h")}
_PT_SUFFIX = {"forward": "", "backward": "_reverse"}


def _tensor(value, key: str) -> np.ndarray:
    """A torch tensor (or anything array-like) as a NumPy array, without importing torch."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu":
        raise ValueError(f"state_dict[{key!r}] must be an array of numbers; got dtype {arr.dtype}.")
    return arr.astype(np.float32 if arr.dtype == np.float32 else np.float64, copy=True)


def from_pytorch_state_dict(state_dict, cell: str) -> list:
    """A whole ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU`` ``state_dict()`` -> the ``layers`` of
    :mod:`rnn_course.deep`.

    Reads ``weight_ih_l{k}``, ``weight_hh_l{k}``, ``bias_ih_l{k}``, ``bias_hh_l{k}`` for every
    layer k and the same names ending in ``_reverse`` for the backward direction of a
    bidirectional module. ``cell`` is "rnn" (tanh), "lstm" or "gru". The RNN's and the LSTM's
    two biases are summed into the course's one (only their sum ever enters the equations);
    the GRU keeps both as ``b_x`` and ``b_h``. A module built with ``bias=False`` gives zero
    biases. Tensors or NumPy arrays are accepted; nothing imports torch.
    """
    if cell not in _PT_CELLS:
        raise ValueError(f"cell must be one of 'rnn', 'lstm', 'gru'; got {cell!r}.")
    if not hasattr(state_dict, "keys") or "weight_ih_l0" not in state_dict:
        got = ", ".join(sorted(state_dict)) if hasattr(state_dict, "keys") else type(state_dict).__name__
        raise ValueError(f"a PyTorch state_dict of nn.{cell.upper()} must have weight_ih_l0, weight_hh_l0, ...; "
                         f"got {got or 'nothing'}.")
    if any(k.startswith("weight_hr_l") for k in state_dict):
        raise ValueError("this state_dict has weight_hr_l* (an nn.LSTM with proj_size > 0): projections "
                         "are not part of the course's LSTM.")
    blocks, w_in, w_rec = _PT_CELLS[cell]
    label = {"rnn": "nn.RNN", "lstm": "nn.LSTM", "gru": "nn.GRU"}[cell]
    directions = ("forward", "backward") if "weight_ih_l0_reverse" in state_dict else ("forward",)
    layers, k, H_below = [], 0, None
    while f"weight_ih_l{k}" in state_dict:
        layer = {}
        for d in directions:
            end = f"_l{k}{_PT_SUFFIX[d]}"
            names = [f"weight_ih{end}", f"weight_hh{end}"]
            absent = [n for n in names if n not in state_dict]
            if absent:
                raise ValueError(f"the {label} state_dict has weight_ih_l{k} but not {' and '.join(absent)}.")
            ih, hh = (_tensor(state_dict[n], n) for n in names)
            if hh.ndim != 2 or hh.shape[0] != blocks * hh.shape[1]:
                raise ValueError(f"{names[1]} of {label} must be ({blocks}H, H); got shape {tuple(hh.shape)}.")
            H = hh.shape[1]
            D = ih.shape[1] if ih.ndim == 2 else None
            want_D = D if k == 0 else len(directions) * H_below
            if ih.shape != (blocks * H, want_D):
                raise ValueError(f"{names[0]} of {label} must be ({blocks}H, {'D' if k == 0 else 'directions * H'}) "
                                 f"= ({blocks * H}, {want_D}), with H = {H} from {names[1]}; "
                                 f"got shape {tuple(ih.shape)}.")
            biases = {}
            for kind in ("ih", "hh"):
                name = f"bias_{kind}{end}"
                b = _tensor(state_dict[name], name) if name in state_dict else np.zeros(blocks * H, ih.dtype)
                if b.shape != (blocks * H,):
                    raise ValueError(f"{name} of {label} must be ({blocks}H,) = ({blocks * H},); got shape "
                                     f"{tuple(b.shape)}.")
                biases[kind] = b
            if cell == "gru":
                layer[d] = {"W_x": ih, "W_h": hh, "b_x": biases["ih"], "b_h": biases["hh"]}
            else:
                layer[d] = {w_in: ih, w_rec: hh, ("b_h" if cell == "rnn" else "b"): biases["ih"] + biases["hh"]}
        layers.append(layer)
        H_below = H
        k += 1
    return layers


def to_pytorch_state_dict(layers, cell: str, *, gradients: bool = False) -> dict:
    """The ``layers`` of :mod:`rnn_course.deep` (or their ``grads``) -> a dict keyed like the
    ``state_dict()`` of the matching ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU``, NumPy arrays as
    values (``{k: torch.from_numpy(v) for k, v in ...}`` loads it with ``load_state_dict``).

    The RNN's and the LSTM's merged bias goes into ``bias_ih_l{k}`` and zeros into
    ``bias_hh_l{k}``, as :func:`to_pytorch` does: the module then computes the same outputs.
    Applied to a ``grads`` list it names every gradient as torch names it. The gradient of a
    merged bias is the gradient of both of torch's biases, so pass ``gradients=True`` to put
    it under both names (torch's ``bias_hh.grad`` equals its ``bias_ih.grad``) instead of zeros.
    """
    if cell not in _PT_CELLS:
        raise ValueError(f"cell must be one of 'rnn', 'lstm', 'gru'; got {cell!r}.")
    if not isinstance(layers, (list, tuple)) or not layers:
        raise ValueError(f"layers should be a non-empty list of {{'forward': params, ...}}; got {layers!r:.60}.")
    _, w_in, w_rec = _PT_CELLS[cell]
    b_name = "b_h" if cell == "rnn" else "b"
    out = {}
    for k, layer in enumerate(layers):
        for d in ("forward", "backward"):
            if d not in layer:
                continue
            p, end = layer[d], f"_l{k}{_PT_SUFFIX[d]}"
            keys = ("W_x", "W_h", "b_x", "b_h") if cell == "gru" else (w_in, w_rec, b_name)
            missing = [key for key in keys if key not in p]
            if missing:
                raise ValueError(f"layers[{k}][{d!r}] is missing {', '.join(missing)} for a {cell.upper()}; "
                                 f"got {', '.join(sorted(p))}.")
            values = [np.array(p[key], copy=True) for key in keys]
            out[f"weight_ih{end}"], out[f"weight_hh{end}"] = values[0], values[1]
            if cell == "gru":
                out[f"bias_ih{end}"], out[f"bias_hh{end}"] = values[2], values[3]
            else:
                out[f"bias_ih{end}"] = values[2]
                out[f"bias_hh{end}"] = values[2].copy() if gradients else np.zeros_like(values[2])
    return out


# --- the GRU: PyTorch nn.GRU and Keras 3 GRU ------------------------------------------------

#: Block order of the GRU's 3H axis: the course and PyTorch stack r, z, n; Keras z, r, h
#: (Keras's h is the candidate, the course's n).
GRU_ORDERS = {"course": ("r", "z", "n"), "pytorch": ("r", "z", "n"), "keras": ("z", "r", "n")}


def _gru_reorder(a, source: str, target: str, axis: int) -> np.ndarray:
    blocks = dict(zip(GRU_ORDERS[source], np.split(np.asarray(a), 3, axis=axis)))
    return np.concatenate([blocks[g] for g in GRU_ORDERS[target]], axis=axis)


def _gru_hidden(arr, recurrent, axis: int, label: str, layout: str) -> int:
    """H from a GRU's stacked 3H axis (``axis`` of ``arr``), checked against the recurrent matrix."""
    _matrix(arr, label, layout)
    three_h = arr.shape[axis]
    if three_h == 0 or three_h % 3:
        _fail(label, layout, arr, f": its 3H size, {three_h}, does not divide by 3 into the blocks")
    return three_h // 3


def from_pytorch_gru(weight_ih, weight_hh, bias_ih=None, bias_hh=None) -> dict:
    """PyTorch ``nn.GRU`` layer 0 (or ``nn.GRUCell``) -> :mod:`rnn_course.gru` params.

    Same layout and order (r, z, n); the two biases stay two (``b_x``, ``b_h``), since b_hn sits
    inside the reset gate's product. ``None`` biases (``bias=False``) become zeros.
    """
    given = {"bias_ih": bias_ih, "bias_hh": bias_hh}
    a = _arrays({"weight_ih": weight_ih, "weight_hh": weight_hh,
                 **{name: v for name, v in given.items() if v is not None}})
    H = _gru_hidden(a["weight_ih"], a["weight_hh"], 0, "PyTorch GRU weight_ih",
                    "(3H, D), the blocks r, z, n stacked in rows")
    _expect(a["weight_hh"], (3 * H, H), "PyTorch GRU weight_hh", "(3H, H)", f", with H = {H} from weight_ih",
            "weight_hh")
    biases = {}
    for name in given:
        b = a.get(name, np.zeros(3 * H, a["weight_ih"].dtype))
        _expect(b, (3 * H,), f"PyTorch GRU {name}", "(3H,)", f", with H = {H} from weight_ih")
        biases[name] = b
    return {"W_x": a["weight_ih"].copy(), "W_h": a["weight_hh"].copy(), "b_x": biases["bias_ih"].copy(),
            "b_h": biases["bias_hh"].copy()}


def _course_gru(params: dict) -> tuple:
    keys = ("W_x", "W_h", "b_x", "b_h")
    if not isinstance(params, dict) or not all(k in params for k in keys):
        got = ", ".join(sorted(params)) if isinstance(params, dict) else type(params).__name__
        raise ValueError(f"course GRU params must be a dict with keys W_x, W_h, b_x, b_h; got {got}.")
    a = _arrays({k: params[k] for k in keys})
    H = _gru_hidden(a["W_x"], a["W_h"], 0, "the course's GRU W_x", "(3H, D), the blocks r, z, n stacked in rows")
    _expect(a["W_h"], (3 * H, H), "the course's GRU W_h", "(3H, H)", f", with H = {H} from W_x", "W_h")
    for k in ("b_x", "b_h"):
        _expect(a[k], (3 * H,), f"the course's GRU {k}", "(3H,)", f", with H = {H} from W_x")
    return a["W_x"], a["W_h"], a["b_x"], a["b_h"]


def to_pytorch_gru(params: dict) -> dict:
    """Course GRU params -> a dict keyed like ``nn.GRU(D, H).state_dict()`` (one layer)."""
    W_x, W_h, b_x, b_h = _course_gru(params)
    return {"weight_ih_l0": W_x.copy(), "weight_hh_l0": W_h.copy(), "bias_ih_l0": b_x.copy(),
            "bias_hh_l0": b_h.copy()}


def pytorch_gru_cell_step(x, h, weight_ih, weight_hh, bias_ih, bias_hh):
    """One step as the ``nn.GRU`` docs write it; x (B, D), h (B, H) -> h."""
    gi = x @ weight_ih.T + bias_ih
    gh = h @ weight_hh.T + bias_hh
    i_r, i_z, i_n = np.split(gi, 3, axis=1)
    h_r, h_z, h_n = np.split(gh, 3, axis=1)
    r, z = sigmoid(i_r + h_r), sigmoid(i_z + h_z)
    n = np.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h


_KERAS_GRU_K = "(D, 3H), inputs along the rows and the blocks z, r, h side by side"


def from_keras_gru(kernel, recurrent_kernel, bias=None, *, reset_after: bool = True) -> dict:
    """Keras ``GRU`` weights (``layer.get_weights()``) -> course GRU params.

    Keras multiplies from the right (``x @ kernel``) and stacks z, r, h (its h is the course's
    candidate n). With ``reset_after=True`` (Keras 3's default, the PyTorch and cuDNN form) its
    ``bias`` is (2, 3H): row 0 for the input, row 1 for the recurrent part. A layer built with
    ``reset_after=False`` (the TF 1.x default) applies the reset gate before the product: a
    different function of its weights, which no course params can reproduce, so it is refused.
    """
    if not reset_after:
        raise ValueError("a Keras GRU with reset_after=False applies the reset gate before the recurrent "
                         "product (the form of Cho et al.'s EMNLP version); the course's GRU, like PyTorch's, "
                         "applies it after, so no conversion gives the same outputs. Retrain, or rebuild the layer "
                         "with reset_after=True.")
    a = _arrays({"kernel": kernel, "recurrent_kernel": recurrent_kernel, **({} if bias is None else {"bias": bias})})
    H = _gru_hidden(a["kernel"], a["recurrent_kernel"], 1, "Keras GRU kernel", _KERAS_GRU_K)
    _expect(a["recurrent_kernel"], (H, 3 * H), "Keras GRU recurrent_kernel", "(H, 3H)",
            f", with H = {H} from kernel", "recurrent_kernel")
    b = a.get("bias", np.zeros((2, 3 * H), a["kernel"].dtype))
    _expect(b, (2, 3 * H), "Keras GRU bias", "(2, 3H) with reset_after=True", f", with H = {H} from kernel")
    return {"W_x": _gru_reorder(a["kernel"], "keras", "course", 1).T.copy(),
            "W_h": _gru_reorder(a["recurrent_kernel"], "keras", "course", 1).T.copy(),
            "b_x": _gru_reorder(b[0], "keras", "course", 0), "b_h": _gru_reorder(b[1], "keras", "course", 0)}


def to_keras_gru(params: dict) -> list:
    """Course GRU params -> ``[kernel (D, 3H), recurrent_kernel (H, 3H), bias (2, 3H)]`` for a
    Keras ``GRU`` with ``reset_after=True``."""
    W_x, W_h, b_x, b_h = _course_gru(params)
    return [_gru_reorder(W_x.T, "course", "keras", 1), _gru_reorder(W_h.T, "course", "keras", 1),
            np.stack([_gru_reorder(b_x, "course", "keras", 0), _gru_reorder(b_h, "course", "keras", 0)])]


def hard_sigmoid(z):
    """A piecewise-linear stand-in for the sigmoid, clip(0.2 z + 0.5, 0, 1): the form lesson 6 uses
    to show what an old Keras default, ``recurrent_activation='hard_sigmoid'``, does to a port
    (check the exact slope in the version that trained the model)."""
    return np.clip(0.2 * np.asarray(z) + 0.5, 0.0, 1.0)


def keras_gru_cell_step(x, h, kernel, recurrent_kernel, bias, recurrent_activation=sigmoid):
    """One step as Keras's ``GRUCell`` computes it with ``reset_after=True``: blocks z, r, h,
    h_new = z h + (1 - z) hh. ``recurrent_activation`` is the gates' squashing function."""
    matrix_x = x @ kernel + bias[0]
    matrix_inner = h @ recurrent_kernel + bias[1]
    x_z, x_r, x_h = np.split(matrix_x, 3, axis=1)
    rec_z, rec_r, rec_h = np.split(matrix_inner, 3, axis=1)
    z = recurrent_activation(x_z + rec_z)
    r = recurrent_activation(x_r + rec_r)
    hh = np.tanh(x_h + r * rec_h)
    return z * h + (1 - z) * hh


# --- ONNX LSTM ---------------------------------------------------------------------------------

def from_onnx_lstm(W, R, B=None) -> list:
    """The ONNX ``LSTM`` operator's inputs -> one course params dict per direction.

    ``W`` [num_directions, 4H, input_size], ``R`` [num_directions, 4H, H], ``B`` [num_directions,
    8H] (the input biases, then the recurrent ones; summed here), blocks i, o, f, c. Direction 0 is
    forward, direction 1 (when ``direction="bidirectional"``) reverse. Peepholes (the optional
    ``P``) have no place in the course's cell and are not taken.
    """
    given = {"W": W, "R": R, **({} if B is None else {"B": B})}
    a = _arrays(given)
    W, R = a["W"], a["R"]
    if W.ndim != 3:
        _fail("ONNX W", "[num_directions, 4H, input_size]", W, f", with {W.ndim} dimensions")
    dirs, four_h, D = W.shape
    if four_h == 0 or four_h % 4:
        _fail("ONNX W", "[num_directions, 4H, input_size]", W, f": its 4H size, {four_h}, does not divide by 4")
    H = four_h // 4
    _expect(R, (dirs, 4 * H, H), "ONNX R", "[num_directions, 4H, H]", f", with H = {H} from W")
    Bv = a.get("B", np.zeros((dirs, 8 * H), W.dtype))
    _expect(Bv, (dirs, 8 * H), "ONNX B", "[num_directions, 8H]", f", with H = {H} from W")
    out = []
    for d in range(dirs):
        b = Bv[d, :4 * H] + Bv[d, 4 * H:]
        out.append(_params(reorder_gates(W[d], "onnx", "course"), reorder_gates(R[d], "onnx", "course"),
                           reorder_gates(b, "onnx", "course")))
    return out


def to_onnx_lstm(params) -> dict:
    """Course params (one dict, or a list with one per direction) -> ``{"W", "R", "B"}`` for the
    ONNX ``LSTM`` operator; the whole bias goes into the input half of ``B``, zeros into the rest."""
    directions = [params] if isinstance(params, dict) else list(params)
    Ws, Rs, Bs = [], [], []
    for p in directions:
        W_x, W_h, b = _course(p)
        Ws.append(reorder_gates(W_x, "course", "onnx"))
        Rs.append(reorder_gates(W_h, "course", "onnx"))
        Bs.append(np.concatenate([reorder_gates(b, "course", "onnx"), np.zeros_like(b)]))
    return {"W": np.stack(Ws), "R": np.stack(Rs), "B": np.stack(Bs)}


def onnx_lstm_cell_step(x, h, c, W, R, B):
    """One step of one direction as the ONNX ``LSTM`` operator defines it (default activations
    sigmoid, tanh, tanh, no peepholes): W (4H, D), R (4H, H), B (8H,), blocks i, o, f, c."""
    H = R.shape[1]
    gates = x @ W.T + h @ R.T + B[:4 * H] + B[4 * H:]
    i, o, f, g = np.split(gates, 4, axis=1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c
