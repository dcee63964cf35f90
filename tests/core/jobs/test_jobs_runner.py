"""The job runner against a scripted ComfyUI: the cases that are hard to provoke on a real one
(OOM in a given pass, a server dying mid-job, a cancel racing the start of a prompt).

The end-to-end path against the stand-in server is in test_jobs_standin.py.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PIL import Image

from wan22_gui.core.comfy import events as ev
from wan22_gui.core.comfy.types import (
    HistoryEntry, QueueItem, QueueState, UploadedFile,
)
from wan22_gui.core.comfy.watcher import JobHandle, PromptOutcome
from wan22_gui.core.base.errors import ServerUnavailable
from wan22_gui.core.comfy.prompt import FollowTimes
from wan22_gui.core.jobs.runner import JobRunner
from wan22_gui.core.workflow.spec import JobSpec

# Execution order of the 4-step template's nodes (what ComfyUI does for this graph).
ORDER = ["84", "93", "89", "90", "97", "98", "95", "101", "104", "86", "96", "102", "103", "85",
         "87", "94", "108"]
SAMPLERS = {"86", "85"}
FAST = FollowTimes(poll=0.02, cancel_retry=0.05)


class FakeWatcher:
    def __init__(self):
        self.handles: dict[str, JobHandle] = {}
        self.forgotten: list[str] = []

    def watch(self, prompt_id):
        return self.handles.setdefault(prompt_id, JobHandle(prompt_id))

    def forget(self, prompt_id):
        self.forgotten.append(prompt_id)


class FakeComfy:
    """Plays a Wan run the way ComfyUI reports it. `hold` keeps a prompt waiting in the queue."""

    base_url = "http://fake-comfy:8188"

    def __init__(self, *, oom_at=None, die_at=None, step_pause=0.0):
        self.watcher = FakeWatcher()
        self.oom_at, self.die_at, self.step_pause = oom_at, die_at, step_pause
        self.hold = threading.Event()
        self.hold.set()
        self.alive = True
        self.pending: list[str] = []
        self.running: str | None = None
        self.entries: dict[str, HistoryEntry] = {}
        self.graphs: dict[str, dict] = {}
        self.interrupted: set[str] = set()
        self.calls: list[str] = []
        self.threads: list[threading.Thread] = []

    def _check(self):
        if not self.alive:
            raise ServerUnavailable("ComfyUI at fake-comfy does not answer.", "Start it.")

    def system_stats(self):
        self._check()
        return {}

    def upload_image(self, path):
        self._check()
        return UploadedFile(Path(path).name)

    def queue_prompt(self, graph, *, prompt_id=None, **_):
        self._check()
        self.graphs[prompt_id] = graph
        self.pending.append(prompt_id)
        thread = threading.Thread(target=self._play, args=(prompt_id,), daemon=True)
        self.threads.append(thread)
        thread.start()

    def get_queue(self):
        self._check()
        item = lambda pid: QueueItem(0, pid, {}, {}, [])  # noqa: E731
        return QueueState([item(self.running)] if self.running else [],
                          [item(p) for p in self.pending])

    def delete_from_queue(self, ids):
        self.calls.append(f"delete {ids}")
        self.pending = [p for p in self.pending if p not in ids]

    def interrupt(self, prompt_id=None):
        self.calls.append(f"interrupt {prompt_id}")
        if prompt_id is not None and prompt_id == self.running:
            self.interrupted.add(prompt_id)

    def history(self, prompt_id):
        self._check()
        return self.entries.get(prompt_id)

    def download(self, ref, dest_dir, *, name=None):
        dest = Path(dest_dir) / (name or ref.filename)
        while dest.exists():
            dest = dest.with_name(dest.stem + " (1)" + dest.suffix)
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(b"fake mp4")
        return dest

    # -- the "server" thread --------------------------------------------------------------

    def _play(self, pid):
        self.hold.wait(5)
        if pid not in self.pending:
            return  # deleted while waiting
        self.pending.remove(pid)
        self.running = pid
        handle = self.watcher.handles[pid]
        emit = lambda e: (handle._record(e), handle.events.emit(e))  # noqa: E731
        emit(ev.ExecutionStart(pid))
        graph = self.graphs[pid]
        for node in [n for n in ORDER if n in graph]:
            emit(ev.Executing(pid, node, node))
            if node == self.die_at:
                self.alive = False
                handle._finish(PromptOutcome(pid, "lost", message="stopped answering"))
                return
            if node == self.oom_at:
                return self._end(handle, "error", ev.ExecutionError.from_data({
                    "prompt_id": pid, "node_id": node, "node_type": graph[node]["class_type"],
                    "exception_type": "torch.OutOfMemoryError",
                    "exception_message": "CUDA out of memory. Tried to allocate 2.00 GiB"}))
            if node in SAMPLERS:
                for step in (1, 2):
                    if pid in self.interrupted:
                        return self._end(handle, "interrupted",
                                         ev.ExecutionInterrupted(pid, node, "KSamplerAdvanced"))
                    threading.Event().wait(self.step_pause)
                    emit(ev.Progress(pid, node, step, 2))
        prefix = graph["108"]["inputs"]["filename_prefix"]
        out = {"images": [{"filename": prefix.split("/")[-1] + "_00001_.mp4",
                           "subfolder": "video", "type": "output"}]}
        emit(ev.Executed(pid, "108", "108", out))
        self._end(handle, "success", ev.ExecutionSuccess(pid), outputs={"108": out})

    def _end(self, handle, status, event, outputs=None):
        pid = handle.prompt_id
        handle._record(event)
        handle.events.emit(event)
        messages = []
        if isinstance(event, ev.ExecutionError):
            messages = [["execution_error", {"node_id": event.node_id, "node_type": event.node_type,
                                             "exception_type": event.exception_type,
                                             "exception_message": event.exception_message}]]
        elif isinstance(event, ev.ExecutionInterrupted):
            messages = [["execution_interrupted", {"node_id": event.node_id}]]
        entry = HistoryEntry.from_json(pid, {
            "outputs": outputs or {},
            "status": {"status_str": "success" if status == "success" else "error",
                       "completed": status == "success", "messages": messages}})
        self.entries[pid] = entry
        self.running = None
        handle._record(ev.Executing(pid, None))
        handle.events.emit(ev.Executing(pid, None))
        handle._finish(PromptOutcome(pid, status, entry, entry.error,
                                     outputs=tuple(entry.output_files)))

    def join(self):
        for t in self.threads:
            t.join(5)


@pytest.fixture
def image(tmp_path):
    path = tmp_path / "Dragon warrior.jpg"
    Image.new("RGB", (832, 1216), (10, 80, 160)).save(path)
    return path


def make_runner(fake, store, tmp_path, **kw):
    runner = JobRunner(fake, fake.watcher, store, tmp_path / "out", times=FAST, **kw)
    seen = {"phase": [], "progress": [], "finished": []}
    runner.phase.connect(seen["phase"].append)
    runner.progress.connect(lambda *a: seen["progress"].append(a))
    runner.finished.connect(seen["finished"].append)
    return runner, seen


def spec_for(image, **kw):
    return JobSpec(image=str(image), prompt="the dragon turns its head", width=320, height=480,
                   frames=17, **kw)


def test_a_successful_job_is_recorded_with_timings_and_its_file(image, store, tmp_path):
    fake = FakeComfy()
    runner, seen = make_runner(fake, store, tmp_path, preset="rtx4090",
                               metrics_fn=lambda t0, t1, evs: {"peak_vram_bytes": 7, "n": len(evs)})
    result = runner.run(spec_for(image))
    fake.join()
    assert result.status == "succeeded", result.error
    assert [p.name for p in result.outputs] == ["Dragon warrior_320x480_1.06s_4step_lora.mp4"]
    assert result.outputs[0].read_bytes() == b"fake mp4"
    rec = store.get(result.job_id)
    assert rec.status == "succeeded" and rec.outputs == [str(result.outputs[0])]
    assert rec.server_url == fake.base_url and rec.preset == "rtx4090"
    assert rec.graph == fake.graphs[rec.prompt_id]  # the exact graph sent
    assert rec.params["seed"] is not None  # the drawn seed is kept, so the clip can be redone
    assert rec.graph["86"]["inputs"]["noise_seed"] == rec.params["seed"]
    for phase in ("upload", "queued", "text_encode", "model_load", "high_noise", "low_noise",
                  "vae_decode", "save", "download"):
        assert phase in rec.timings, phase
    assert {n["node_id"] for n in rec.node_timings} >= {"86", "85", "87"}
    assert rec.metrics["peak_vram_bytes"] == 7
    assert [(p[1], p[2], p[3]) for p in seen["progress"]] == [
        ("high_noise", 1, 2), ("high_noise", 2, 2), ("low_noise", 1, 2), ("low_noise", 2, 2)]
    marks = [e.phase for e in seen["phase"] if e.state == "mark"]
    assert marks[0] == "job_start" and marks[-1] == "job_end"
    assert seen["finished"] == [result]


def test_oom_in_the_low_noise_pass_fails_with_the_phase_and_a_fix(image, store, tmp_path):
    fake = FakeComfy(oom_at="85")
    runner, seen = make_runner(fake, store, tmp_path)
    result = runner.run(spec_for(image).replace(frames=81))
    fake.join()
    assert result.status == "failed" and result.oom and result.reason == "oom"
    rec = store.get(result.job_id)
    assert "low-noise pass" in rec.error["message"]
    assert rec.error["fix"] == {"frames": 65}
    assert "oom" in [e.phase for e in seen["phase"] if e.state == "mark"]
    assert rec.timings["high_noise"] >= 0 and "low_noise" in rec.timings


def test_server_dying_mid_job_fails_it_with_the_last_log_lines(image, store, tmp_path):
    fake = FakeComfy(die_at="86")
    runner, _ = make_runner(fake, store, tmp_path,
                            log_tail_fn=lambda: ["Sampling...", "Killed"])
    result = runner.run(spec_for(image))
    fake.join()
    rec = store.get(result.job_id)
    assert result.status == "failed" and result.reason == "crash"
    assert "stopped while running this job during the high-noise pass" in rec.error["message"]
    assert rec.error["log_tail"] == ["Sampling...", "Killed"]


def test_cancel_while_waiting_in_comfyui_queue_removes_the_prompt(image, store, tmp_path):
    fake = FakeComfy()
    fake.hold.clear()  # another job occupies the server: ours waits
    runner, _ = make_runner(fake, store, tmp_path)
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("r", runner.run(spec_for(image))))
    thread.start()
    while not fake.pending:
        threading.Event().wait(0.01)
    job_id = store.list()[0].job_id
    assert runner.cancel(job_id)
    thread.join(10)
    fake.hold.set()
    fake.join()
    assert box["r"].status == "cancelled"
    assert any(c.startswith("delete") for c in fake.calls)
    assert not any(c.startswith("interrupt") for c in fake.calls)
    assert store.get(job_id).status == "cancelled"


def test_cancel_while_running_interrupts_only_that_prompt(image, store, tmp_path):
    fake = FakeComfy(step_pause=0.5)  # slow steps: the cancel lands mid-pass even when loaded
    runner, seen = make_runner(fake, store, tmp_path)
    box = {}
    thread = threading.Thread(target=lambda: box.setdefault("r", runner.run(spec_for(image))))
    thread.start()
    while not seen["progress"]:
        threading.Event().wait(0.01)
    job_id = store.list()[0].job_id
    runner.cancel(job_id)
    thread.join(10)
    fake.join()
    pid = store.get(job_id).prompt_id
    assert box["r"].status == "cancelled"
    assert f"interrupt {pid}" in fake.calls  # targeted, never a global interrupt
    assert "interrupt None" not in fake.calls


def test_bad_image_fails_before_anything_is_sent(tmp_path, store):
    bad = tmp_path / "notes.jpg"
    bad.write_text("not a picture")
    fake = FakeComfy()
    runner, _ = make_runner(fake, store, tmp_path)
    result = runner.run(spec_for(bad))
    assert result.status == "failed" and result.reason == "input"
    assert "not an image" in store.get(result.job_id).error["message"]
    assert not fake.graphs


def test_dead_server_before_upload_is_reported_as_unavailable(image, store, tmp_path):
    fake = FakeComfy()
    fake.alive = False
    runner, _ = make_runner(fake, store, tmp_path)
    result = runner.run(spec_for(image))
    assert result.reason == "server_unavailable" and not result.submitted
    assert "does not answer" in result.error


def test_recover_reads_the_end_of_a_job_from_server_history(image, store, tmp_path):
    fake = FakeComfy()
    runner, _ = make_runner(fake, store, tmp_path)
    done = runner.run(spec_for(image))
    fake.join()
    # pretend the app died while the job ran: the row says running, outputs unknown
    store.update(done.job_id, status="running", outputs=[], finished_at=None)
    result = runner.recover(store.get(done.job_id))
    rec = store.get(done.job_id)
    assert result.status == "succeeded" and rec.status == "succeeded"
    assert len(rec.outputs) == 1 and Path(rec.outputs[0]).name.endswith(" (1).mp4")


def test_recover_marks_an_unknown_prompt_failed(store, tmp_path):
    from wan22_gui.core.history import JobRecord

    store.add(JobRecord(job_id="j-old", status="running", prompt_id="gone",
                        params=JobSpec(image="x.png").to_dict()))
    fake = FakeComfy()
    runner, _ = make_runner(fake, store, tmp_path)
    result = runner.recover(store.get("j-old"))
    assert result.status == "failed" and result.reason == "lost"
    assert "no longer knows" in store.get("j-old").error["message"]


@pytest.mark.parametrize("break_graph, words", [
    (lambda g: g["87"]["inputs"].update(samples=["999", 0]),
     "input 'samples': it is connected to node #999, which is not in the workflow"),
    (lambda g: g["86"]["inputs"].update(latent_image=["85", 0]), "closes a loop"),
], ids=["dangling_link", "cycle"])
def test_a_graph_with_a_dangling_link_or_a_loop_is_never_sent(break_graph, words, image, store,
                                                              tmp_path):
    """The GUI queue and the CLI share this check: ComfyUI's own answers name the wrong input
    ("KeyError") or only say "Prompt outputs failed validation"."""
    from wan22_gui.core.workflow.builder import build_wan_i2v

    def build(spec, image_name):
        built = build_wan_i2v(spec, image_name)
        break_graph(built.graph)
        return built

    fake = FakeComfy()
    runner, _ = make_runner(fake, store, tmp_path)
    result = runner.run(spec_for(image), build=build)
    assert result.status == "failed" and result.reason == "input"
    assert words in store.get(result.job_id).error["message"]
    assert fake.graphs == {}  # nothing reached the server


def test_a_damaged_model_file_is_named_with_its_folder(image, store, tmp_path):
    from wan22_gui.core.jobs import failures

    info = failures.node_error({}, "model_load", "90", "VAELoader",
                               "safetensors._safetensors_rust.SafetensorError",
                               "Error while deserializing header: header too small",
                               inputs={"vae_name": ["wan_2.1_vae.safetensors"]})
    assert "'wan_2.1_vae.safetensors' in ComfyUI's models/vae/" in info["hint"]
