"""Escalation: who gets paged for which incidents, when, and through which contact.

    IncidentChange ──inhibit──▶ route ──▶ group ──▶ resolve targets ──▶ dedup ──▶ fan out ──▶ outbox ──▶ Notifier

``engine.EscalationEngine`` is the entry point the daemon wires; the other modules are its stages.
"""
