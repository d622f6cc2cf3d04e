"""Typed settings: one frozen object from a TOML file plus ``TONGBAN_*`` variables."""

from config.errors import ConfigError
from config.errors import ProductionGuardError
from config.errors import TongbanError
from config.load import load
from config.settings import Settings

__all__ = ["ConfigError", "ProductionGuardError", "Settings", "TongbanError", "load"]
