"""Recipes (declarative TOML), stage specs, the compiler and the Processor."""
