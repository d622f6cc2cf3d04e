"""Real-name verification against an authoritative registry (local tables or HTTP)."""
