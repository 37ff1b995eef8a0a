"""Coordination: cases, teams, plans, meetings, outreach (issue 4)."""
