"""Colour spaces, transfer functions and matrices (derived with colour-science)."""
