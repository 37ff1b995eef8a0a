"""Kasane's common library (kasane_shared): what all four services stand on."""
