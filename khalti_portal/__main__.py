"""`python -m khalti_portal <command>`."""

from khalti_portal.cli import main

raise SystemExit(main())
