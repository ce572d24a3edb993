"""The same study on every executor gives identical answers, and the parallel ones really are."""

from __future__ import annotations

from time import sleep as time_sleep

import pandas as pd
import pytest

from elcart_sim.capacity import DaskExecutor, ProcessExecutor, SerialExecutor, make_executor, sweep
from elcart_sim.capacity.executors import worker_identity
from elcart_sim.core.errors import CapacityError

GRID = {"switch.servers": [1, 4]}


@pytest.fixture(scope="module")
def serial_frame(tiny_scenario):
    with SerialExecutor() as executor:
        return sweep(tiny_scenario, GRID, 3, executor=executor)


def test_serial_equals_local_processes(tiny_scenario, serial_frame):
    with ProcessExecutor(2) as executor:
        workers = set(executor.map(worker_identity, range(8)))
        frame = sweep(tiny_scenario, GRID, 3, executor=executor)
    assert worker_identity() not in workers and len(workers) == 2  # the work ran in two other processes
    pd.testing.assert_frame_equal(serial_frame, frame, check_exact=True)


def test_serial_equals_a_local_dask_cluster(tiny_scenario, serial_frame):
    with DaskExecutor("local", workers=2) as executor:
        workers = set(executor.map(worker_identity, range(8)))
        frame = sweep(tiny_scenario, GRID, 3, executor=executor)
        assert len(executor.client.scheduler_info()["workers"]) == 2
    assert worker_identity() not in workers and len(workers) == 2
    pd.testing.assert_frame_equal(serial_frame, frame, check_exact=True)


def test_answers_come_back_in_the_items_order():
    with ProcessExecutor(2) as executor:
        assert executor.map(abs, [-3, 1, -2, 0, -7]) == [3, 1, 2, 0, 7]
    assert SerialExecutor().map(abs, []) == []


def test_make_executor_follows_the_command_line():
    assert isinstance(make_executor(1), SerialExecutor)
    processes = make_executor(3)
    assert isinstance(processes, ProcessExecutor) and processes.workers == 3
    dask = make_executor(2, "local")
    assert isinstance(dask, DaskExecutor) and dask.address is None and dask.workers == 2
    assert make_executor(1, "tcp://scheduler:8786").address == "tcp://scheduler:8786"
    with pytest.raises(CapacityError, match="workers must be >= 1, got 0"):
        make_executor(0)


def test_an_unreachable_scheduler_is_a_clear_error():
    with DaskExecutor("tcp://127.0.0.1:9", connect_timeout_s=0.5) as executor:
        with pytest.raises(CapacityError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
            executor.map(abs, [1])


def test_progress_is_a_line_per_finished_map_when_stderr_is_not_a_terminal(capsys):
    assert SerialExecutor().map(abs, [-1, -2], progress=True, desc="sweep") == [1, 2]
    assert capsys.readouterr().err.startswith("sweep: 2 runs done in ")
    assert SerialExecutor().map(abs, [-1, -2], desc="sweep") == [1, 2]
    assert capsys.readouterr().err == ""


def test_ctrl_c_during_a_process_map_stops_its_workers():
    import os
    import signal
    import threading

    import psutil

    executor = ProcessExecutor(2)
    executor.map(abs, [1, 2])  # the pool and its workers are up
    workers = [psutil.Process(pid) for pid in executor._pool._processes]
    threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT)).start()  # Ctrl-C while the workers sleep
    with pytest.raises(KeyboardInterrupt):
        executor.map(time_sleep, [30.0, 30.0, 30.0])
    assert executor._pool is None
    assert not any(w.is_running() and w.status() != psutil.STATUS_ZOMBIE for w in workers)
    executor.close()  # nothing left to do


def test_executors_say_where_they_run():
    assert str(SerialExecutor()) == "this process, serially"
    assert str(ProcessExecutor(2)) == "2 local processes"
    assert str(DaskExecutor("local", workers=3)) == "a local Dask cluster of 3 workers"
    assert str(DaskExecutor("tcp://10.0.0.5:8786")) == "the Dask cluster at tcp://10.0.0.5:8786"
