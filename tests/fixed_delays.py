"""Scenario overrides that fix every delay, so a single tap's times are exact sums."""

FIXED_DELAYS = {
    "scale": 0.001,
    "nfc.apdu_latency": {"dist": "constant", "mean_s": 0.02},
    "terminal.processing": {"dist": "constant", "mean_s": 0.05},
    "terminal.receipt_print": {"dist": "constant", "mean_s": 0.5},
    "network.terminal_acquirer": {"dist": "constant", "mean_s": 0.1},
    "network.acquirer_switch": {"dist": "constant", "mean_s": 0.004},
    "network.switch_issuer": {"dist": "constant", "mean_s": 0.003},
    "acquirer.service_time": {"dist": "constant", "mean_s": 0.002},
    "switch.service_time": {"dist": "constant", "mean_s": 0.001},
    "issuer.service_time": {"dist": "constant", "mean_s": 0.006},
    "issuers": {},  # every bank on `issuer`
    "hsm.enabled": False,  # no HSM calls (tests/test_hsm.py times them)
}
