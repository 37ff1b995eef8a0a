"""Participation: matching people to places, trials and work (参加支援事業)."""
