"""Cases (多機関協働事業): opening, status, reads and the handlers that open cases from referrals."""
