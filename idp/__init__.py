"""Unified identity: accounts, real-name verification, authenticators and the OIDC provider."""
