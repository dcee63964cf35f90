"""`wan22 interpolate`: the built-in engine from the command line, recorded in the history."""

from __future__ import annotations

from wan22_gui.cli.main import main
from wan22_gui.app import App
from wan22_gui.core.history import JobRecord
from wan22_gui.core.video.reader import probe
from wan22_gui.core.video.testclip import write_test_clip


def test_interpolates_a_job_output_and_links_it_to_the_job(app_paths, capsys, tmp_path):
    clip = write_test_clip(app_paths.output_dir / "gen.mp4", frames=9, fps=16, size=(64, 48))
    core = App.build(app_paths, history=True)
    core.history.add(JobRecord(job_id="gen1", status="succeeded", outputs=[str(clip)]))
    core.close()
    code = main(["interpolate", str(clip), "-m", "3", "--workers", "0",
                 "--compare", str(tmp_path / "side.mp4")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Optical flow ×3 (built-in)" in out and "0.52 s (25 frames) at 48 fps" in out
    assert probe(tmp_path / "side.mp4").fps == 48
    core = App.build(app_paths, history=True)
    try:
        [row] = core.history.children("gen1")
        assert row.kind == "interpolate" and row.status == "succeeded"
        assert probe(row.outputs[0]).frame_count == 25
    finally:
        core.close()


def test_bad_input_is_a_message_not_a_traceback(app_paths, capsys, tmp_path):
    assert main(["interpolate", str(tmp_path / "missing.mp4")]) == 1
    err = capsys.readouterr().err
    assert "missing.mp4" in err and "Traceback" not in err
    assert main(["interpolate", "--job", "nope"]) == 1
    assert "no job nope" in capsys.readouterr().err
