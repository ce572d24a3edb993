"""Who and what exists, and who pays when: banks, cards, phones, merchants and terminals
(``population``), and the day's demand (``demand``)."""
