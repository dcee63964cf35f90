"""The app writes its own videos (interpolated clips, compare exports) as H.264 that keeps the
quality of the frames it computed, never as a half-written file under the final name."""

from __future__ import annotations

import builtins
import os

import numpy as np
import pytest

from wan22_gui.core.base.errors import Wan22Error
from wan22_gui.core.video.reader import probe, read_frames
from wan22_gui.core.video.testclip import TestScene
from wan22_gui.core.video.writer import ClipWriter


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float32) - b.astype(np.float32)) ** 2))
    return 10 * np.log10(255.0**2 / max(mse, 1e-9))


def _codec(path) -> str:
    import av

    with av.open(str(path)) as container:
        return container.streams.video[0].codec_context.name


def _write(dest, frames, fps=32):
    with ClipWriter(dest, fps, (frames[0].shape[1], frames[0].shape[0])) as out:
        for frame in frames:
            out.write(frame)
    return out


def test_clips_are_h264_and_keep_the_computed_frames(tmp_path):
    scene = TestScene(320, 192)
    frames = [scene.frame(i) for i in range(12)]
    out = _write(tmp_path / "clip.mp4", frames)

    assert out.codec == "h264" and _codec(tmp_path / "clip.mp4") == "h264"
    info = probe(tmp_path / "clip.mp4")
    assert (info.width, info.height, info.frame_count) == (320, 192, 12)
    assert info.fps == pytest.approx(32, abs=0.01)
    decoded = list(read_frames(tmp_path / "clip.mp4"))
    # mp4v and any 4:2:0 encoding lose ~5 dB more on such colour noise than full chroma.
    assert min(_psnr(a, b) for a, b in zip(frames, decoded)) > 34  # mp4v: 30.3 dB here


def test_an_odd_sized_clip_keeps_its_size(tmp_path):
    frames = [TestScene(321, 193).frame(i) for i in range(3)]
    _write(tmp_path / "odd.mp4", frames)
    info = probe(tmp_path / "odd.mp4")
    assert (info.width, info.height, info.frame_count) == (321, 193, 3)


def test_fractional_rates_are_kept(tmp_path):
    frames = [TestScene(64, 64).frame(i) for i in range(4)]
    _write(tmp_path / "ntsc.mp4", frames, fps=30000 / 1001)
    assert probe(tmp_path / "ntsc.mp4").fps == pytest.approx(29.97, abs=0.01)


def test_a_failed_block_leaves_no_file_at_all(tmp_path):
    frame = TestScene(64, 64).frame(0)
    with pytest.raises(RuntimeError):
        with ClipWriter(tmp_path / "clip.mp4", 16, (64, 64)) as out:
            out.write(frame)
            raise RuntimeError("cancelled")
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_unwritable_folder_is_explained(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(Wan22Error, match="Cannot write video clip.mp4") as caught:
            ClipWriter(folder / "clip.mp4", 16, (64, 64)).__enter__()
        assert "writable" in caught.value.hint
    finally:
        folder.chmod(0o700)


def test_without_pyav_the_clip_is_still_written(tmp_path, monkeypatch, caplog):
    real_import = builtins.__import__

    def no_av(name, *args, **kwargs):
        if name == "av" or name.startswith("av."):
            raise ImportError("no av")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_av)
    frames = [TestScene(64, 64).frame(i) for i in range(3)]
    out = _write(tmp_path / "clip.mp4", frames)
    monkeypatch.undo()
    assert out.codec == "mp4v"
    assert probe(tmp_path / "clip.mp4").frame_count == 3
    assert "H.264 encoding is unavailable" in caplog.text


def _pix_fmt(path) -> str:
    import av

    with av.open(str(path)) as container:
        return container.streams.video[0].codec_context.pix_fmt


def test_app_clips_keep_full_chroma_and_shared_videos_use_4_2_0(tmp_path):
    frames = [TestScene(64, 64).frame(i) for i in range(3)]
    _write(tmp_path / "clip.mp4", frames)
    with ClipWriter(tmp_path / "share.mp4", 16, (64, 64), full_chroma=False) as out:
        for frame in frames:
            out.write(frame)
    assert _pix_fmt(tmp_path / "clip.mp4") == "yuv444p"
    assert _pix_fmt(tmp_path / "share.mp4") == "yuv420p"
