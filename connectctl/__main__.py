"""`python -m connectctl`."""

from connectctl.cli import main

main()
