"""The job phases seen by the telemetry graph, as plain data: spans (one phase of one job) and
marks (job start and end, error, OOM). No drawing here, so the graph can keep them before its
plots exist (`phases.PhaseOverlay` draws them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wan22_gui.core.jobs.phases import phase_title


@dataclass
class Span:
    """One phase of one job; `end` is None while it runs."""

    job_id: str
    phase: str
    start: float
    end: float | None = None
    detail: str = ""

    @property
    def title(self) -> str:
        return phase_title(self.phase)


@dataclass(frozen=True)
class Mark:
    job_id: str
    kind: str
    t: float
    detail: str = ""


class PhaseTrack:
    """The phases and marks seen so far (the newest `max_spans` spans are kept)."""

    def __init__(self, max_spans: int = 400) -> None:
        self.max_spans = max_spans
        self.spans: list[Span] = []
        self.marks: list[Mark] = []

    def add(self, event: Any) -> Span | Mark | None:
        """Record a PhaseEvent; returns the span or mark it created (None for a bare end)."""
        job, phase, state, t = event.job_id, event.phase, event.state, float(event.t)
        detail = getattr(event, "detail", "") or ""
        if state == "mark":
            mark = Mark(job, phase, t, detail)
            self.marks.append(mark)
            self.marks = self.marks[-self.max_spans:]
            if phase in ("job_end", "error", "oom"):
                self._close_job(job, t)
            return mark
        if state == "start":
            self._close(job, phase, t)  # a phase restarted without an end
            span = Span(job, phase, t, None, detail)
            self.spans.append(span)
            self.spans = self.spans[-self.max_spans:]
            return span
        self._close(job, phase, t)
        return None

    def span_at(self, t: float) -> Span | None:
        """The phase running at wall time `t` (the innermost, i.e. latest started)."""
        for span in reversed(self.spans):
            if span.start <= t and (span.end is None or t <= span.end):
                return span
        return None

    def last_job_range(self, now: float) -> tuple[float, float] | None:
        """(start, end) of the newest job: its start mark (or first phase) to its end or now."""
        starts = [m for m in self.marks if m.kind == "job_start"]
        job = starts[-1].job_id if starts else (self.spans[-1].job_id if self.spans else None)
        if job is None:
            return None
        times = [m.t for m in self.marks if m.job_id == job]
        times += [s.start for s in self.spans if s.job_id == job]
        ended = [m.t for m in self.marks if m.job_id == job and m.kind == "job_end"]
        return min(times), (max(ended) if ended else now)

    def _close(self, job: str, phase: str, t: float) -> None:
        for span in reversed(self.spans):
            if span.job_id == job and span.phase == phase and span.end is None:
                span.end = max(t, span.start)
                return

    def _close_job(self, job: str, t: float) -> None:
        for span in self.spans:
            if span.job_id == job and span.end is None:
                span.end = max(t, span.start)
