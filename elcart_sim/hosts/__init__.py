"""The hosts of the chain: what every host shares (``host``), the acquirer, the national switch
(IPC) and the issuers."""
