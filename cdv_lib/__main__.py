import sys

from cdv_lib.cli import main

sys.exit(main())
