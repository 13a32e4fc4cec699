"""Beside an existing Glance: its image API (client), the local mirror of
its memberships kept fresh from its notifications (listener), the initial
sync and the periodic reconciliation (mirror). No Flask here."""
