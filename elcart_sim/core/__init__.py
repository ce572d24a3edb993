"""The simulation machinery every entity shares, and nothing of the payment chain itself.

``errors`` the one family of errors, ``clock`` a message's journey as timed steps on the SimPy
clock, ``server_pool`` a host's servers and queue, ``streams`` named random streams, ``records``
the flat record tables, ``ids`` trace ids, ``redact`` card numbers masked once, ``memory`` the
runner's allocator settings.
"""
