"""tollama as a Model Context Protocol server: the same tools over stdio and at the daemon's ``/mcp``."""
