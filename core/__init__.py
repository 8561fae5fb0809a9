"""What every app shares and none owns: the domain's error types."""
