"""Outreach (アウトリーチ等を通じた継続的支援事業): engagements, contacts, stages."""
