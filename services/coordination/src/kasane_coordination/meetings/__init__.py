"""Meetings: 重層的支援会議 (consent-based) and 支援会議 (Social Welfare Act Art. 106-6)."""
