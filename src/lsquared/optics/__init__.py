"""Optics: lens identification, correction profiles (lensfun database, embedded DNG opcodes),
and the geometry maps and vignetting gains that correct them."""
