"""Configuration: the shipped default TOML and the one loader that turns TOML into typed settings."""

from config.loader import ConfigError, load_settings

__all__ = ["ConfigError", "load_settings"]
