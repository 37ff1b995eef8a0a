"""Cases falling between agencies: no lead, review overdue, referral bounced, no contact."""
