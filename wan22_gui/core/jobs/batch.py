"""Batch from a folder: every image of a folder (or a selection) becomes a job on the app's
queue, with one prompt for all, a per-image prompt (a sidecar `image.txt`, or a CSV
`image,prompt[,negative,seed]`), seeds fixed, incremented or random, and an optional sweep
(seed × shift × steps split) that makes a grid of jobs per image.

A queued batch is remembered in `<data>/batches/<batch_id>.json` (its jobs and their sweep
values), so its contact sheet (`core/video/contact_sheet.py`) can be made when it finishes or
later (`wan22 batch --contact-sheet BATCH_ID`).
"""

from __future__ import annotations

import csv
import itertools
import json
import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from wan22_gui.core.base.errors import InputError, StorageError, Wan22Error, storage_reason
from wan22_gui.core.workflow import limits
from wan22_gui.core.workflow.calculator import fit_to_aspect
from wan22_gui.core.workflow.spec import JobSpec

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff")
SEED_POLICIES = ("fixed", "increment", "random")
MAX_JOBS = 1000  # a sweep typo (seed=1..10000) should not flood the queue


@dataclass(frozen=True)
class Sweep:
    """The values to cross per image; a None entry means 'the job's own value'."""

    seeds: tuple[int | None, ...] = (None,)
    shifts: tuple[float | None, ...] = (None,)
    splits: tuple[tuple[int, int] | None, ...] = (None,)  # (high-noise steps, low-noise steps)

    @property
    def size(self) -> int:
        return len(self.seeds) * len(self.shifts) * len(self.splits)

    def cells(self):
        return itertools.product(self.seeds, self.shifts, self.splits)


def parse_sweep(words: list[str]) -> Sweep:
    """`["shift=5,8", "split=2/2,3/1", "seed=1,2"]` → Sweep. Raises InputError naming the
    word that is wrong and what a right one looks like."""
    found: dict[str, tuple] = {}
    for word in words:
        name, _, values = word.partition("=")
        name = name.strip().lower()
        items = [v.strip() for v in values.split(",") if v.strip()]
        if name not in ("seed", "shift", "split") or not items:
            raise InputError(f"Sweep {word!r} is not understood.",
                             "Write NAME=V1,V2 with NAME seed, shift or split, e.g. "
                             "shift=5,8 split=2/2,3/1 seed=1,2.")
        if name in found:
            raise InputError(f"The sweep names {name} twice.", "Put all its values in one word.")
        try:
            found[name] = tuple(_sweep_value(name, v) for v in items)
        except ValueError:
            raise InputError(f"Sweep {word!r}: {items!r} are not all valid {name} values.",
                             "Seeds are whole numbers, shifts numbers, splits HIGH/LOW steps "
                             "such as 2/2.") from None
    return Sweep(seeds=found.get("seed", (None,)), shifts=found.get("shift", (None,)),
                 splits=found.get("split", (None,)))


def _sweep_value(name: str, text: str) -> int | float | tuple[int, int]:
    value: int | float | tuple[int, int]
    if name == "seed":
        value = int(text)
        problem = limits.SEED.problem(value)
    elif name == "shift":
        value = float(text)
        problem = limits.SHIFT.problem(value)
    else:
        high, low = (int(p) for p in text.split("/"))
        if high < 1 or low < 1:
            raise ValueError(text)
        value = (high, low)
        problem = limits.STEPS.problem(high + low)
    if problem:
        raise ValueError(problem)
    return value


@dataclass(frozen=True)
class ImagePrompt:
    """One image of the batch and what its jobs say (None: the batch's)."""

    image: Path
    prompt: str | None = None
    negative: str | None = None
    seed: int | None = None


def images_in(folder: Path) -> list[Path]:
    """The images directly in `folder`, sorted by name. Raises InputError for a missing or
    empty folder, or one without images."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"{folder} is not a folder.", "Give the folder that holds the images.")
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise InputError(f"The folder {folder} is empty.", "Put the start images in it first.")
    images = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES]
    if not images:
        raise InputError(f"The folder {folder} has no images (of {len(files)} files).",
                         f"Images are {', '.join(IMAGE_SUFFIXES)} files.")
    return images


def with_sidecars(images: list[Path]) -> list[ImagePrompt]:
    """Each image with the prompt of its sidecar text file (`dragon.png` → `dragon.txt`) when
    there is one."""
    out = []
    for image in images:
        sidecar = image.with_suffix(".txt")
        text = sidecar.read_text(encoding="utf-8", errors="replace").strip() if sidecar.is_file() else None
        out.append(ImagePrompt(image, text or None))
    return out


def read_prompt_csv(path: Path, base: Path | None = None) -> list[ImagePrompt]:
    """Rows `image,prompt[,negative,seed]` (a header row naming `image` is skipped); image
    names are relative to `base` (default: the CSV's folder). Raises InputError for an
    unreadable CSV, bad rows, or images that are not there (all named at once)."""
    base = Path(base) if base is not None else Path(path).parent
    try:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            rows = [r for r in csv.reader(handle) if any(cell.strip() for cell in r)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"Cannot read the prompts CSV {path}: {exc}.",
                         "Give a UTF-8 CSV with columns image,prompt[,negative,seed].") from None
    if rows and rows[0][0].strip().lower() == "image":
        rows = rows[1:]
    if not rows:
        raise InputError(f"The prompts CSV {path} has no rows.",
                         "Write one line per image: image,prompt[,negative,seed].")
    out, missing = [], []
    for number, row in enumerate(rows, start=1):
        if len(row) < 2:
            raise InputError(f"{Path(path).name}, row {number}: needs at least image,prompt.")
        image = Path(row[0].strip())
        image = image if image.is_absolute() else base / image
        if not image.is_file():
            missing.append(row[0].strip())
        seed = None
        if len(row) > 3 and row[3].strip():
            try:
                seed = int(row[3])
            except ValueError:
                raise InputError(f"{Path(path).name}, row {number}: seed {row[3]!r} is not a "
                                 "whole number.") from None
        negative = row[2].strip() if len(row) > 2 and row[2].strip() else None
        out.append(ImagePrompt(image, row[1].strip(), negative, seed))
    if missing:
        raise InputError(f"The prompts CSV names {len(missing)} image(s) that are not in {base}: "
                         f"{', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}.",
                         "Fix the names in the CSV or put the images there.")
    return out


@dataclass(frozen=True)
class BatchSettings:
    """What every job of the batch shares. `width`/`height` None: fit each image's shape
    with its longer side `max_side`. `base` (the Generate form's job) gives everything else
    (models, steps, CFG, LoRA strengths, interpolation); without it the template's values."""

    prompt: str = ""
    negative_prompt: str | None = None
    frames: int = 81
    width: int | None = None
    height: int | None = None
    max_side: int = 832
    use_lora: bool = True
    seed_policy: str = "random"
    seed: int | None = None
    sweep: Sweep = field(default_factory=Sweep)
    base: JobSpec | None = None


@dataclass(frozen=True)
class BatchItem:
    spec: JobSpec
    label: str
    values: dict  # image, seed, shift, split: what the contact sheet writes under the frame


@dataclass(frozen=True)
class BatchPlan:
    batch_id: str
    items: list[BatchItem]


def plan_batch(entries: list[ImagePrompt], settings: BatchSettings, *,
               rng: random.Random | None = None) -> BatchPlan:
    """The jobs of the batch, in order (per image, the sweep's grid). Raises InputError for a
    seed policy that is not known, an empty selection, or more than MAX_JOBS jobs."""
    from wan22_gui.core.images import load_image

    if settings.seed_policy not in SEED_POLICIES:
        raise InputError(f"Unknown seed policy {settings.seed_policy!r}.",
                         f"Use one of: {', '.join(SEED_POLICIES)}.")
    if not entries:
        raise InputError("No images were selected for the batch.")
    total = len(entries) * settings.sweep.size
    if total > MAX_JOBS:
        raise InputError(f"The batch would make {total} jobs (at most {MAX_JOBS}).",
                         "Use fewer images or fewer sweep values.")
    rng = rng or random.Random()
    base_seed = settings.seed if settings.seed is not None else rng.randrange(2 ** 32)
    batch_id = time.strftime("batch-%Y%m%d-%H%M%S") + f"-{rng.randrange(16 ** 4):04x}"
    items = []
    for index, entry in enumerate(entries):
        image = load_image(entry.image)  # refuses broken files before anything is queued
        width, height = settings.width, settings.height
        if width is None or height is None:
            width, height = fit_to_aspect(image.width, image.height, settings.max_side)
        for seed, shift, split in settings.sweep.cells():
            job_seed = seed if seed is not None else entry.seed if entry.seed is not None else (
                _policy_seed(settings.seed_policy, base_seed, index, rng))
            spec = _job(settings, image.path, entry, width, height, job_seed, shift, split)
            negative = entry.negative if entry.negative is not None else settings.negative_prompt
            if negative is not None:
                spec = spec.replace(negative_prompt=negative)
            problems = spec.problems()
            if problems:
                raise InputError(f"{image.path.name}: {' '.join(problems)}")
            values = {"image": image.path.name, "seed": job_seed, "shift": shift,
                      "split": f"{split[0]}/{split[1]}" if split else None}
            items.append(BatchItem(spec, _label(batch_id, values), values))
    return BatchPlan(batch_id, items)


def _job(settings: BatchSettings, image: Path, entry: ImagePrompt, width: int, height: int,
         seed: int, shift: float | None, split: tuple[int, int] | None) -> JobSpec:
    prompt = entry.prompt if entry.prompt is not None else settings.prompt
    fields: dict = {"image": str(image), "prompt": prompt, "width": width, "height": height,
                    "seed": seed}
    if shift is not None:
        fields["shift"] = shift
    if split is not None:
        fields.update(steps=sum(split), split_step=split[0])
    if settings.base is not None:
        return settings.base.replace(**fields)
    return JobSpec(frames=settings.frames, use_lora=settings.use_lora, **fields)


def _policy_seed(policy: str, base: int, index: int, rng: random.Random) -> int:
    if policy == "fixed":
        return base
    if policy == "increment":
        return (base + index) % (2 ** 64)
    return rng.randrange(2 ** 32)


def _label(batch_id: str, values: dict) -> str:
    parts = [values["image"], f"seed {values['seed']}"]
    if values["shift"] is not None:
        parts.append(f"shift {values['shift']:g}")
    if values["split"] is not None:
        parts.append(f"split {values['split']}")
    return f"Batch {batch_id}: {' · '.join(parts)}"


# -- the stored batch ---------------------------------------------------------------------


def manifest_path(data_dir: Path, batch_id: str) -> Path:
    return Path(data_dir) / "batches" / f"{batch_id}.json"


def queue_batch(plan: BatchPlan, queue, data_dir: Path) -> list[str]:
    """Put the plan's jobs on `queue` (a JobQueue) and remember the batch. Returns the job ids."""
    job_ids = [queue.add(item.spec, label=item.label).job_id for item in plan.items]
    manifest = {"batch_id": plan.batch_id, "created_at": time.time(),
                "jobs": [{"job_id": job_id, "label": item.label, **item.values}
                         for job_id, item in zip(job_ids, plan.items)]}
    path = manifest_path(data_dir, plan.batch_id)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    except OSError as exc:
        raise StorageError(f"The batch's jobs are queued, but its list could not be saved in "
                           f"{path}: {storage_reason(exc)}.", "The contact sheet cannot be made "
                           "for this batch; free some space for the next one.") from None
    return job_ids


def load_manifest(data_dir: Path, batch_id: str) -> dict:
    """The stored batch. Raises InputError for an unknown batch id."""
    path = manifest_path(data_dir, batch_id)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"There is no batch {batch_id}.",
                         "The batch id is printed when a batch is queued.") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"The batch list {path} cannot be read: {exc}.") from None


def write_contact_sheet(manifest: dict, history, dest: Path) -> Path:
    """One PNG grid of the first frames of the batch's results, labelled with the image and
    the sweep values (failed or unfinished jobs get a grey cell saying so)."""
    from wan22_gui.core.video.contact_sheet import SheetCell, contact_sheet

    cells = []
    for job in manifest["jobs"]:
        record = history.get(job["job_id"])
        video = Path(record.outputs[0]) if record is not None and record.outputs else None
        lines = [job["image"], f"seed {job['seed']}"]
        extra = [f"shift {job['shift']:g}" if job.get("shift") is not None else "",
                 f"split {job['split']}" if job.get("split") else ""]
        if any(extra):
            lines.append(" ".join(e for e in extra if e))
        status = record.status if record is not None else "removed"
        cells.append(SheetCell(video, lines, None if video else status))
    return contact_sheet(cells, dest, title=f"{manifest['batch_id']} ({len(cells)} jobs)")


class SheetWhenDone:
    """Writes a queued batch's contact sheet once all its jobs have finished (on the queue's
    worker thread) and then publishes `written(path)` or `failed(Wan22Error)`."""

    def __init__(self, queue, history, data_dir: Path, sheet_dir: Path, batch_id: str,
                 job_ids: list[str]) -> None:
        from wan22_gui.core.base.signals import Signal

        self.written = Signal()
        self.failed = Signal()
        self._queue, self._history = queue, history
        self._data_dir, self._dest = Path(data_dir), Path(sheet_dir) / f"{batch_id}_contact.png"
        self._batch_id = batch_id
        self._waiting = set(job_ids)
        self.path: Path | None = None  # the sheet, once written
        self._lock = threading.Lock()
        queue.finished.connect(self._on_finished)

    def _on_finished(self, result) -> None:
        with self._lock:
            if result.job_id not in self._waiting:
                return
            self._waiting.discard(result.job_id)
            if self._waiting:
                return
        self._queue.finished.disconnect(self._on_finished)
        try:
            path = write_contact_sheet(load_manifest(self._data_dir, self._batch_id),
                                       self._history, self._dest)
        except Wan22Error as exc:
            self.failed.emit(exc)
            return
        self.path = path
        self.written.emit(path)


def batch_estimate(plan: BatchPlan, history_rows: list) -> tuple[float, int]:
    """Seconds the batch should take by the history's runs of similar jobs, and how many of
    its jobs that covers (the rest have no estimate yet)."""
    from wan22_gui.core.workflow.estimate import estimate

    total, known = 0.0, 0
    for item in plan.items:
        s = item.spec
        found = estimate(history_rows, s.width, s.height, s.frames, s.use_lora,
                         steps=s.sampling().steps, cfg=s.sampling().cfg)
        if found is not None:
            total += found.seconds
            known += 1
    return total, known


def estimate_words(plan: BatchPlan, seconds: float, known: int) -> str:
    """'about 12 min for the 6 jobs' / '… for 4 of the 6 jobs (2 have no estimate yet)'."""
    from wan22_gui.core.workflow.calculator import format_seconds

    count = len(plan.items)
    if not known:
        return "no estimate yet (no similar jobs in the history)"
    if known == count:
        return f"about {format_seconds(seconds)} for the {count} jobs"
    return f"about {format_seconds(seconds)} for {known} of the {count} jobs ({count - known} have no estimate yet)"


def batch_summary(plan: BatchPlan) -> list[str]:
    """One line per job, for --dry-run and the dialog's preview."""
    return [f"{i + 1:>3}. {item.label.split(': ', 1)[1]} · {item.spec.width}×{item.spec.height}"
            f" · {item.spec.frames} frames · \"{_short(item.spec.prompt)}\""
            for i, item in enumerate(plan.items)]


def _short(text: str, n: int = 40) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
