"""The `elcart-sim` command line.

    elcart-sim run   [--scenario NAME|PATH] [--seed N] [--scale F] [--out DIR]
    elcart-sim scenarios
    elcart-sim phone [--port 35963] [--taps N] [--tear-after N] [--malformed-after N] [--wallet K]
    elcart-sim tap   [--reader NAME|INDEX] [--list-readers] [--amount KGS] [--timeout S] [--json]
    elcart-sim validate | replicate | sweep | size | report

One module per group of commands: ``run`` (run, scenarios), ``live`` (phone, tap), ``capacity``
(validate, replicate, sweep, size), ``report`` (with ``study_progress``, how far the report's
notebook has got); ``options`` the options they share. How every command ends: ``main`` (the
parser, errors as one line and exit 2), ``outputs`` (``--out`` checked before any work, and what
was written), ``interrupts`` (Ctrl-C: one line, exit 130, no process left behind), ``streams``
(output piped into ``head``).
"""

from elcart_sim.cli.main import build_parser, main

__all__ = ["main", "build_parser"]
