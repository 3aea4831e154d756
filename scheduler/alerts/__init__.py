"""Alert channels: each turns outbox payloads into a delivery (email, later others)."""
