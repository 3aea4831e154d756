"""Alerts (DESIGN §7): delivery from the outbox (``delivery``) and one module per channel —
``log``, ``email`` (message building) with ``mailer`` (the SMTP transport), ``atom``."""
