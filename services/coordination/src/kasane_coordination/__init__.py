"""Coordination: multi-agency collaboration, support plans, meetings and outreach (多機関協働・支援プラン・アウトリーチ)."""
