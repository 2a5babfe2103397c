"""Lesson 7's backward exercises: the GRU's backward pass, truncated BPTT's chunk loop, one layer
run backwards in time.

- ``07.gru_step_backward(dh_t, x_t, h_prev, W_x, W_h, b_x, b_h) -> (dx_t, dh_prev, dW_x, dW_h, db_x, db_h)``:
  one step, ``dh_t`` being the whole gradient that reaches h_t;
- ``07.gru_backward(dh, x, h0, W_x, W_h, b_x, b_h) -> (dx, dh0, dW_x, dW_h, db_x, db_h)``: through the
  whole sequence, ``dh`` (T, B, H) being dL/dh_t from each step's own output (as in ``02.rnn_backward``);
- ``07.truncated_bptt(dh, x, h0, W_x, W_h, b_x, b_h, chunk) -> (h_last, dW_x, dW_h, db_x, db_h)``: the
  sequence cut into chunks of ``chunk`` steps (the last may be shorter), each chunk starting from the state
  the previous one ended in, its gradient stopping at the chunk's first step; the parameter gradients of
  all chunks summed, and the state the last chunk ended in;
- ``07.reverse_layer(x, h0, W_x, W_h, b_x, b_h) -> h``: the GRU run from the last step to the first, its
  state stored beside the input it has just read (h[t-1] has read x_T, ..., x_t), as the backward half of
  a bidirectional layer.

The GRU is PyTorch's (blocks r, z, n stacked in W_x (3H, D), W_h (3H, H), b_x and b_h (3H,); the reset
gate after the product), in the course's convention: h0 is the initial state, steps t = 1..T, and the
array h[t-1] holds h_t.
"""

from __future__ import annotations

import numpy as np

from .. import gru
from ..activations import sigmoid
from .core import KnownMistake, compare_exercise, known_mistake, learner_gradcheck

GRU_HELPERS = ("rnn_course.activations.sigmoid",)
LAYER_HELPERS = ("rnn_course.gru.forward", "rnn_course.gru.backward", "rnn_course.gru.step_forward")

# ---------------------------------------------------------------------------------------------
# The reference solutions
# ---------------------------------------------------------------------------------------------


def gru_step_backward(dh_t, x_t, h_prev, W_x, W_h, b_x, b_h):
    H = h_prev.shape[1]
    a_x = x_t @ W_x.T + b_x                        # the forward again: (B, 3H), blocks r, z, n
    a_h = h_prev @ W_h.T + b_h
    r = sigmoid(a_x[:, :H] + a_h[:, :H])
    z = sigmoid(a_x[:, H:2 * H] + a_h[:, H:2 * H])
    n = np.tanh(a_x[:, 2 * H:] + r * a_h[:, 2 * H:])
    # h_t = (1 - z) n + z h_prev: back through it, then through each gate's nonlinearity
    dn = dh_t * (1 - z)
    dz = dh_t * (h_prev - n)
    da_n = dn * (1 - n**2)                         # the candidate's pre-activation
    dr = da_n * a_h[:, 2 * H:]                     # r multiplies W_hn h_prev + b_hn
    da_r, da_z = dr * r * (1 - r), dz * z * (1 - z)
    da_x = np.concatenate([da_r, da_z, da_n], axis=1)           # what reaches a_x
    da_h = np.concatenate([da_r, da_z, r * da_n], axis=1)       # what reaches a_h (r scales its n block)
    dh_prev = dh_t * z + da_h @ W_h                # the direct path through z, and through a_h
    return da_x @ W_x, dh_prev, da_x.T @ x_t, da_h.T @ h_prev, da_x.sum(axis=0), da_h.sum(axis=0)


def gru_backward(dh, x, h0, W_x, W_h, b_x, b_h):
    H = h0.shape[1]
    h = [h0]                                       # h[t] is h_t here: h[0] = h0, ..., h[T] = h_T
    for x_t in x:
        a_x, a_h = x_t @ W_x.T + b_x, h[-1] @ W_h.T + b_h
        r = sigmoid(a_x[:, :H] + a_h[:, :H])
        z = sigmoid(a_x[:, H:2 * H] + a_h[:, H:2 * H])
        n = np.tanh(a_x[:, 2 * H:] + r * a_h[:, 2 * H:])
        h.append((1 - z) * n + z * h[-1])
    dx = np.zeros_like(x)
    dW_x, dW_h, db_x, db_h = np.zeros_like(W_x), np.zeros_like(W_h), np.zeros_like(b_x), np.zeros_like(b_h)
    dh_next = np.zeros_like(h0)                    # what step t + 1 sends back to h_t
    for t in reversed(range(len(x))):
        dx[t], dh_next, gW_x, gW_h, gb_x, gb_h = gru_step_backward(dh[t] + dh_next, x[t], h[t], W_x, W_h, b_x, b_h)
        dW_x += gW_x                               # the weights are shared: every step adds its share
        dW_h += gW_h
        db_x += gb_x
        db_h += gb_h
    return dx, dh_next, dW_x, dW_h, db_x, db_h


def truncated_bptt(dh, x, h0, W_x, W_h, b_x, b_h, chunk):
    params = {"W_x": W_x, "W_h": W_h, "b_x": b_x, "b_h": b_h}
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    h_carry = h0
    for start in range(0, len(x), chunk):          # the last chunk may be shorter
        h, cache = gru.forward(params, x[start:start + chunk], h_carry)
        _, _, g = gru.backward(dh[start:start + chunk], cache)   # its dh0 is dropped: the gradient stops here
        for k in grads:
            grads[k] += g[k]
        h_carry = h[-1].copy()                     # carried into the next chunk as data (detached)
    return h_carry, grads["W_x"], grads["W_h"], grads["b_x"], grads["b_h"]


def reverse_layer(x, h0, W_x, W_h, b_x, b_h):
    params = {"W_x": W_x, "W_h": W_h, "b_x": b_x, "b_h": b_h}
    h_read_backwards, _ = gru.forward(params, x[::-1], h0)     # reads x_T first, x_1 last
    return h_read_backwards[::-1].copy()           # back in the input's order: h[t-1] has read x_T..x_t


# ---------------------------------------------------------------------------------------------
# A shared step: the forward's values, the pre-activation gradients, the outputs
# ---------------------------------------------------------------------------------------------


def _forward_parts(x_t, h_prev, W_x, W_h, b_x, b_h):
    """(r, z, n, hn) of one step; hn = W_hn h_prev + b_hn, the part r scales."""
    H = h_prev.shape[1]
    a_x, a_h = x_t @ W_x.T + b_x, h_prev @ W_h.T + b_h
    r, z = sigmoid(a_x[:, :H] + a_h[:, :H]), sigmoid(a_x[:, H:2 * H] + a_h[:, H:2 * H])
    n = np.tanh(a_x[:, 2 * H:] + r * a_h[:, 2 * H:])
    return r, z, n, a_h[:, 2 * H:]


def _outputs(dh_t, x_t, h_prev, W_x, W_h, r, z, da_r, da_z, da_n):
    """The six outputs of a step backward from the gradients of the pre-activations."""
    da_x = np.concatenate([da_r, da_z, da_n], axis=1)
    da_h = np.concatenate([da_r, da_z, r * da_n], axis=1)
    return (da_x @ W_x, dh_t * z + da_h @ W_h, da_x.T @ x_t, da_h.T @ h_prev, da_x.sum(axis=0), da_h.sum(axis=0))


def _bptt(step_backward, dh, x, h0, W_x, W_h, b_x, b_h, *, reads_new_state=False):
    """Backpropagation through the sequence with ``step_backward`` at every step (summed grads); with
    ``reads_new_state`` each step's backward is given the state the step made instead of the one it read."""
    h = [h0]
    for x_t in x:
        r, z, n, _ = _forward_parts(x_t, h[-1], W_x, W_h, b_x, b_h)
        h.append((1 - z) * n + z * h[-1])
    dx, totals, carry = np.zeros_like(x), [np.zeros_like(a) for a in (W_x, W_h, b_x, b_h)], np.zeros_like(h0)
    for t in reversed(range(len(x))):
        state = h[t + 1] if reads_new_state else h[t]
        dx[t], carry, *shares = step_backward(dh[t] + carry, x[t], state, W_x, W_h, b_x, b_h)
        totals = [a + s for a, s in zip(totals, shares)]
    return (dx, carry, *totals)


# ---------------------------------------------------------------------------------------------
# The step's usual slips, each a few lines over the shared step
# ---------------------------------------------------------------------------------------------


@known_mistake("dh_prev misses the direct path: h_t = (1 - z) n + z h_prev, so h_prev reaches h_t once through z "
               "(dh_t * z) and again through a_h; add dh_t * z to da_h @ W_h.")
def _no_direct_path(dh_t, x_t, h_prev, W_x, W_h, b_x, b_h):
    out = gru_step_backward(dh_t, x_t, h_prev, W_x, W_h, b_x, b_h)
    z = _forward_parts(x_t, h_prev, W_x, W_h, b_x, b_h)[1]
    return (out[0], out[1] - dh_t * z, *out[2:])


@known_mistake("the n block of da_h misses the reset gate: the candidate reads r * (W_hn h_prev + b_hn), so what "
               "reaches a_h's n block is r * da_n (this changes dh_prev, dW_h and db_h; dW_x and db_x are right).")
def _no_reset_in_da_h(dh_t, x_t, h_prev, W_x, W_h, b_x, b_h):
    r, z, n, hn = _forward_parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    da_n = dh_t * (1 - z) * (1 - n**2)
    da_r, da_z = da_n * hn * r * (1 - r), dh_t * (h_prev - n) * z * (1 - z)
    return _outputs(dh_t, x_t, h_prev, W_x, W_h, np.ones_like(r), z, da_r, da_z, da_n)


@known_mistake("dz has the wrong sign: h_t = (1 - z) n + z h_prev gives dz = dh_t * (h_prev - n), not "
               "dh_t * (n - h_prev).")
def _dz_sign(dh_t, x_t, h_prev, W_x, W_h, b_x, b_h):
    r, z, n, hn = _forward_parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    da_n = dh_t * (1 - z) * (1 - n**2)
    da_r, da_z = da_n * hn * r * (1 - r), dh_t * (n - h_prev) * z * (1 - z)
    return _outputs(dh_t, x_t, h_prev, W_x, W_h, r, z, da_r, da_z, da_n)


@known_mistake("dn is dh_t * z; z keeps h_prev, so the candidate's share is 1 - z: dn = dh_t * (1 - z).")
def _dn_times_z(dh_t, x_t, h_prev, W_x, W_h, b_x, b_h):
    r, z, n, hn = _forward_parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    da_n = dh_t * z * (1 - n**2)
    da_r, da_z = da_n * hn * r * (1 - r), dh_t * (h_prev - n) * z * (1 - z)
    return _outputs(dh_t, x_t, h_prev, W_x, W_h, r, z, da_r, da_z, da_n)


@known_mistake("dr misses the bias b_hn: r multiplies W_hn h_prev + b_hn (the reset gate sits after the product, "
               "bias included), so dr = da_n * (W_hn h_prev + b_hn).")
def _dr_without_b_hn(dh_t, x_t, h_prev, W_x, W_h, b_x, b_h):
    r, z, n, hn = _forward_parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    H = h_prev.shape[1]
    da_n = dh_t * (1 - z) * (1 - n**2)
    da_r, da_z = da_n * (hn - b_h[2 * H:]) * r * (1 - r), dh_t * (h_prev - n) * z * (1 - z)
    return _outputs(dh_t, x_t, h_prev, W_x, W_h, r, z, da_r, da_z, da_n)


@known_mistake("the candidate's local derivative is n (1 - n), the sigmoid's; n = tanh(...), whose derivative "
               "is 1 - n^2.")
def _tanh_grad_as_sigmoid(dh_t, x_t, h_prev, W_x, W_h, b_x, b_h):
    r, z, n, hn = _forward_parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    da_n = dh_t * (1 - z) * n * (1 - n)
    da_r, da_z = da_n * hn * r * (1 - r), dh_t * (h_prev - n) * z * (1 - z)
    return _outputs(dh_t, x_t, h_prev, W_x, W_h, r, z, da_r, da_z, da_n)


@known_mistake("db_h equals db_x: the two biases get different gradients, since b_hn sits inside the reset gate: "
               "db_h's n block is the sum of r * da_n, db_x's the sum of da_n.")
def _one_bias_gradient(dh_t, x_t, h_prev, W_x, W_h, b_x, b_h):
    out = gru_step_backward(dh_t, x_t, h_prev, W_x, W_h, b_x, b_h)
    return (*out[:5], out[4])


@known_mistake("the bias gradients are batch means; every example adds its share to the loss, so db_x and db_h are "
               "sums over the batch, like dW_x = da_x.T @ x_t.")
def _bias_mean(dh_t, x_t, h_prev, W_x, W_h, b_x, b_h):
    out = gru_step_backward(dh_t, x_t, h_prev, W_x, W_h, b_x, b_h)
    B = x_t.shape[0]
    return (*out[:4], out[4] / B, out[5] / B)


@known_mistake("you stacked the blocks in the order z, r, n (Keras's); PyTorch's rows are r, z, n, and da_x, da_h "
               "must follow them.")
def _blocks_z_r_n(dh_t, x_t, h_prev, W_x, W_h, b_x, b_h):
    r, z, n, hn = _forward_parts(x_t, h_prev, W_x, W_h, b_x, b_h)
    da_n = dh_t * (1 - z) * (1 - n**2)
    da_r, da_z = da_n * hn * r * (1 - r), dh_t * (h_prev - n) * z * (1 - z)
    return _outputs(dh_t, x_t, h_prev, W_x, W_h, r, z, da_z, da_r, da_n)


STEP_MISTAKES = [_no_direct_path, _no_reset_in_da_h, _dz_sign, _dn_times_z, _dr_without_b_hn, _tanh_grad_as_sigmoid,
                 _one_bias_gradient, _bias_mean, _blocks_z_r_n]


# ---------------------------------------------------------------------------------------------
# The sequence's usual slips: the loop's own, then each step slip inside a right loop
# ---------------------------------------------------------------------------------------------


def _each_step_alone(dh, x, h0, W_x, W_h, b_x, b_h):
    h = [h0]
    for x_t in x:
        r, z, n, _ = _forward_parts(x_t, h[-1], W_x, W_h, b_x, b_h)
        h.append((1 - z) * n + z * h[-1])
    outs = [gru_step_backward(dh[t], x[t], h[t], W_x, W_h, b_x, b_h) for t in range(len(x))]
    return (np.stack([o[0] for o in outs]), outs[0][1], *(sum(o[k] for o in outs) for k in range(2, 6)))


_no_carry = known_mistake(
    "no gradient flows from step t + 1 back to step t: each step saw only its own dh[t-1]. Add what the later step "
    "sent back, g = dh[t-1] + dh_next, before the step's backward.")(_each_step_alone)


@known_mistake("at step t your backward read h_t, the state the step produced (h[t-1]), where it needs h_{t-1}, the "
               "state the step read (h[t-2], or h0 at step 1): the gates depend on the previous state.")
def _h_t_for_h_prev(dh, x, h0, W_x, W_h, b_x, b_h):
    return _bptt(gru_step_backward, dh, x, h0, W_x, W_h, b_x, b_h, reads_new_state=True)


@known_mistake("the weight gradients are only the first step's share (the last one your loop visits): the weights "
               "are shared by every step, so add each step's share, dW_x += ..., and the same for the others.")
def _last_share_only(dh, x, h0, W_x, W_h, b_x, b_h):
    shares = []

    def remember(*args):
        out = gru_step_backward(*args)
        shares.append(out[2:])
        return out
    dx, dh0, *_ = _bptt(remember, dh, x, h0, W_x, W_h, b_x, b_h)
    return (dx, dh0, *shares[-1])


@known_mistake("dh0 is the gradient reaching h_1 (g at the first step), not h0: pass it back through the first step "
               "too, and return what that step sends to its h_prev.")
def _dh0_is_first_g(dh, x, h0, W_x, W_h, b_x, b_h):
    gs = []

    def remember(g, *args):
        gs.append(g)
        return gru_step_backward(g, *args)
    dx, _, *rest = _bptt(remember, dh, x, h0, W_x, W_h, b_x, b_h)
    return (dx, gs[-1], *rest)


@known_mistake("your loop ran forward in time: backpropagation visits the steps from the last to the first, since "
               "the gradient of h_{t} needs what step t + 1 sent back.")
def _forward_in_time(dh, x, h0, W_x, W_h, b_x, b_h):
    h = [h0]
    for x_t in x:
        r, z, n, _ = _forward_parts(x_t, h[-1], W_x, W_h, b_x, b_h)
        h.append((1 - z) * n + z * h[-1])
    dx, totals, carry = np.zeros_like(x), [np.zeros_like(a) for a in (W_x, W_h, b_x, b_h)], np.zeros_like(h0)
    for t in range(len(x)):
        dx[t], carry, *shares = gru_step_backward(dh[t] + carry, x[t], h[t], W_x, W_h, b_x, b_h)
        totals = [a + s for a, s in zip(totals, shares)]
    return (dx, carry, *totals)


def _lifted(step_mistake):
    """A step slip inside a right loop: same sentence, the whole sequence's outputs."""
    return type(step_mistake)(lambda *args: _bptt(step_mistake.compute, *args), step_mistake.explanation)


SEQUENCE_MISTAKES = [_no_carry, _last_share_only, _dh0_is_first_g, _forward_in_time, _h_t_for_h_prev,
                     *(_lifted(m) for m in STEP_MISTAKES)]


# ---------------------------------------------------------------------------------------------
# Truncated BPTT's slips
# ---------------------------------------------------------------------------------------------


def _chunked(dh, x, h0, W_x, W_h, b_x, b_h, chunk, start_state, starts=None):
    """Chunks from ``starts`` (default every chunk), the k-th starting from ``start_state(k, carried)``."""
    params = {"W_x": W_x, "W_h": W_h, "b_x": b_x, "b_h": b_h}
    grads, h_carry = {k: np.zeros_like(v) for k, v in params.items()}, h0
    for k, s in enumerate(range(0, len(x), chunk) if starts is None else starts):
        h, cache = gru.forward(params, x[s:s + chunk], start_state(k, h_carry))
        g = gru.backward(dh[s:s + chunk], cache)[2]
        grads = {name: grads[name] + g[name] for name in grads}
        h_carry = h[-1]
    return h_carry, grads["W_x"], grads["W_h"], grads["b_x"], grads["b_h"]


@known_mistake("every chunk started again from h0: carry the state, so that chunk k starts from the state chunk "
               "k - 1 ended in (h[-1] of the previous chunk).")
def _restart_from_h0(dh, x, h0, W_x, W_h, b_x, b_h, chunk):
    return _chunked(dh, x, h0, W_x, W_h, b_x, b_h, chunk, lambda k, carried: h0)


@known_mistake("every chunk after the first started from zeros: that is the reset scheme lesson 7 compares against; "
               "carry the state, so that chunk k starts from the state chunk k - 1 ended in.")
def _restart_from_zeros(dh, x, h0, W_x, W_h, b_x, b_h, chunk):
    return _chunked(dh, x, h0, W_x, W_h, b_x, b_h, chunk, lambda k, carried: h0 if k == 0 else 0 * h0)


@known_mistake("your gradients ran back across the chunks' edges: that is full backpropagation through the whole "
               "sequence. Truncated BPTT carries the state as data: each chunk's dh0 is dropped, not passed to the "
               "chunk before.")
def _not_detached(dh, x, h0, W_x, W_h, b_x, b_h, chunk):
    params = {"W_x": W_x, "W_h": W_h, "b_x": b_x, "b_h": b_h}
    h, cache = gru.forward(params, x, h0)
    g = gru.backward(dh, cache)[2]
    return h[-1], g["W_x"], g["W_h"], g["b_x"], g["b_h"]


@known_mistake("the last, shorter chunk is missing: when T is not a multiple of chunk, the steps left over form a "
               "chunk of their own (range(0, T, chunk) gives every start).")
def _last_short_chunk_dropped(dh, x, h0, W_x, W_h, b_x, b_h, chunk):
    starts = range(0, (len(x) // chunk) * chunk, chunk)
    return _chunked(dh, x, h0, W_x, W_h, b_x, b_h, chunk, lambda k, carried: carried, starts)


@known_mistake("the gradients are the last chunk's only: add every chunk's gradients (grads[k] += ...), not "
               "replace them.")
def _last_chunk_only(dh, x, h0, W_x, W_h, b_x, b_h, chunk):
    last = list(range(0, len(x), chunk))[-1]
    h_last = _chunked(dh, x, h0, W_x, W_h, b_x, b_h, chunk, lambda k, carried: carried)[0]
    _, *grads = _chunked(dh, x, _state_at(x, h0, W_x, W_h, b_x, b_h, last), W_x, W_h, b_x, b_h, chunk,
                         lambda k, carried: carried, [last])
    return (h_last, *grads)


def _state_at(x, h0, W_x, W_h, b_x, b_h, steps):
    """The state after the first ``steps`` inputs (h0 if none)."""
    if steps == 0:
        return h0
    return gru.forward({"W_x": W_x, "W_h": W_h, "b_x": b_x, "b_h": b_h}, x[:steps], h0)[0][-1]


@known_mistake("the gradients are the mean over chunks; each chunk's loss adds to the total, so add the chunks' "
               "gradients.")
def _mean_over_chunks(dh, x, h0, W_x, W_h, b_x, b_h, chunk):
    h_last, *grads = truncated_bptt(dh, x, h0, W_x, W_h, b_x, b_h, chunk)
    n_chunks = -(-len(x) // chunk)
    return (h_last, *(g / n_chunks for g in grads))


TBPTT_MISTAKES = [_restart_from_h0, _restart_from_zeros, _not_detached, _last_short_chunk_dropped, _last_chunk_only,
                  _mean_over_chunks]


# ---------------------------------------------------------------------------------------------
# The reverse layer's slips
# ---------------------------------------------------------------------------------------------


@known_mistake("your states are in reading order: h[0] is the state after x_T alone. Flip them back, so that h[t-1] "
               "sits beside x_t (it has read x_T, ..., x_t), as the bidirectional layer concatenates it with the "
               "forward state of the same step.")
def _not_flipped_back(x, h0, W_x, W_h, b_x, b_h):
    return gru.forward({"W_x": W_x, "W_h": W_h, "b_x": b_x, "b_h": b_h}, x[::-1], h0)[0]


@known_mistake("you flipped the states but not the input: the layer must READ the sequence backwards, x[::-1].")
def _input_not_flipped(x, h0, W_x, W_h, b_x, b_h):
    return gru.forward({"W_x": W_x, "W_h": W_h, "b_x": b_x, "b_h": b_h}, x, h0)[0][::-1]


@known_mistake("this is the forward layer: nothing is reversed. Read x[::-1] and flip the states back.")
def _forward_layer(x, h0, W_x, W_h, b_x, b_h):
    return gru.forward({"W_x": W_x, "W_h": W_h, "b_x": b_x, "b_h": b_h}, x, h0)[0]


@known_mistake("your states are one step off: h[t-1] should already have read x_t (the state after reading x_T, "
               "..., x_t), not only x_T, ..., x_{t+1}.")
def _one_step_late(x, h0, W_x, W_h, b_x, b_h):
    h = reverse_layer(x, h0, W_x, W_h, b_x, b_h)
    return np.concatenate([h[1:], h0[None]], axis=0)


_WRONG_AXIS = ("you reversed axis {axis} of x ({what}), not time: in the time-major (T, B, D) layout time is the first "
               "axis, x[::-1], and the states come back flipped along their first axis too.")


def _flipped_along(axis: int, states_too: bool):
    """The layer read with ``x`` flipped along ``axis``, its states flipped back along it if ``states_too``."""
    def flipped(x, h0, W_x, W_h, b_x, b_h):
        h = gru.forward({"W_x": W_x, "W_h": W_h, "b_x": b_x, "b_h": b_h}, np.flip(x, axis), h0)[0]
        return np.flip(h, axis) if states_too else h
    return flipped


_AXIS_WHAT = {1: "the batch: it puts each sequence beside another one's state", 2: "the features of each step"}
WRONG_AXIS_MISTAKES = [KnownMistake(_flipped_along(axis, states_too), _WRONG_AXIS.format(axis=axis, what=what))
                       for axis, what in _AXIS_WHAT.items() for states_too in (True, False)]

REVERSE_MISTAKES = [_not_flipped_back, _input_not_flipped, _forward_layer, _one_step_late, *WRONG_AXIS_MISTAKES]


# ---------------------------------------------------------------------------------------------
# Cases and the learner's own gradient checks
# ---------------------------------------------------------------------------------------------

STEP_SIZES = ((3, 4, 5), (2, 6, 3))                 # (B, D, H)
SEQUENCE_SIZES = ((5, 3, 4, 2), (4, 2, 3, 5))       # (T, B, D, H)
TBPTT_SIZES = ((7, 3, 2, 4, 3), (8, 2, 3, 2, 4))    # (T, B, D, H, chunk): 7 = 3 + 3 + 1, 8 = 4 + 4


def _weights(rng, D, H):
    return (rng.normal(0, 0.6, (3 * H, D)), rng.normal(0, 0.6, (3 * H, H)), rng.normal(0, 0.5, 3 * H),
            rng.normal(0, 0.5, 3 * H))


def _step_cases():
    rng = np.random.default_rng(70)
    return [(rng.normal(size=(B, H)), rng.normal(size=(B, D)), rng.uniform(-0.9, 0.9, (B, H)), *_weights(rng, D, H))
            for B, D, H in STEP_SIZES]


def _sequence_cases():
    rng = np.random.default_rng(71)
    return [(rng.normal(size=(T, B, H)), rng.normal(size=(T, B, D)), rng.uniform(-0.9, 0.9, (B, H)),
             *_weights(rng, D, H)) for T, B, D, H in SEQUENCE_SIZES]


def _tbptt_cases():
    rng = np.random.default_rng(72)
    return [(rng.normal(size=(T, B, H)), rng.normal(size=(T, B, D)), rng.uniform(-0.9, 0.9, (B, H)),
             *_weights(rng, D, H), chunk) for T, B, D, H, chunk in TBPTT_SIZES]


def _reverse_cases():
    rng = np.random.default_rng(73)
    return [(rng.normal(size=(T, B, D)), rng.uniform(-0.9, 0.9, (B, H)), *_weights(rng, D, H))
            for T, B, D, H in SEQUENCE_SIZES]


_NAMES = ("W_x", "W_h", "b_x", "b_h")


def _sequence_gradcheck(answer) -> str:
    """The learner's gru_backward against finite differences of sum(w * h)."""
    rng = np.random.default_rng(74)
    T, B, D, H = 3, 2, 3, 2
    w, x, h0, *weights = (rng.normal(size=(T, B, H)), rng.normal(size=(T, B, D)), rng.uniform(-0.9, 0.9, (B, H)),
                          *_weights(rng, D, H))
    inputs = {"x": x, "h0": h0, **dict(zip(_NAMES, weights))}

    def loss(p):
        return float(np.sum(w * gru.forward({k: p[k] for k in _NAMES}, p["x"], p["h0"])[0]))

    def grads(backward, p):
        return dict(zip(("x", "h0", *_NAMES), backward(w, p["x"], p["h0"], *(p[k] for k in _NAMES))))

    return learner_gradcheck(answer, loss, inputs, grads)


def _step_gradcheck(answer) -> str:
    """The learner's step backward against finite differences of sum(w * h_t)."""
    rng = np.random.default_rng(75)
    B, D, H = 2, 3, 2
    w, x_t, h_prev, *weights = (rng.normal(size=(B, H)), rng.normal(size=(B, D)), rng.uniform(-0.9, 0.9, (B, H)),
                                *_weights(rng, D, H))
    inputs = {"x_t": x_t, "h_prev": h_prev, **dict(zip(_NAMES, weights))}

    def loss(p):
        return float(np.sum(w * gru.step_forward({k: p[k] for k in _NAMES}, p["x_t"], p["h_prev"])[0]))

    def grads(step_backward, p):
        return dict(zip(("x_t", "h_prev", *_NAMES), step_backward(w, p["x_t"], p["h_prev"], *(p[k] for k in _NAMES))))

    return learner_gradcheck(answer, loss, inputs, grads)


def _tbptt_gradcheck(answer) -> str:
    """Finite differences of the chunks' losses with every chunk's first state held fixed (as data)."""
    rng = np.random.default_rng(76)
    T, B, D, H, chunk = 5, 2, 2, 2, 2
    w, x, h0, *weights = (rng.normal(size=(T, B, H)), rng.normal(size=(T, B, D)), rng.uniform(-0.9, 0.9, (B, H)),
                          *_weights(rng, D, H))
    h_all = gru.forward(dict(zip(_NAMES, weights)), x, h0)[0]
    starts = [(s, h0 if s == 0 else h_all[s - 1]) for s in range(0, T, chunk)]   # detached: computed once

    def loss(p):
        params = {k: p[k] for k in _NAMES}
        return float(sum(np.sum(w[s:s + chunk] * gru.forward(params, x[s:s + chunk], start)[0])
                         for s, start in starts))

    def grads(fn, p):
        return dict(zip(_NAMES, fn(w, x.copy(), h0.copy(), *(p[k] for k in _NAMES), chunk)[1:]))

    return learner_gradcheck(answer, loss, dict(zip(_NAMES, weights)), grads).replace(
        "Gradient check of your function", "Gradient check of your chunk loop (each chunk's first state held fixed)")


# ---------------------------------------------------------------------------------------------
# The exercises
# ---------------------------------------------------------------------------------------------

compare_exercise(
    "07.gru_step_backward", "One GRU step's backward pass",
    solution=gru_step_backward, cases=_step_cases, mistakes=STEP_MISTAKES,
    outputs=("dx_t", "dh_prev", "dW_x", "dW_h", "db_x", "db_h"), after=_step_gradcheck, allow=GRU_HELPERS,
    praise="every gradient matches: back through h_t = (1 - z) n + z h_prev, then each gate's nonlinearity, "
           "the reset gate scaling only a_h's n block.",
    hint="(dh_t (B, H), x_t (B, D), h_prev (B, H), W_x (3H, D), W_h (3H, H), b_x and b_h (3H,); return dx_t (B, D), "
         "dh_prev (B, H), dW_x, dW_h, db_x, db_h shaped like the parameters.)")

compare_exercise(
    "07.gru_backward", "Backpropagation through time for the GRU",
    solution=gru_backward, cases=_sequence_cases, mistakes=SEQUENCE_MISTAKES,
    outputs=("dx", "dh0", "dW_x", "dW_h", "db_x", "db_h"), after=_sequence_gradcheck, allow=GRU_HELPERS,
    praise="every gradient matches rnn_course.gru.backward, for two sizes of T, B, D and H.",
    hint="(dh (T, B, H), x (T, B, D), h0 (B, H), W_x (3H, D), W_h (3H, H), b_x and b_h (3H,); return dx (T, B, D), "
         "dh0 (B, H), and the four parameter gradients shaped like the parameters.)")

compare_exercise(
    "07.truncated_bptt", "Truncated BPTT: the chunk loop, the state carried and detached",
    solution=truncated_bptt, cases=_tbptt_cases, mistakes=TBPTT_MISTAKES,
    outputs=("h_last", "dW_x", "dW_h", "db_x", "db_h"), after=_tbptt_gradcheck, allow=LAYER_HELPERS,
    praise="chunk after chunk, each from the state the last one ended in, each gradient stopping at its chunk's "
           "first step, the chunks' gradients added.",
    hint="(dh (T, B, H), x (T, B, D), h0 (B, H), the GRU's W_x, W_h, b_x, b_h, chunk an int; return h_last (B, H) "
         "and the four parameter gradients summed over the chunks. gru.forward(params, x_chunk, h_start) and "
         "gru.backward(dh_chunk, cache) are yours to use.)")

compare_exercise(
    "07.reverse_layer", "One layer run backwards in time",
    solution=reverse_layer, cases=_reverse_cases, mistakes=REVERSE_MISTAKES, allow=LAYER_HELPERS,
    praise="h[t-1] has read x_T, ..., x_t: beside the forward state of the same step, the two together have read "
           "the whole sequence.",
    hint="(x (T, B, D), h0 (B, H), the GRU's W_x, W_h, b_x, b_h; return h (T, B, H), h[t-1] beside x[t-1]. "
         "gru.forward(params, x, h0) is yours to use.)")
