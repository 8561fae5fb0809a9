"""Issue 6: the check-in load test against a real server (run.py)."""
