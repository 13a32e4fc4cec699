"""HTTP layer: one blueprint module per resource, errors in one table."""
