"""Outgoing mail: the outbox's sender and the message templates; renders and delivers, never imports billing."""
