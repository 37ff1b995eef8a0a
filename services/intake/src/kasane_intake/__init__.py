"""Intake: the comprehensive consultation desk (包括的相談支援事業)."""
