"""tide: the compiler and publisher for OpenTide threat intelligence."""

__version__ = "0.1.0"
