"""Planning: the staffing optimiser (seats per interval and centre) and the shift roster."""
