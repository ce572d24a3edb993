"""IPC as token service provider: identity and verification (``identity``), tokens, their vault
and limited-use keys (``token_service``, ``credential``), the lifecycle over a day
(``lifecycle``), and the check of each tap's chip evidence for the issuers
(``card_authentication``)."""
