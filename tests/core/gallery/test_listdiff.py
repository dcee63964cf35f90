"""The gallery's list edit: removals, insertions and changed rows, or a re-layout."""

from __future__ import annotations

from wan22_gui.core.gallery.listdiff import ListDiff, diff


def _apply(old, new, edit: ListDiff):
    """What a list model does with the edit (removals, then insertions)."""
    rows = list(old)
    for first, last in edit.removed:
        del rows[first:last + 1]
    for first, last in edit.inserted:
        rows[first:first] = new[first:last + 1]
    return rows


def test_one_changed_row_is_only_that_row():
    old = [("a", 1), ("b", 1), ("c", 1)]
    new = [("a", 1), ("b", 2), ("c", 1)]
    assert diff(old, new, key=lambda t: t[0]) == ListDiff(changed=((1, 1),))
    assert diff(old, list(old), key=lambda t: t[0]).empty


def test_insertions_and_removals_keep_the_rows_between():
    old = [(k, 0) for k in "abcdef"]
    new = [(k, 0) for k in "xabdyzf"]
    edit = diff(old, new, key=lambda t: t[0])
    assert not edit.relayout and edit.removed == ((4, 4), (2, 2))
    assert edit.inserted == ((0, 0), (4, 5))
    assert [k for k, _ in _apply(old, new, edit)] == list("xabdyzf")


def test_a_new_order_is_a_relayout():
    old = [(k, 0) for k in "abc"]
    assert diff(old, list(reversed(old)), key=lambda t: t[0]).relayout
