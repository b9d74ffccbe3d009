"""The 1-D GAN runs its tiny ops on the calling thread alone without touching any other thread's
thread count (torch.set_num_threads would: new threads inherit what it stores)."""

import threading

import pytest
import torch

from dcgan_studio.core.gan1d import Gan1dTrainer, _omp_set_num_threads, _one_thread


def _count_in_a_new_thread() -> int:
    seen = []

    def first_torch_op() -> None:
        torch.zeros(4).add_(1)  # the thread's first op: torch sets its thread count here
        seen.append(torch.get_num_threads())

    thread = threading.Thread(target=first_torch_op)
    thread.start()
    thread.join()
    return seen[0]


@pytest.mark.skipif(torch.get_num_threads() == 1, reason="one CPU thread: nothing to limit")
def test_one_thread_is_the_callers_own_and_restored():
    if _omp_set_num_threads() is None:
        pytest.skip("no per-thread OpenMP setter on this platform: torch's defaults stay")
    default = _count_in_a_new_thread()
    before = torch.get_num_threads()
    with _one_thread():
        assert torch.get_num_threads() == 1
        # a thread born meanwhile (a DCGAN trainer starting) keeps the default
        assert _count_in_a_new_thread() == default
    assert torch.get_num_threads() == before


def test_a_trainer_stepping_on_another_thread_leaves_new_threads_alone():
    default = _count_in_a_new_thread()
    trainer, stop = Gan1dTrainer(), threading.Event()

    def play() -> None:
        while not stop.is_set():
            trainer.step()
            trainer.snapshot()

    player = threading.Thread(target=play)
    player.start()
    try:
        counts = [_count_in_a_new_thread() for _ in range(50)]
    finally:
        stop.set()
        player.join()
    assert trainer.step_count > 0
    assert counts == [default] * 50
