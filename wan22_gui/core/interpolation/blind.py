"""Blind A/B judging of two clips: which one is shown as A is drawn at random, the user picks
A, B or Same, and the tally per pair of clips is kept in a small JSON file in the app's data
folder (`blind_ab.json`), so verdicts add up across sessions.
"""

from __future__ import annotations

import json
import os
import random
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from wan22_gui.core.base.errors import InputError, StorageError, storage_reason

FILE_NAME = "blind_ab.json"
CHOICES = ("a", "b", "same")


@dataclass(frozen=True)
class BlindRound:
    """One blind showing: `shown[0]` is A, `shown[1]` is B (paths, as the user gave them)."""

    shown: tuple[str, str]

    @classmethod
    def draw(cls, first: Path, second: Path, rng: random.Random | None = None) -> "BlindRound":
        pair = [str(first), str(second)]
        (rng or random.SystemRandom()).shuffle(pair)
        return cls((pair[0], pair[1]))

    def winner(self, choice: str) -> str | None:
        """The clip picked ('a' → whatever was A); None for 'same'."""
        if choice not in CHOICES:
            raise InputError(f"Unknown choice {choice!r}.", "Pick A, B or Same.")
        return None if choice == "same" else self.shown[0 if choice == "a" else 1]


@dataclass(frozen=True)
class PairTally:
    """Verdicts for one pair of clips (the order of `clips` is fixed: sorted paths)."""

    clips: tuple[str, str]
    wins: tuple[int, int]
    same: int

    @property
    def rounds(self) -> int:
        return self.wins[0] + self.wins[1] + self.same

    def wins_of(self, clip: Path | str) -> int:
        return self.wins[self.clips.index(str(clip))]

    def text(self, titles: dict[str, str] | None = None) -> str:
        """'RIFE ×2 3 · FILM ×2 1 · same 2 (6 rounds)'."""
        names = [(titles or {}).get(c, Path(c).name) for c in self.clips]
        return (f"{names[0]} {self.wins[0]} · {names[1]} {self.wins[1]} · same {self.same} "
                f"({self.rounds} round{'s' if self.rounds != 1 else ''})")

    def to_dict(self) -> dict:
        return asdict(self)


class BlindTally:
    """The stored tallies. Thread-safe; every `record` is written through (atomic replace)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    @classmethod
    def in_folder(cls, data_dir: Path) -> "BlindTally":
        return cls(Path(data_dir) / FILE_NAME)

    def record(self, round_: BlindRound, choice: str) -> PairTally:
        """Count the user's verdict on `round_` and return the pair's tally.

        Raises:
            InputError: an unknown choice. StorageError: the file cannot be written.
        """
        winner = round_.winner(choice)
        key = _key(*round_.shown)
        with self._lock:
            data = self._load()
            entry = data.setdefault(key, {"clips": sorted(round_.shown), "wins": [0, 0], "same": 0})
            if winner is None:
                entry["same"] += 1
            else:
                entry["wins"][entry["clips"].index(winner)] += 1
            self._save(data)
        return _tally(entry)

    def tally(self, first: Path | str, second: Path | str) -> PairTally:
        """The verdicts so far for this pair (zeros if never judged)."""
        with self._lock:
            entry = self._load().get(_key(str(first), str(second)))
        if entry is None:
            return PairTally(tuple(sorted((str(first), str(second)))), (0, 0), 0)  # type: ignore[arg-type]
        return _tally(entry)

    def _load(self) -> dict:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError):
            # a damaged tally is moved aside, not lost, and counting starts again
            try:
                self.path.replace(self.path.with_suffix(".json.corrupt"))
            except OSError:
                pass
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self, data: dict) -> None:
        temp = self.path.with_suffix(".json.tmp")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temp.write_text(json.dumps(data, indent=1), encoding="utf-8")
            os.replace(temp, self.path)
        except OSError as exc:
            raise StorageError(f"Cannot save the blind A/B tally in {self.path}: "
                               f"{storage_reason(exc)}.", "Free some space or fix the "
                               "folder's permissions; the verdict was not counted.") from None


def _key(first: str, second: str) -> str:
    return "\n".join(sorted((first, second)))


def _tally(entry: dict) -> PairTally:
    clips = entry["clips"]
    return PairTally((clips[0], clips[1]), (int(entry["wins"][0]), int(entry["wins"][1])),
                     int(entry["same"]))
