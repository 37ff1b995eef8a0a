"""Consent (同意) as intake reports it, and what it lets coordination share."""
