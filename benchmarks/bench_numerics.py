"""Milliseconds per forward + backward pass of the course's RNN, LSTM and GRU.

    python benchmarks/bench_numerics.py [--T 100] [--B 32] [--D 64] [--H 128] [--repeat 20]

Prints the median and the best of ``--repeat`` runs for each cell and precision; the time
of the LSTM's and the GRU's matrix products alone (every product of one forward + backward,
with nothing around them): the floor NumPy's BLAS sets, to show how close the step loop is;
and, when torch is installed, PyTorch's CPU ``nn.LSTM`` and ``nn.GRU`` at one thread, with
the ratio course / PyTorch (the goal for the GRU: within 1.3x in float64).

A last section times the LSTM's forward pass three ways: the course's loop (the equations as
written, with the sigmoid as (1 + tanh(a/2)) / 2); the same loop with the general
:func:`rnn_course.activations.sigmoid`; and the former in-place form, which folded the four
blocks into one tanh call. Timings are interleaved, so a busy machine slows all alike.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from rnn_course import activations, gru, lstm, rnn


def _time(fn, repeat):
    fn()                                        # warm-up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times)), float(np.min(times))


def _interleaved(fns: dict, repeat: int) -> dict:
    """{label: (median ms, best ms)}, running the functions in turn so load hits all alike."""
    for fn in fns.values():
        fn()                                    # warm-up
    times = {label: [] for label in fns}
    for _ in range(repeat):
        for label, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[label].append((time.perf_counter() - start) * 1000)
    return {label: (float(np.median(v)), float(np.min(v))) for label, v in times.items()}


def _matmuls_only(x, W_x, W_h, dtype):
    """Every matrix product of one forward + backward of a gated cell with weights W_x
    (GH, D), W_h (GH, H), with nothing else around it: 2T sequential recurrent products plus
    the whole-sequence products for the input projection, the weight gradients and dx."""
    T, B, D = x.shape
    GH, H = W_h.shape
    flat_x = x.reshape(T * B, D)
    flat_g = np.ones((T * B, GH), dtype=dtype)
    flat_h = np.ones((T * B, H), dtype=dtype)
    hb = np.ones((B, H), dtype=dtype)
    gb = np.ones((B, GH), dtype=dtype)
    out_f = np.empty((B, GH), dtype=dtype)
    out_b = np.empty((B, H), dtype=dtype)

    def run():
        flat_x @ W_x.T
        for _ in range(T):
            np.matmul(hb, W_h.T, out=out_f)
            np.matmul(gb, W_h, out=out_b)
        flat_g.T @ flat_x
        flat_g.T @ flat_h
        flat_g @ W_x

    return run


def lstm_forward_general_sigmoid(params, x):
    """The course's LSTM loop, but with the general (exp, compare, select) sigmoid."""
    W_x, W_h, b = params["W_x"], params["W_h"], params["b"]
    T, B, D = x.shape
    H = W_h.shape[1]
    sig = activations.sigmoid
    a_x = (x.reshape(T * B, D) @ W_x.T).reshape(T, B, 4 * H) + b
    i, f, g, o, c, h = (np.empty((T, B, H), dtype=x.dtype) for _ in range(6))
    h_prev = c_prev = np.zeros((B, H), dtype=x.dtype)
    for t in range(T):
        a = a_x[t] + h_prev @ W_h.T
        i[t], f[t], g[t], o[t] = sig(a[:, :H]), sig(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sig(a[:, 3 * H:])
        c[t] = f[t] * c_prev + i[t] * g[t]
        h[t] = o[t] * np.tanh(c[t])
        h_prev, c_prev = h[t], c[t]
    return h, c


def lstm_forward_in_place(params, x):
    """The LSTM forward as the course wrote it before: in place, one tanh call for all four
    blocks via sigmoid(a) = (1 + tanh(a/2)) / 2 on a pre-scaled array."""
    W_x, W_h, b = params["W_x"], params["W_h"], params["b"]
    T, B, D = x.shape
    H = W_h.shape[1]
    dtype = x.dtype
    z = (x.reshape(T * B, D) @ W_x.T).reshape(T, B, 4 * H)
    z += b
    scale = np.full(4 * H, 0.5, dtype=dtype)
    scale[2 * H:3 * H] = 1.0
    h, c, tanh_c = (np.empty((T, B, H), dtype=dtype) for _ in range(3))
    W_h_T = W_h.T
    recurrent = np.empty((B, 4 * H), dtype=dtype)
    ig = np.empty((B, H), dtype=dtype)
    h_prev = c_prev = np.zeros((B, H), dtype=dtype)
    for t in range(T):
        np.matmul(h_prev, W_h_T, out=recurrent)
        zt = z[t]
        zt += recurrent
        zt *= scale
        np.tanh(zt, out=zt)
        for block in (zt[:, :2 * H], zt[:, 3 * H:]):
            block *= 0.5
            block += 0.5
        np.multiply(zt[:, H:2 * H], c_prev, out=c[t])
        np.multiply(zt[:, :H], zt[:, 2 * H:3 * H], out=ig)
        c[t] += ig
        np.tanh(c[t], out=tanh_c[t])
        np.multiply(zt[:, 3 * H:], tanh_c[t], out=h[t])
        h_prev, c_prev = h[t], c[t]
    return h, c


def _torch_passes(T, B, D, H, dtype, seed=0):
    """PyTorch's nn.LSTM and nn.GRU forward + backward at one thread, or {} without torch."""
    try:
        import torch
    except ImportError:
        return {}
    torch.set_num_threads(1)
    torch.manual_seed(seed)
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    x = torch.randn(T, B, D, dtype=tdtype, requires_grad=True)
    passes = {}
    for name, cls in (("lstm", torch.nn.LSTM), ("gru", torch.nn.GRU)):
        module = cls(D, H).to(tdtype)

        def run(module=module):
            out, _ = module(x)
            out.sum().backward()

        passes[name] = run
    return passes


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--T", type=int, default=100)
    ap.add_argument("--B", type=int, default=32)
    ap.add_argument("--D", type=int, default=64)
    ap.add_argument("--H", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS threads (default: the course's own setting, one thread)")
    a = ap.parse_args()
    if a.threads is not None:
        threadpool_limits(a.threads, user_api="blas")
    blas = [f"{i['internal_api']} x{i['num_threads']}" for i in threadpool_info() if i["user_api"] == "blas"]
    print(f"numpy {np.__version__}, python {platform.python_version()}, {platform.machine()}, "
          f"BLAS: {', '.join(blas) or 'unknown'}")
    print(f"T={a.T} B={a.B} D={a.D} H={a.H}; milliseconds per forward+backward (median / best of {a.repeat})")
    rng = np.random.default_rng(0)
    T, B, D, H = a.T, a.B, a.D, a.H
    for dtype in (np.float64, np.float32):
        x = rng.standard_normal((T, B, D)).astype(dtype)
        rp = rnn.init_params(D, H, dtype=dtype)
        lp = lstm.init_params(D, H, dtype=dtype)
        gp = gru.init_params(D, H, dtype=dtype)
        dh = np.ones((T, B, H), dtype=dtype)

        def rnn_pass():
            h, cache = rnn.forward(rp, x)
            rnn.backward(dh, cache)

        def lstm_pass():
            h, c, cache = lstm.forward(lp, x)
            lstm.backward(dh, cache)

        def gru_pass():
            h, cache = gru.forward(gp, x)
            gru.backward(dh, cache)

        fns = {"rnn": rnn_pass, "lstm": lstm_pass, "lstm: its matrix products alone":
               _matmuls_only(x, lp["W_x"], lp["W_h"], dtype), "gru": gru_pass,
               "gru: its matrix products alone": _matmuls_only(x, gp["W_x"], gp["W_h"], dtype)}
        theirs = _torch_passes(T, B, D, H, dtype)
        fns.update({f"pytorch nn.{name.upper()} (1 thread)": fn for name, fn in theirs.items()})
        res = _interleaved(fns, a.repeat)
        name = np.dtype(dtype).name
        for label, (med, best) in res.items():
            print(f"  {name:8s} {label:34s} {med:8.2f} ms  (best {best:.2f})")
        for cell in ("lstm", "gru"):
            key = f"pytorch nn.{cell.upper()} (1 thread)"
            if key in res:
                print(f"  {name:8s} {cell} course / pytorch: {res[cell][0] / res[key][0]:.2f}x median, "
                      f"{res[cell][1] / res[key][1]:.2f}x best")
        if not theirs:
            print(f"  {name:8s} (torch is not installed: no PyTorch comparison)")

    print(f"LSTM forward alone, float64 (median / best of {3 * a.repeat}):")
    x = rng.standard_normal((T, B, D))
    lp = lstm.init_params(D, H)
    res = _interleaved({"course: the equations as written": lambda: lstm.forward(lp, x),
                        "same loop, general sigmoid": lambda: lstm_forward_general_sigmoid(lp, x),
                        "former in-place, one-tanh form": lambda: lstm_forward_in_place(lp, x)}, 3 * a.repeat)
    base_med, base_best = res["course: the equations as written"]
    for label, (med, best) in res.items():
        print(f"  {label:34s} {med:8.2f} ms  (best {best:.2f})  {med / base_med:.2f}x / {best / base_best:.2f}x "
              "the course's")


if __name__ == "__main__":
    main()
