"""Expanding a spec into cells (image × resolution × frames × configuration) and planned runs.

A cell id is a hash of everything that changes a run's result (image file name and content,
size, frames, configuration settings, prompt, seed), so re-running an edited spec re-uses the cells
it kept and runs only the new ones. A configuration's name is a label and takes no part in the id;
the image's name does, so two copies of one picture stay two rows of the matrix.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from wan22_gui.core.bench.spec import BenchConfig, BenchSpec, LaunchConfig


@dataclass(frozen=True)
class Cell:
    """One combination of the matrix; it is run `spec.repeats` times."""

    cell_id: str
    image: Path
    width: int
    height: int
    frames: int
    config: BenchConfig

    @property
    def label(self) -> str:
        return f"{self.config.name} · {self.image.name} · {self.width}×{self.height} · {self.frames} f"


@dataclass(frozen=True)
class PlannedRun:
    """One run of a cell: a measured repeat, or a warm-up (recorded, left out of statistics)."""

    cell: Cell
    index: int
    warmup: bool = False
    session: str = ""  # warm-ups are tied to the session that needed them

    @property
    def key(self) -> str:
        if self.warmup:
            return f"{self.cell.cell_id}:w{self.session}-{self.index}"
        return f"{self.cell.cell_id}:r{self.index}"


def image_digest(path: Path) -> str:
    """File name + content hash of an image (name + path when it cannot be read, e.g. while
    editing a spec)."""
    path = Path(path)
    try:
        return f"{path.name}:{hashlib.sha1(path.read_bytes()).hexdigest()}"
    except OSError:
        return f"{path.name}:path:{path.as_posix()}"


def make_cell_id(spec: BenchSpec, digest: str, size: tuple[int, int], frames: int,
                 config: BenchConfig) -> str:
    identity = {
        "image": digest, "size": list(size), "frames": frames, "config": config.settings(),
        "prompt": spec.prompt, "negative": spec.negative_prompt, "seed": spec.seed,
        "fps": spec.fps,
    }
    blob = json.dumps(identity, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha1(blob).hexdigest()[:12]


def expand(spec: BenchSpec) -> list[Cell]:
    """All cells, in run order: grouped by launch flags (fewest restarts), then configuration,
    image and resolution, with frame counts rising (a likely OOM comes last in its row)."""
    images = list(spec.images)
    digests = {p: image_digest(p) for p in images}
    cells = []
    for config in _configs_by_launch(spec.configs):
        for image in images:
            for size in spec.resolutions:
                for frames in sorted(spec.frames):
                    cell_id = make_cell_id(spec, digests[image], size, frames, config)
                    cells.append(Cell(cell_id, image, size[0], size[1], frames, config))
    return cells


def measured_runs(spec: BenchSpec, cells: Iterable[Cell]) -> list[PlannedRun]:
    """The measured repeats of every cell, cell by cell."""
    return [PlannedRun(cell, i) for cell in cells for i in range(spec.repeats)]


def group_by_launch(runs: list[PlannedRun]) -> list[tuple[LaunchConfig, list[PlannedRun]]]:
    """Consecutive runs that need the same server launch, in order."""
    groups: list[tuple[LaunchConfig, list[PlannedRun]]] = []
    for run in runs:
        launch = run.cell.config.launch()
        if groups and groups[-1][0] == launch:
            groups[-1][1].append(run)
        else:
            groups.append((launch, [run]))
    return groups


def _configs_by_launch(configs: tuple[BenchConfig, ...]) -> list[BenchConfig]:
    order: dict[LaunchConfig, list[BenchConfig]] = {}
    for config in configs:
        order.setdefault(config.launch(), []).append(config)
    return [config for group in order.values() for config in group]
