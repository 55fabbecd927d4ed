import sys

from vaultlab.cli import main

sys.exit(main())
