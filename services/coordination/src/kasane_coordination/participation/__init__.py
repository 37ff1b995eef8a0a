"""Participation requests (参加支援) made from a plan action."""
