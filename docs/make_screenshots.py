"""Regenerate every screenshot in docs/images/ from the real app window, offscreen.

    python docs/make_screenshots.py                 (writes docs/images/*.png)
    python docs/make_screenshots.py --out /some/dir
    python docs/make_screenshots.py --only generate  (only guide_generate_*.png)

It opens the real main window against the stand-in ComfyUI from the test suite (so it needs a
source checkout: tests/fakes/) and a fake RTX 4090 whose memory follows the job phases, runs
two real jobs through the app's queue (the second followed by RIFE ×2), interpolates the first
clip with the built-in engine, runs a small benchmark, and takes a picture of each area along
the way, each in the dark and the light theme with the window at 1920×1080 and at 1280×720:
main_window_<size>_<theme>.png (the README's) and guide_<area>_<size>_<theme>.png (the user
guide's), e.g. guide_generate_1280x720_dark.png. Other pictures in docs/images come from the
panels' own tests and from bench/show_recorded_run.py.

Nothing touches your real settings or history: the run works in a temporary folder. The paths
the pictures show are relative to it ("Videos/Wan22Studio/…", "Pictures/lighthouse.jpg"), so no
temporary folder's name appears in them.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the app and the stand-in (tests/fakes/) from this checkout

from wan22_gui.core.workflow.loras import LoraUse  # noqa: E402 (after the path above)
IMAGES = ROOT / "docs" / "images"
MAX_BYTES = 300_000  # keep each PNG small enough for the repository and a web page
JOB_TIMEOUT_S = 120.0
SIZES = ((1920, 1080), (1280, 720))  # the window (or a picture's own window) for each shot
THEMES = ("dark", "light")
AREAS = ("generate", "telemetry", "launcher", "gallery", "compare", "benchmark")
FLOATING_HEIGHT = 0.45  # a floated dock's height, as a share of the picture's size
SLOW_NODES = {  # seconds per node on the stand-in, so each phase is wide enough to see
    "CLIPLoader": 0.6, "CLIPTextEncode": 0.4, "UNETLoader": 1.0, "VAELoader": 0.2,
    "VAEDecode": 1.2, "CreateVideo": 0.3, "SaveVideo": 0.5,
}
BENCH_SPEC = """\
name = "Lighthouse: 4-step LoRA vs 20 steps"
images = ["{image}"]
resolutions = ["336x480"]
frames = [17, 25]
repeats = 2
warmup = 0
prompt = "The lighthouse lamp sweeps across the bay"
seed = 42

[[configs]]
name = "4-step LoRA"
lora = true

[[configs]]
name = "20 steps, no LoRA"
lora = false
"""
SHOWN_LORA = LoraUse("lighthouse_glow.safetensors", 1.0, 0.6)
PROMPT = "The lighthouse keeper's lamp sweeps across the bay as waves roll in, clouds drift by"
# relative to the run's working folder, so the pictures show these instead of a temporary path
PICTURE = Path("Pictures", "lighthouse.jpg")
VIDEOS = Path("Videos", "Wan22Studio")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=IMAGES, help="folder for the PNGs")
    parser.add_argument("--only", choices=AREAS, help="take only this area's pictures (the "
                        "session stops after them)")
    args = parser.parse_args(argv)
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    sys.path.insert(0, str(ROOT))  # the stand-in server and fake NVML live in tests/
    with tempfile.TemporaryDirectory(prefix="wan22-shots-") as home:
        os.environ["WAN22_HOME"] = str(Path(home, "app"))
        os.environ.pop("WAN22_CONFIG", None)
        out = args.out.resolve()
        previous = Path.cwd()
        os.chdir(home)  # relative paths in the pictures (PICTURE, VIDEOS, the benchmark's)
        try:
            written = Shooter(Path(home), out, only=args.only).run()
        finally:
            os.chdir(previous)
    for path in written:
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}  "
              f"{path.stat().st_size // 1024} KB")
    return 0


def start_image(path: Path) -> Path:
    """A painted seaside scene (a start image that reads as a photo at thumbnail size)."""
    from PIL import Image, ImageDraw, ImageFilter

    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = 832, 1216
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):  # dusk sky into sea
        t = y / height
        sky = (int(40 + 180 * t), int(60 + 90 * t), int(120 + 60 * (1 - t)))
        sea = (int(20 + 30 * t), int(60 + 40 * t), int(90 + 40 * t))
        draw.line([(0, y), (width, y)], fill=sky if y < height * 0.58 else sea)
    draw.ellipse((520, 260, 680, 420), fill=(255, 214, 140))
    draw.polygon([(0, 760), (230, 560), (420, 740), (0, 800)], fill=(44, 52, 60))
    draw.rectangle((150, 430, 200, 640), fill=(235, 232, 220))
    draw.rectangle((150, 500, 200, 530), fill=(180, 40, 40))
    draw.polygon([(140, 430), (175, 395), (210, 430)], fill=(180, 40, 40))
    draw.polygon([(175, 412), (832, 330), (832, 470)], fill=(255, 236, 170))
    for row in range(12):  # wave crests
        y = 720 + row * 42
        for x in range(-40, width, 90):
            draw.arc((x + row * 17 % 90, y, x + row * 17 % 90 + 80, y + 22), 200, 340,
                     fill=(200, 220, 235), width=3)
    image.filter(ImageFilter.GaussianBlur(1.2)).save(path, quality=92)
    return path


def warn_without_cjk_font() -> None:
    """The default negative prompt is Chinese: without a font for it the Generate pictures show
    a row of boxes. Say so (the README names the package), so nobody commits such pictures."""
    from PySide6.QtGui import QFontDatabase

    if not QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese):
        print("warning: no font for Chinese is installed: the negative prompt in the Generate "
              "pictures will show as boxes (install fonts-noto-cjk first)", file=sys.stderr)


class Shooter:
    """Drives the window through a session and saves the pictures."""

    def __init__(self, home: Path, out: Path, only: str | None = None) -> None:
        self.home = home
        self.out = out
        self.only = only  # None: every picture; else one area's (guide_<area>_*.png)
        self.written: list[Path] = []

    def run(self) -> list[Path]:
        from PySide6.QtWidgets import QApplication

        from tests.core.telemetry_helpers import PhaseDrivenGpu
        from tests.fakes.comfy_standin import StandinServer, add_model_file, install_wan_models
        from tests.fakes.fake_nvml import make_nvml
        from wan22_gui import APP_NAME
        from wan22_gui.app import App, Given
        from wan22_gui.core.base.paths import AppPaths
        from wan22_gui.core.telemetry.nvml import Nvml
        from wan22_gui.gui.app import app_icon
        from wan22_gui.gui.context import AppContext
        from wan22_gui.gui.mainwindow import MainWindow
        from wan22_gui.gui.tasks import TaskRunner

        self.app = QApplication.instance() or QApplication([sys.argv[0]])
        self.app.setApplicationName(APP_NAME)
        self.app.setWindowIcon(app_icon())
        warn_without_cjk_font()
        self.out.mkdir(parents=True, exist_ok=True)
        comfy_root = self.home / "comfyui"
        install_wan_models(comfy_root)
        add_model_file(comfy_root, "loras", SHOWN_LORA.name)  # one of the user's own
        server = StandinServer(comfy_root)
        server.extra_nodes.add_app_nodes()  # RIFE/FILM after generation
        server.faults.update(step_seconds=0.8, node_seconds_by_class=SLOW_NODES,
                             preview=True)  # like ComfyUI started with --preview-method
        server.start()
        gpu = PhaseDrivenGpu()
        core = App.for_gui(dataclasses.replace(AppPaths.default(), output_dir=VIDEOS),
                           given=Given(nvml=Nvml(make_nvml(gpu.gpu()), register_atexit=False)))
        core.jobs.phase.connect(gpu.on_phase)
        ctx = AppContext(app=core, tasks=TaskRunner())
        window = MainWindow(ctx)
        try:
            window.resize(1600, 1000)
            window.show()
            window.ensure_panels()  # tabs build their panels when first shown; the session uses all
            self.wait(1.0)
            self.session(window, server, PICTURE)
        finally:
            window.close()
            window.shutdown_panels()
            ctx.tasks.shutdown()
            core.close()
            server.stop()
        return self.written

    # --- the session --------------------------------------------------------------------------

    def session(self, window, server, picture: Path) -> None:
        from PySide6.QtWidgets import QDockWidget

        from wan22_gui.core.comfy.connection import ServerInfo
        from wan22_gui.core.workflow.spec import JobSpec

        core = window.ctx.app
        url = server.url
        start_image(picture)
        self.attach(window, url)
        core.connection.set(ServerInfo(url, "attached", os.getpid(), 4.0))
        self.fill_form(window, picture)
        self.wait(2.0)  # an idle stretch at the start of the GPU graph
        first = core.jobs.add(JobSpec(image=str(picture), prompt=PROMPT, width=336, height=480,
                                      frames=17), label="lighthouse, first take")
        second = core.jobs.add(JobSpec(image=str(picture), prompt=PROMPT, width=336, height=480,
                                       frames=25, seed=7, interpolation="rife"),
                               label="lighthouse, longer")
        core.jobs.start()
        self.wait_for(lambda: self.status(core, first.job_id) not in ("pending", "queued",
                                                                        "running"), "first job")
        server.faults.update(step_seconds=2.5)  # a slower second job, to catch it mid-pass
        self.wait_for(lambda: self.status(core, second.job_id) == "running", "second job start")
        self.wait_for(lambda: "pass" in self.progress_text(window), "high-noise pass")
        self.wait(1.0)
        self.show_tab(window, "Generate")
        self.graph_window(window, "1 min")
        self.shot("main_window.png", window)
        self.shot("guide_generate.png", window.panels.get("generate"))
        if self.only == "generate":
            return
        self.wait_for(lambda: self.status(core, second.job_id) not in ("pending", "queued",
                                                                         "running"), "second job")
        self.wait(2.0)
        self.graph_window(window, "1 min")  # both jobs with the idle time around them
        telemetry = window.panels.get("telemetry")
        dock = telemetry.parentWidget() if telemetry is not None else None
        if isinstance(dock, QDockWidget):  # float it to give the graph a useful height
            dock.setFloating(True)
            self.wait(0.8)
        self.shot("guide_telemetry.png", telemetry)
        if isinstance(dock, QDockWidget):
            dock.setFloating(False)
            self.wait(0.3)
        launcher = window.panels.get("launcher")
        self.shot("guide_launcher.png", launcher.parentWidget() if launcher is not None else None)
        self.gallery(window, first.job_id)
        if "benchmark" in window.panels:
            if isinstance(dock, QDockWidget):
                dock.hide()  # as View → Live GPU does: the results table gets the height
            self.show_tab(window, "Benchmark")
            server.faults.update(step_seconds=0.1, node_seconds_by_class={})
            self.benchmark(window.panels["benchmark"], picture)
            self.shot("guide_benchmark.png", window.panels["benchmark"])

    def benchmark(self, panel, picture: Path) -> None:
        """Run a small real matrix on the stand-in so the results table has rows.

        Paths are relative to the temporary home (the working folder of this run), so the picture
        shows "benchmarks/lighthouse" rather than a temporary folder's name.
        """
        Path("lighthouse.toml").write_text(BENCH_SPEC.format(image=picture.as_posix()),
                                           encoding="utf-8")
        try:
            panel.editor.load(Path("lighthouse.toml"))
            panel.out_dir.setText("benchmarks/lighthouse")
            self.wait(0.5)
            panel.start()
            self.wait_for(lambda: not panel.cancel_button.isEnabled(), "benchmark")
        except AttributeError as exc:
            print(f"make_screenshots: the Benchmark panel changed ({exc}); shown as it opens",
                  file=sys.stderr)
        self.wait(1.0)

    def attach(self, window, url: str) -> None:
        """Attach the launcher to the stand-in the way a user would (if the panel can)."""
        server = getattr(window.ctx.app, "server", None)
        attach = getattr(server, "attach", None)
        if callable(attach):
            try:
                attach(url)
            except Exception as exc:  # the picture is still useful without it
                print(f"make_screenshots: attaching the launcher failed: {exc}", file=sys.stderr)
        self.wait(1.0)

    def fill_form(self, window, picture: Path) -> None:
        form = getattr(window.panels.get("generate"), "form", None)
        if form is None:
            return
        try:
            form.image.load(picture)
            form.prompt.setPlainText(PROMPT)
            form.loras.add_lora(SHOWN_LORA)
        except AttributeError as exc:
            print(f"make_screenshots: the Generate form changed ({exc}); left empty",
                  file=sys.stderr)
        self.wait(1.5)

    def gallery(self, window, job_id: str) -> None:
        panel = window.panels.get("gallery")
        if panel is None:
            return
        self.show_tab(window, "Gallery")
        core = window.ctx.app
        record = core.history.get(job_id)
        if record is not None and record.outputs and hasattr(panel, "start_interpolation"):
            self.wait_for(lambda: bool(getattr(panel, "all_clips", None)), "gallery clips")
            clip = next((c for c in panel.all_clips if getattr(c, "job_id", None) == job_id), None)
            if clip is not None:
                before = len(core.history.list())
                panel.start_interpolation(clip, "builtin", 2)
                self.wait_for(lambda: len(core.history.list()) > before and not panel._busy(),
                              "interpolation")
        self.wait(2.0)  # thumbnails load in the background
        rows = [i for i, c in enumerate(panel.grid.clips()) if getattr(c, "job_id", None) == job_id]
        if rows:
            panel.grid.select_row(rows[0])
        self.wait(1.0)
        self.shot("guide_gallery.png", panel)
        view = panel.compare() if hasattr(panel, "compare") else None
        if view is not None:
            view.resize(*SIZES[0])
            self.wait(2.5)  # the players decode their first frames in the background
            self.shot("guide_compare.png", view)
            view.close()
            self.wait(0.5)

    # --- helpers ------------------------------------------------------------------------------

    def graph_window(self, window, title: str) -> None:
        """Pick the time span the Live GPU graph shows (by its title in the panel's box)."""
        panel = window.panels.get("telemetry")
        box = getattr(panel, "window_box", None)
        if box is None:
            return
        index = box.findText(title)
        if index >= 0:
            box.setCurrentIndex(index)
            panel.refresh()
            self.wait(0.5)

    @staticmethod
    def progress_text(window) -> str:
        progress = getattr(window.panels.get("generate"), "progress", None)
        label = getattr(progress, "step_text", None)
        return label.text() if label is not None else "pass"  # panel changed: don't wait

    @staticmethod
    def status(core, job_id: str) -> str:
        record = core.history.get(job_id)
        return record.status if record is not None else "missing"

    @staticmethod
    def show_tab(window, title: str) -> None:
        for index in range(window.tabs.count()):
            if window.tabs.tabText(index) == title:
                window.tabs.setCurrentIndex(index)

    def wait(self, seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.processEvents()
            time.sleep(0.02)

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        end = time.monotonic() + JOB_TIMEOUT_S
        while not condition():
            if time.monotonic() > end:
                raise SystemExit(f"make_screenshots: gave up waiting for the {what}")
            self.wait(0.1)

    def shot(self, name: str, widget) -> None:
        """`name` in every theme and size: its window is resized, the theme applied, then the
        widget grabbed (guide_x.png -> guide_x_1920x1080_dark.png, ...)."""
        from wan22_gui.gui import theme

        if self.only and not name.startswith(f"guide_{self.only}"):
            return
        if widget is None:
            print(f"make_screenshots: no widget for {name}; skipped", file=sys.stderr)
            return
        top = widget.window()
        before = top.size()
        stem = Path(name).stem
        for look in THEMES:
            theme.apply(look)
            for width, height in SIZES:
                floating = top.objectName().endswith("_dock")  # a dock floated for its picture
                top.resize(width, int(height * FLOATING_HEIGHT) if floating else height)
                self.wait(0.6)  # layouts settle; the graph and the tiles redraw
                path = self.out / f"{stem}_{width}x{height}_{look}.png"
                save_small_png(widget.grab().toImage(), path)
                self.written.append(path)
        top.resize(before)
        theme.apply("light")
        self.wait(0.3)


def save_small_png(qimage, path: Path) -> None:
    """Save as PNG; above MAX_BYTES, with a 256-colour palette (UI pictures lose nothing visible)."""
    import io

    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    qimage.save(buffer, "PNG")
    data = bytes(buffer.data().data())
    if len(data) > MAX_BYTES:
        picture = Image.open(io.BytesIO(data)).convert("RGB")
        out = io.BytesIO()
        picture.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            out, "PNG", optimize=True)
        data = out.getvalue()
    path.write_bytes(data)


if __name__ == "__main__":
    sys.exit(main())
