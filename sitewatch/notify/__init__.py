"""Notification channels: one module per channel, a registry, and the shared message model."""
