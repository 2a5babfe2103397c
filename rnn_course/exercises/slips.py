"""One sentence per slip that several exercises share, so that the same slip reads the same in every lesson.

Each function takes the exercise's own names (its gradient, its state, its weight) and returns the
sentence the learner reads; a lesson module puts it on a known mistake::

    @known_mistake(slips.tanh_derivative_missing("da", "dh_t", "h_t"))
    def _no_tanh_derivative(dh_t, x_t, h_prev, h_t, W_xh, W_hh):
        return _step_backward(dh_t, x_t, h_prev, h_t, W_xh, W_hh, slope=1.0)
"""

from __future__ import annotations


def _verb(names: str) -> str:
    return "are" if "," in names or " and " in names else "is"


# --- the tanh and its derivative ----------------------------------------------------------------


def tanh_derivative_missing(grad: str, upstream: str, out: str) -> str:
    return (f"you skipped the tanh derivative: {grad} = {upstream} * (1 - {out}**2), the derivative of tanh written "
            f"with its output {out}; multiply by it first, element by element.")


def tanh_derivative_missing_from(result: str, sibling: str, grad: str, upstream: str, out: str) -> str:
    return (f"{result} skipped the tanh derivative: like {sibling}, it starts from {grad} = {upstream} * "
            f"(1 - {out}**2), not from {upstream}.")


def tanh_derivative_not_squared(out: str) -> str:
    return f"you multiplied by 1 - {out}, not by tanh's derivative 1 - {out}**2 (squared)."


def tanh_applied_twice(out: str, pre: str) -> str:
    return (f"you used 1 - tanh({out})**2, applying tanh a second time: {out} already is tanh({pre}), so "
            f"tanh'({pre}) = 1 - {out}**2.")


def sigmoid_derivative_for_tanh(out: str) -> str:
    return (f"you used the sigmoid's derivative {out} (1 - {out}); the activation here is tanh, whose derivative "
            f"is 1 - {out}**2.")


def sigmoid_for_tanh(what: str) -> str:
    return f"you used the sigmoid; {what} uses tanh (range (-1, 1)), so it can be negative too."


def candidate_not_tanh(candidate: str, gates: str) -> str:
    return (f"the candidate {candidate} uses tanh, not sigmoid: it is a value that may be negative (range -1 to 1), "
            f"while the gates {gates} are openings between 0 and 1.")


def gates_not_sigmoid(gates: str) -> str:
    return f"the gates {gates} use the sigmoid (0 to 1, how far open), not tanh: tanh would let a gate be negative."


# --- signs, sums and means ----------------------------------------------------------------------


def precedence(upstream: str, out: str) -> str:
    """``upstream * 1 - out**2``: tanh's derivative without its parentheses."""
    return (f"you wrote {upstream} * 1 - {out}**2, which Python reads as ({upstream} * 1) - {out}**2: the derivative "
            f"needs its parentheses, {upstream} * (1 - {out}**2).")


def wrong_sign(start: str) -> str:
    return f"every gradient has the wrong sign: {start}, and each product keeps that sign."


def averaged(names: str, over: str, count: str, upstream: str, must_be: str = "the sum") -> str:
    """``names`` divided by ``count`` (the mean over ``over``) where ``must_be`` (a sum) belongs."""
    one = _verb(names) == "is"
    return (f"{names} {_verb(names)} averaged over the {over} (divided by {count}); {'it' if one else 'they'} must be "
            f"{must_be}. The loss already carries any 1/{count} factor inside {upstream}, so dividing again shrinks "
            f"the gradient {count} times.")


def assigned_not_accumulated() -> str:
    return ("the weight gradients hold only the last step your loop visited (step 0): you assigned them at every "
            "step. The same weights act at every step, so add every step's share (+=) instead of assigning it.")


def bias_grad_from_upstream(name: str, grad: str, formula: str, upstream: str, over: str) -> str:
    return f"{name} is off: sum {grad} = {formula}, not {upstream}, over the {over}."


def input_gradient_not_stored(dx: str, x: str, share: str) -> str:
    return (f"{dx} is not filled in for every step: {x}[t] feeds step t, so store its share at every step, "
            f"{dx}[t] = {share}.")


def initial_gradient_zero(name: str, state: str, carried: str) -> str:
    return (f"{name} is zero, but {state} feeds the first step: return what that step sends back to it, the {carried} "
            "left after the loop.")


def derivative_of_the_previous_step(result: str, prev: str) -> str:
    return (f"{result} also went through the previous step's tanh, (1 - {prev}**2); that derivative belongs to step "
            f"t - 1's own backward pass, which applies it to what it receives: {result} = da @ W_hh.")


def not_summed_over_batch(name: str, shape: str, bias: str, bias_shape: str, grad: str) -> str:
    return (f"{name} has shape {shape}, one row per example, but {bias} has shape {bias_shape}: sum {grad} over the "
            f"examples (axis 0). The same {bias} is added to every example, so its gradient sums over them.")


# --- loops over time ----------------------------------------------------------------------------


def loop_runs_forwards() -> str:
    return ("your loop runs forwards, t = 0, 1, ...; the gradient flows from the last step back to the first, so "
            "step t needs what step t + 1 sent: for t in reversed(range(T)).")


def loop_runs_backwards(prev: str) -> str:
    return (f"your loop runs backwards in time, from step T down to step 1; a forward pass reads the sequence in "
            f"order, each step using the state {prev} that the step before it made: for t in range(1, T + 1).")


def no_carry(route: str, own: str, state: str, carry: str, into: str) -> str:
    return (f"no gradient is carried from later steps{route}: each step sees only its own {own}. {state} also feeds "
            f"step t + 1, so add what step t + 1 sends back ({carry}) to {into}.")


def initial_state_ignored(name: str, prev: str) -> str:
    return f"you ignored {name} and started from zeros; the first step uses {prev} = {name}."


def state_not_carried(first: str, prev: str, new: str) -> str:
    return (f"every step used {first} as its previous state: the new state never fed the next step. Update {prev} "
            f"inside the loop, so that step t + 1 sees {new}.")


def first_input_every_step(x: str) -> str:
    return f"every step reads the input of step 0, {x}[0]: index the input with the loop's t, {x}[t]."


def first_input_in_gradient(grad: str, x: str, da: str) -> str:
    return f"{grad} uses the input of step 0 at every step, {x}[0]: step t's share is {da}.T @ {x}[t]."


def current_state_for_previous(grad: str, da: str, current: str, previous: str, weight: str, first: str = "") -> str:
    at_first = f" ({first} at the first step)" if first else ""
    return (f"{grad} multiplies {da} by {current}, where {previous} belongs: the weight {weight} multiplied the "
            f"previous state in the forward pass, so its share is {da}.T @ {previous}{at_first}.")


def one_step_late(h: str, h0: str, x: str) -> str:
    return (f"your states are one step late (shifted by one step): {h}[0] is {h0} and {h}[t-1] holds the state "
            f"before step t. Store the new state after computing it, so that {h}[0] is the state after reading "
            f"{x}[0].")


# --- weights, biases, layouts -------------------------------------------------------------------


def weight_transposed(weight: str, wrote: str, meaning: str) -> str:
    return (f"{weight} is transposed: you computed {wrote}, i.e. {meaning}. Row i of {weight} holds the weights into "
            f"unit i. ({weight} is square, so the shape alone cannot catch this.)")


def backward_weight_transposed(result: str, weight: str, inp: str) -> str:
    return (f"{result} uses the transposed weight: the forward multiplied by {weight} (row form {inp} @ {weight}.T), "
            f"so the backward multiplies by {weight}^T (row form: the untransposed {weight}). {weight} is square, so "
            "the shape alone cannot catch this.")


def no_bias(bias: str, right: str) -> str:
    return f"you forgot the bias {bias}: {right}."


def bias_after_activation(bias: str, activation: str, right: str) -> str:
    return f"you added {bias} after {activation}; the bias belongs inside it: {right}."


def outputs_swapped(first: str, second: str, order: str) -> str:
    return f"{first} and {second} are swapped: return {order}."


def block_order(arrays: str, order: str, source: str, right: str) -> str:
    return f"you read the four blocks of {arrays} in the order {order}, {source}; here they are stacked {right}."


# --- the softmax --------------------------------------------------------------------------------


def softmax_wrong_axis(rows: str, classes: str) -> str:
    return (f"your softmax normalises each column (axis 0); each row is one {rows}'s distribution over the "
            f"{classes}: normalise along axis 1 (axis=1, keepdims=True).")


def softmax_whole_batch() -> str:
    return ("your softmax divides by one sum over the whole batch, so no row sums to 1; each row is one example's "
            "distribution: divide by its own sum, e.sum(axis=1, keepdims=True).")


# --- the LSTM cell ------------------------------------------------------------------------------


def input_gate_missing() -> str:
    return ("the input gate is missing from the cell update: c_t = f_t * c_{t-1} + g_t writes the whole candidate. "
            "i_t says how much of it to write: c_t = f_t * c_{t-1} + i_t * g_t.")
