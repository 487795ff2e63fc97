"""Small-cell suppression: the rule of suppression.py, cell by cell and against subtraction."""

import itertools

from tongban.opendata.suppression import THRESHOLD, suppress_group


def test_five_is_shown_four_is_not():
    assert suppress_group([5]) == ([5], 5)
    assert suppress_group([4]) == ([None], None)


def test_zero_is_published_and_describes_nobody():
    assert suppress_group([0, 12]) == ([0, 12], 12)


def test_no_small_cell_means_nothing_hidden():
    assert suppress_group([5, 9, 30]) == ([5, 9, 30], 44)


def test_one_small_cell_takes_the_smallest_other_with_it():
    # 3 alone would be total − 6 − 40; hiding 6 too leaves only 3 + 6 = 9 recoverable.
    assert suppress_group([40, 3, 6]) == ([40, None, None], 49)


def test_two_small_cells_below_threshold_together_hide_a_third():
    # 1 + 2 = 3 < 5: the difference would still single out fewer than 5 cases.
    assert suppress_group([1, 2, 7, 20]) == ([None, None, None, 20], 30)


def test_two_small_cells_summing_to_threshold_are_enough():
    assert suppress_group([2, 3, 8]) == ([None, None, 8], 13)


def test_single_item_group_hides_its_total_too():
    assert suppress_group([3]) == ([None], None)
    assert suppress_group([3, 0]) == ([None, 0], None)


def test_small_total_is_hidden():
    assert suppress_group([2, 2]) == ([None, None], None)


def test_no_hidden_cell_can_be_recovered_by_subtraction():
    """For every group of up to four cells: published cells are never small, and if the total is
    published, total minus the published cells is 0 (nothing hidden) or the sum of ≥ 2 hidden
    cells that together reach the threshold."""
    for size in range(1, 5):
        for cells in itertools.product([0, 1, 2, 4, 5, 6, 11], repeat=size):
            published, total = suppress_group(list(cells))
            assert all(v is None or v == 0 or v >= THRESHOLD for v in published), cells
            assert total is None or total == 0 or total >= THRESHOLD, cells
            hidden = [c for c, p in zip(cells, published, strict=True) if p is None]
            assert all(p == c for c, p in zip(cells, published, strict=True) if p is not None), cells
            if total is not None and hidden:
                remainder = total - sum(p for p in published if p is not None)
                assert len(hidden) >= 2 and remainder >= THRESHOLD, cells
