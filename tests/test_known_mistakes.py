"""Every known mistake of the array exercises is named by its own sentence when a learner's answer computes
exactly it (so no mistake hides behind an earlier one, and each simulator runs), and the shared slips read the
same in every lesson."""

from __future__ import annotations

import pytest

from rnn_course.exercises import check, lesson01, lesson02, lesson03, lesson05, lesson07, slips

LISTS = {
    "01.dense_forward": lesson01.DENSE_FORWARD_MISTAKES,
    "01.dense_backward": lesson01.DENSE_BACKWARD_MISTAKES,
    "02.rnn_step": lesson02.STEP_MISTAKES,
    "02.rnn_forward": lesson02.FORWARD_MISTAKES,
    "02.rnn_step_backward": lesson02.STEP_BACKWARD_MISTAKES,
    "02.rnn_backward": lesson02.SEQUENCE_MISTAKES,
    "02.softmax_cross_entropy_backward": lesson02.XENT_MISTAKES,
    "03.step_jacobian": lesson03.JACOBIAN_MISTAKES,
    "05.forecast": lesson05.FORECAST_MISTAKES,
    "05.temperature_softmax": lesson05.TEMPERATURE_MISTAKES,
    "07.gru_step": lesson07.GRU_MISTAKES,
}
EVERY = [(name, k) for name, mistakes in LISTS.items() for k in range(len(mistakes))]


@pytest.mark.parametrize("name, k", EVERY, ids=[f"{n}-{k}" for n, k in EVERY])
def test_each_known_mistake_is_named_by_its_own_sentence(name, k):
    mistake = LISTS[name][k]
    result = check(name, mistake.compute)
    assert result.status == "wrong" and result.message == mistake.explanation, (result.message, mistake.explanation)


def test_a_shared_slip_reads_the_same_in_every_lesson():
    backward_lists = {"01.dense_backward", "02.rnn_step_backward", "02.rnn_backward"}
    for sentence in (slips.loop_runs_forwards(), slips.assigned_not_accumulated()):
        assert any(m.explanation == sentence for m in lesson02.SEQUENCE_MISTAKES)
    for name in backward_lists:
        texts = [m.explanation for m in LISTS[name]]
        assert any(t.startswith("you skipped the tanh derivative") for t in texts), name
        assert any(t.startswith("every gradient has the wrong sign") for t in texts), name
    assert slips.initial_state_ignored("h0", "h_prev") in [m.explanation for m in lesson02.FORWARD_MISTAKES]
    assert slips.initial_state_ignored("h0", "h_prev") in [m.explanation for m in lesson02.SEQUENCE_MISTAKES]
