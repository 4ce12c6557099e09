"""Connect tenant platform: one client environment per stack (see README.md)."""

from components.stack import main

main()
