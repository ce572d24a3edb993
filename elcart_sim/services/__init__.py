"""The app's money services at IPC, one module per service: ``p2p`` (transfers between ELKART
cards by phone number, card number or QR code). Each is a flow of timed steps (core/clock.py)
through the directory, the switch and the issuers, ending every request in one final state."""
