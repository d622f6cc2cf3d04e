"""Typed settings: one frozen object from a TOML file plus TONGBAN_* variables."""
