"""Capture file formats: JSON Lines captures, the live journal, HAR."""
