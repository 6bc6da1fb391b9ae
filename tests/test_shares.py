"""Sharing items out between forked processes (tide.shares)."""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

from tide.shares import Claims, every

CLAIMS: list[Claims] = []  # inherited by the forked workers


def _taken(slow: float) -> list[int]:
    share = CLAIMS[0].share()
    taken = []
    for index in range(1000):
        if share(index):
            taken.append(index)
            time.sleep(slow)  # one worker slower than the other
    return taken


def test_every_item_is_made_once_and_a_slower_process_makes_fewer() -> None:
    CLAIMS[:] = [Claims(block=8)]
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        fast, slow = pool.submit(_taken, 0.0001), pool.submit(_taken, 0.002)
        mine, theirs = fast.result(), slow.result()
    assert sorted(mine + theirs) == list(range(1000))  # each index once
    assert len(mine) > len(theirs)


def test_one_process_takes_every_item_in_order() -> None:
    share = Claims(block=3).share()
    assert [i for i in range(10) if share(i)] == list(range(10))
    assert all(every(i) for i in range(5))
