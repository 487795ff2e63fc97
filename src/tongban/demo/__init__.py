"""Demo data for `tongban demo`: a real city's catalogue with complete, plausible guides."""
