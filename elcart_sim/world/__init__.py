"""Who and what exists, and who pays when: banks, cards, phones, mobile numbers, merchants and
terminals (``population``), Kyrgyz mobile numbers (``msisdn``), the lookup from a phone number,
card number or QR id to a card (``directory``), the services payable in the app (``billers``),
and the day's demand (``demand``)."""
