"""The compiler: what turns a program into NumPy source (optimiser, code generator, the compiled backward pass)."""
