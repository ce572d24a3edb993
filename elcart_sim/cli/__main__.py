"""`python -m elcart_sim.cli`: the same as the `elcart-sim` command."""

import sys

from elcart_sim.cli.main import main

sys.exit(main())
