"""The case timeline: everything that happened to a case across the services, in order."""
