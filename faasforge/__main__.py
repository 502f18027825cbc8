import sys

from faasforge.cli import main

sys.exit(main())
