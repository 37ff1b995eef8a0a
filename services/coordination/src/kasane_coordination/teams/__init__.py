"""The case team (支援チーム): agencies, roles, exactly one lead (主担当)."""
