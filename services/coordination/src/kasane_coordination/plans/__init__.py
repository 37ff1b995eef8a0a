"""Support plans (支援プラン): versions, proposal to a meeting, approval, review."""
