"""How commands end when the user does something ordinary: Ctrl-C, an output folder that cannot
be written, output piped into `head`. One line, a documented exit status, no traceback, no
process left behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from elcart_sim.cli import main
from elcart_sim.cli.interrupts import EXIT_INTERRUPTED

ROOT = Path(__file__).resolve().parents[1]
WRITING_COMMANDS = {
    "run": ["run", "--scale", "0.001", "--no-plots"],
    "replicate": ["replicate", "--scale", "0.001", "--replications", "2", "--workers", "1"],
    "sweep": ["sweep", "--scale", "0.001", "--set", "switch.servers=2,4", "--replications", "2", "--workers", "1"],
    "size": ["size", "--scale", "0.001", "--workers", "1"],
    "validate": ["validate", "--workers", "1"],
    "report": ["report", "--scale", "0.001", "--replications", "2", "--workers", "1"],
    "drill": ["drill", "--scale", "0.001", "--runs", "1", "--faults", "none"],
}


class Command:
    """`elcart-sim ARGS` in a session of its own, its stderr collected line by line."""

    def __init__(self, *args: str):
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "elcart_sim.cli", *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def descendants(self) -> dict[psutil.Process, str]:
        """The processes the command started that still run, with their command lines."""
        try:
            children = psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return {}
        found = {}
        for child in children:
            try:
                found[child] = " ".join(child.cmdline())
            except psutil.Error:  # ended meanwhile
                continue
        return found

    def wait_until(self, condition, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while not condition():
            assert self.process.poll() is None, f"ended early: {self.lines}"
            assert time.monotonic() < deadline, f"condition not met in {timeout_s} s: {self.lines}"
            time.sleep(0.1)

    def interrupt(self, *, whole_group: bool) -> tuple[int, list[str], dict[psutil.Process, str]]:
        """SIGINT as the terminal sends it (to the whole process group) or to the command alone;
        returns the exit status, stderr lines and the processes it had started."""
        started = self.descendants()
        if whole_group:
            os.killpg(self.process.pid, signal.SIGINT)
        else:
            self.process.send_signal(signal.SIGINT)
        code = self.process.wait(timeout=60)
        self._reader.join(timeout=10)
        self.process.stdout.close()
        self.process.stderr.close()
        return code, self.lines, started


def _session_members(session: int) -> list[psutil.Process]:
    """Processes of the command's session (it started one): what is left of it, zombies aside."""
    members = []
    for process in psutil.process_iter():
        try:
            if os.getsid(process.pid) == session and _running(process):
                members.append(process)
        except (ProcessLookupError, PermissionError):
            continue
    return members


def _running(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _assert_nothing_survives(started: dict[psutil.Process, str], session: int, timeout_s: float = 10.0) -> None:
    """The command's workers, kernel and resource tracker all end (the tracker right after the
    command, when the last holder of its pipe has gone); a zombie has ended, only not been reaped."""
    deadline = time.monotonic() + timeout_s
    while True:
        alive = [line for process, line in started.items() if _running(process)]
        others = [process.pid for process in _session_members(session)]
        if not alive and not others:
            return
        assert time.monotonic() < deadline, f"left behind: {alive} {others}"
        time.sleep(0.1)


def _workers(command: Command) -> int:
    return sum("spawn_main" in line for line in command.descendants().values())


def test_ctrl_c_on_run_is_one_line_exit_130_and_nothing_written(tmp_path):
    out = tmp_path / "results"
    command = Command("run", "--scale", "0.05", "--out", str(out))
    command.wait_until(lambda: any(line.startswith("running national-day") for line in command.lines))
    time.sleep(1.5)  # inside the simulation
    code, lines, started = command.interrupt(whole_group=False)
    assert code == EXIT_INTERRUPTED
    assert lines[-1] == "elcart-sim: run interrupted while simulating national-day; nothing written", lines
    assert len(lines) == 2 and not any("Traceback" in line for line in lines)
    assert not out.exists()
    _assert_nothing_survives(started, command.process.pid)


def test_ctrl_c_on_a_parallel_sweep_stops_the_workers_and_the_resource_tracker(tmp_path):
    command = Command("sweep", "--scale", "0.02", "--set", "switch.servers=2,4", "--replications", "4",
                      "--workers", "2", "--out", str(tmp_path / "sweep"))  # fmt: skip
    command.wait_until(lambda: _workers(command) == 2)
    time.sleep(2.0)  # the workers are simulating
    code, lines, started = command.interrupt(whole_group=True)  # Ctrl-C reaches the workers too
    assert code == EXIT_INTERRUPTED
    assert lines[-1] == ("elcart-sim: sweep interrupted while sweeping national-day (2 points × 4 replications) "
                         "on 2 local processes; nothing written"), lines
    assert not any("Traceback" in line or "KeyboardInterrupt" in line for line in lines)
    assert sum("spawn_main" in line for line in started.values()) == 2
    assert any("resource_tracker" in line for line in started.values())
    _assert_nothing_survives(started, command.process.pid)


def test_ctrl_c_on_the_command_alone_stops_a_sweep_too():
    command = Command("sweep", "--scale", "0.02", "--set", "switch.servers=2,4", "--replications", "4", "--workers", "2")
    command.wait_until(lambda: _workers(command) == 2)
    time.sleep(1.0)
    code, lines, started = command.interrupt(whole_group=False)
    assert code == EXIT_INTERRUPTED and lines[-1].endswith("on 2 local processes; nothing written"), lines
    _assert_nothing_survives(started, command.process.pid)


def test_ctrl_c_on_a_drill_on_processes_stops_its_workers(tmp_path):
    command = Command("drill", "--scale", "0.01", "--runs", "6", "--faults", "none", "--executor", "processes",
                      "--workers", "2", "--out", str(tmp_path / "drill"))  # fmt: skip
    command.wait_until(lambda: _workers(command) == 2)
    time.sleep(2.0)  # the workers are simulating
    code, lines, started = command.interrupt(whole_group=True)
    assert code == EXIT_INTERRUPTED
    assert lines[-1] == "elcart-sim: drill interrupted while running the drill on national-day; nothing written", lines
    assert not any("Traceback" in line or "KeyboardInterrupt" in line for line in lines)
    _assert_nothing_survives(started, command.process.pid)


def test_ctrl_c_on_a_report_stops_the_notebook_kernel_and_its_workers(tmp_path):
    out = tmp_path / "reports"
    command = Command("report", "--scale", "0.01", "--replications", "4", "--workers", "2", "--out", str(out))
    command.wait_until(lambda: _workers(command) == 2, timeout_s=90)  # the kernel's day replications run
    time.sleep(1.0)
    code, lines, started = command.interrupt(whole_group=True)  # the kernel, in a session of its own, is not reached
    assert code == EXIT_INTERRUPTED
    assert any("ipykernel" in line for line in started.values()), started
    assert re.fullmatch(r"elcart-sim: report interrupted while executing the report notebook( \(.*\))?; "
                        r"(nothing written|kept 1 file in .*: capacity-report-national-day\.ipynb)", lines[-1]), lines
    assert not any("Traceback" in line or "Kernel died" in line for line in lines), lines
    _assert_nothing_survives(started, command.process.pid)


@pytest.mark.parametrize("command", sorted(WRITING_COMMANDS))
def test_an_output_folder_that_is_a_file_is_refused_before_anything_runs(command, tmp_path, capsys, monkeypatch):
    from elcart_sim.model.simulation import Simulation

    def never(*_args, **_kwargs):
        raise AssertionError("simulated before checking --out")

    monkeypatch.setattr(Simulation, "run", never)
    a_file = tmp_path / "results.csv"
    a_file.write_text("not a folder\n")
    assert main([*WRITING_COMMANDS[command], "--out", str(a_file)]) == 2
    assert capsys.readouterr().err == f"elcart-sim: error: cannot write to --out {a_file}: it is a file, not a folder\n"
    assert main([*WRITING_COMMANDS[command], "--out", str(a_file / "inside")]) == 2
    assert capsys.readouterr().err == (f"elcart-sim: error: cannot write to --out {a_file / 'inside'}: "
                                       f"{a_file} is a file, so the folder cannot be made in it\n")
    assert main([*WRITING_COMMANDS[command], "--out", "/proc/elcart-sim-results"]) == 2  # even root cannot write there
    assert capsys.readouterr().err == ("elcart-sim: error: cannot write to --out /proc/elcart-sim-results: "
                                       "its parent /proc is not writable\n")


def test_missing_parents_of_the_output_folder_are_made(tmp_path, capsys):
    out = tmp_path / "a" / "b" / "results"
    assert main(["run", "--scale", "0.001", "--no-plots", "--no-progress", "--format", "csv", "--out", str(out)]) == 0
    assert (out / "summary.json").exists() and (out / "transactions.csv").exists()


def test_output_piped_into_head_ends_quietly_and_the_files_are_still_written(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    argv = [sys.executable, "-m", "elcart_sim.cli", "run", "--scale", "0.001", "--no-plots", "--format", "csv",
            "--out", str(tmp_path)]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    process.stdout.close()  # the reader has left before the first line
    err = process.stderr.read()
    process.stderr.close()
    assert process.wait(timeout=120) == 0
    assert "Traceback" not in err and "BrokenPipeError" not in err and "Exception ignored" not in err, err
    assert (tmp_path / "summary.json").exists() and (tmp_path / "hosts.csv").exists()  # the last file written


def test_every_command_ends_quietly_when_the_reader_leaves():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    for args in (["scenarios"], ["--help"], ["run", "--help"]):
        process = subprocess.Popen([sys.executable, "-m", "elcart_sim.cli", *args], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
        process.stdout.close()
        err = process.stderr.read()
        process.stderr.close()
        assert process.wait(timeout=60) == 0, (args, err)
        assert err == "", (args, err)
