"""The smallest edit from the gallery's shown list to the next one, for a list model.

A view that is told "these rows went, these came, these changed" keeps its selection, its
scroll position and every tile it already painted; a reset would lose all three and repaint
thousands of tiles. When the rows that stay also change their order (the user re-sorted, or a
sort by length met new facts) the edit is a re-layout instead.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ListDiff:
    """How `new` follows from `old`.

    Attributes:
        removed: (first, last) ranges of old rows that go, last range first (apply in order).
        inserted: (first, last) ranges of rows of the new list that come, first range first
            (apply in order, after the removals).
        changed: (first, last) ranges of new rows whose item changed in place.
        relayout: the rows that stay are in another order; then only this flag counts.
    """

    removed: tuple[tuple[int, int], ...] = ()
    inserted: tuple[tuple[int, int], ...] = ()
    changed: tuple[tuple[int, int], ...] = ()
    relayout: bool = False

    @property
    def empty(self) -> bool:
        return not (self.removed or self.inserted or self.changed or self.relayout)


def diff(old: Sequence[Any], new: Sequence[Any], key: Callable[[Any], Hashable]) -> ListDiff:
    """The edit from `old` to `new`, items matched by `key`, compared with `==`."""
    old_keys = [key(item) for item in old]
    new_keys = [key(item) for item in new]
    if old_keys == new_keys:
        return ListDiff(changed=_ranges(i for i, (a, b) in enumerate(zip(old, new)) if a is not b and a != b))
    new_set, old_set = set(new_keys), set(old_keys)
    if len(new_set) != len(new_keys) or len(old_set) != len(old_keys):
        return ListDiff(relayout=True)  # duplicate keys: no row identity to keep
    staying_old = [k for k in old_keys if k in new_set]
    staying_new = [k for k in new_keys if k in old_set]
    if staying_old != staying_new:
        return ListDiff(relayout=True)
    removed = _ranges(i for i, k in enumerate(old_keys) if k not in new_set)
    inserted = _ranges(i for i, k in enumerate(new_keys) if k not in old_set)
    old_by_key = {k: old[i] for i, k in enumerate(old_keys)}
    changed = _ranges(i for i, k in enumerate(new_keys)
                      if k in old_by_key and old_by_key[k] is not new[i] and old_by_key[k] != new[i])
    return ListDiff(tuple(reversed(removed)), inserted, changed)


def _ranges(indices) -> tuple[tuple[int, int], ...]:
    """Consecutive runs of ascending indices as (first, last) pairs."""
    runs: list[list[int]] = []
    for i in indices:
        if runs and runs[-1][1] == i - 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return tuple((a, b) for a, b in runs)
