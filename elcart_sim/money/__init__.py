"""Money: the chart of accounts (``accounts``) and the double-entry ledger in integer tyiyn
that proves it balances (``ledger``)."""
