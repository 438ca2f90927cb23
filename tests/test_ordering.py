"""Putting things in order by hand: one rule for Toolkit entries, survey questions and newsletter blocks."""
from dataclasses import dataclass

from community import ordering


@dataclass
class Thing:
    name: str
    position: int


def _names(items):
    return [item.name for item in sorted(items, key=lambda item: item.position)]


def test_moving_swaps_neighbours_and_numbers_everything_densely():
    items = [Thing("a", 3), Thing("b", 7), Thing("c", 20)]  # gaps left by deletions
    moved = ordering.move(items, items[2], -1)
    assert [t.name for t in moved] == ["a", "c", "b"]
    assert [(t.name, t.position) for t in moved] == [("a", 1), ("c", 2), ("b", 3)]
    assert _names(ordering.move(moved, moved[0], +1, start=0)) == ["c", "a", "b"]


def test_moving_past_either_end_changes_nothing_but_the_numbering():
    items = [Thing("a", 1), Thing("b", 2)]
    assert _names(ordering.move(items, items[0], -1)) == ["a", "b"]
    assert _names(ordering.move(items, items[1], +1)) == ["a", "b"]
