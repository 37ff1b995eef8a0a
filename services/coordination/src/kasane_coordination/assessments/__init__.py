"""Assessments (アセスメント) per household member, versioned."""
