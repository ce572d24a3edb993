"""The records of a run made readable: DataFrames and exports (``results``), plots (``plots``),
and one tap byte by byte (``anatomy``)."""
