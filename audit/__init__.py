"""The append-only, hash-chained audit trail (电子监察)."""
