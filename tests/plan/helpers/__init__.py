"""Helpers of the plan's tests: hand-made templates and cases, the day-two catalogue."""
