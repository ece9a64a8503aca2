"""Storyboards."""
