"""Value types and rules with no I/O: the bottom layer every other imports."""
