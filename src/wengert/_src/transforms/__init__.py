"""The interpreters: forward mode (jvp) and reverse mode (the tape)."""
