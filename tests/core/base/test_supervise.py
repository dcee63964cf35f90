"""The supervisor keeps a worker loop going after an exception, with a growing back-off."""

from __future__ import annotations

from wan22_gui.core.base.messages import MessageBus
from wan22_gui.core.base.supervise import Backoff, Supervisor


def test_backoff_doubles_up_to_its_maximum():
    backoff = Backoff(initial_s=0.5, max_s=3.0)
    assert [backoff.delay(n) for n in range(5)] == [0.0, 0.5, 1.0, 2.0, 3.0]


def test_run_goes_on_after_exceptions_and_waits_longer_while_they_repeat():
    turns, waits, errors = iter(["boom", "boom", "ok", "boom", "stop"]), [], []

    def step():
        turn = next(turns)
        if turn == "boom":
            raise RuntimeError("boom")
        return turn != "stop"

    supervisor = Supervisor("the test loop", on_error=errors.append,
                            backoff=Backoff(initial_s=1.0, max_s=8.0))
    supervisor.run(step, wait=waits.append)
    assert waits == [1.0, 2.0, 1.0]  # the streak was reset by the good turn
    assert [str(e) for e in errors] == ["boom"] * 3


def test_the_first_failure_of_a_streak_reaches_the_bus_once():
    bus, posted = MessageBus(), []
    bus.posted.connect(posted.append)
    supervisor = Supervisor("the sampler", bus=bus)
    assert not supervisor.guard(_fail)
    assert not supervisor.guard(_fail)
    assert supervisor.failures == 2
    assert len(posted) == 1 and posted[0].where == "the sampler"
    assert supervisor.guard(lambda: None) and supervisor.failures == 0


def test_a_failing_error_handler_does_not_end_the_loop():
    turns = iter([True, False])

    def step():
        if next(turns):
            raise ValueError("first")
        return False

    def bad_handler(exc):
        raise RuntimeError("handler")

    Supervisor("x", on_error=bad_handler).run(step, wait=lambda s: None)


def _fail():
    raise ValueError("nope")
